import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import type { ApiEvent, ApiResult } from '../../lib/http/api-event.ts';
import { compilePathTemplate } from '../../lib/path-template.ts';
import { HttpProblem, type ProblemCode } from '../../lib/http/problem.ts';
import type { AccessLogLine } from '../access-log.ts';
import { DEFAULT_ROUTE_KEY, routeKey, type HttpFunctionName } from '../../lib/http/route.ts';
import { ROUTES } from '../../lib/route-table.ts';
import { httpFunctions, type HttpLambda } from './handlers.ts';
import { lambdaContext } from './lambda-context.ts';

/** API Gateway refuses bodies above 10 MB; the functions apply their own, smaller limit. */
const MAX_GATEWAY_BODY_BYTES = 10 * 1024 * 1024;
/** A URL this long is refused before routing, as API Gateway refuses a request line over 10 KiB. */
const MAX_URL_BYTES = 10 * 1024;

/** What the gateway answers itself, before any function: problem+json with a request id, like every other answer. */
function gatewayProblem(code: ProblemCode, detail: string): { status: number; headers: Record<string, string>; body: string } {
  const requestId = randomUUID();
  const problem = new HttpProblem(code, detail);
  return {
    status: problem.status,
    headers: { 'content-type': 'application/problem+json', 'x-request-id': requestId, 'cache-control': 'no-store' },
    body: JSON.stringify(problem.toBody(requestId)),
  };
}

/** Requests Node's HTTP parser refuses (oversized head, broken syntax), answered on the raw socket. */
function refuseUnparsable(error: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable) return;
  const answer =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? gatewayProblem('headers_too_large', 'The request line and headers exceed the gateway limit.')
      : gatewayProblem('bad_request', 'The request could not be parsed as HTTP/1.1.');
  const head = [
    `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status]}`,
    ...Object.entries(answer.headers).map(([name, value]) => `${name}: ${value}`),
    `content-length: ${Buffer.byteLength(answer.body)}`,
    'connection: close',
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${answer.body}`);
}

/** `/a/{b}/c` → `101`: where a template is literal. Of two templates matching a path, API Gateway takes the more literal. */
const literalness = (template: string): string =>
  template
    .split('/')
    .map((segment) => (segment.startsWith('{') ? '0' : '1'))
    .join('');

const compiled = ROUTES.map((route) => ({
  method: route.method,
  key: routeKey(route),
  fn: route.fn,
  functionUrl: route.endpoint === 'function-url',
  path: compilePathTemplate(route.path),
  literalness: literalness(route.path),
})).sort((a, b) => (a.literalness < b.literalness ? 1 : a.literalness > b.literalness ? -1 : 0));

/** Matches like HttpApi: one route per method + path template, the most literal first; anything else goes to `$default`. */
export function matchRoute(method: string, path: string) {
  for (const route of compiled) {
    if (route.method !== method) continue;
    const match = route.path.match(path);
    if (!match) continue;
    const pathParameters = Object.fromEntries(Object.entries(match).map(([name, value]) => [name, safeDecode(value)]));
    return { routeKey: route.key, fn: route.fn, pathParameters, functionUrl: route.functionUrl };
  }
  return { routeKey: DEFAULT_ROUTE_KEY, fn: 'api-fallback' as const, pathParameters: undefined, functionUrl: false };
}

const safeDecode = (value: string): string => {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
};

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Text as is; anything that is not valid UTF-8 base64-encoded, as API Gateway hands over binary bodies. */
function eventBody(body: Buffer): { body: string | undefined; isBase64Encoded: boolean } {
  if (body.length === 0) return { body: undefined, isBase64Encoded: false };
  try {
    return { body: strictUtf8.decode(body), isBase64Encoded: false };
  } catch {
    return { body: body.toString('base64'), isBase64Encoded: true };
  }
}

/**
 * The request's path and query as sent: `//mx/webhooks` stays a path with an empty segment (as a base URL would take it
 * as the host `mx`, and route it to `/webhooks`).
 */
const requestUrl = (request: IncomingMessage): URL =>
  new URL(`http://localhost${request.url?.startsWith('/') ? request.url : '/'}`);

/** Builds the HTTP API payload 2.0 event API Gateway would send for this request. */
export function toApiEvent(request: IncomingMessage, body: Buffer, route: ReturnType<typeof matchRoute>): ApiEvent {
  const url = requestUrl(request);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
  const requestId = randomUUID();
  return {
    // At its function's URL (the gateway's origin here): the function gets `$default` and no path parameters.
    routeKey: route.functionUrl ? DEFAULT_ROUTE_KEY : route.routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    queryStringParameters: Object.keys(query).length > 0 ? query : undefined,
    pathParameters: route.functionUrl ? undefined : route.pathParameters,
    ...eventBody(body),
    requestContext: {
      requestId,
      http: { method: request.method ?? 'GET', path: url.pathname, sourceIp: request.socket.remoteAddress ?? '127.0.0.1' },
    },
  };
}

export interface Gateway {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * The local API Gateway: serves `lib/route-table.ts` by calling the same handler exports the Lambdas run; a function-url
 * route too, at the same origin.
 */
export async function startGateway(options: {
  port: number;
  host?: string;
  /** Where access log lines go (one JSON line per request, as API Gateway's): stdout by default. */
  accessLog?: (line: string) => void;
}): Promise<Gateway> {
  const accessLog = options.accessLog ?? ((line: string) => process.stdout.write(`${line}\n`));
  const loaded = new Map<HttpFunctionName, Promise<HttpLambda>>();
  const handlerFor = (fn: HttpFunctionName) => {
    if (!loaded.has(fn)) loaded.set(fn, httpFunctions[fn]());
    return loaded.get(fn)!;
  };

  const server: Server = createServer((request, response) => {
    serve(request, response, handlerFor, accessLog).catch((error: unknown) => {
      // A handler that throws is a bug (the pipeline answers every error itself): answer like API Gateway does.
      console.error('gateway: handler crashed', error);
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
      response.end('{"message":"Internal Server Error"}');
    });
  });
  server.on('clientError', refuseUnparsable);
  server.keepAliveTimeout = 5_000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function serve(
  request: IncomingMessage,
  response: ServerResponse,
  handlerFor: (fn: HttpFunctionName) => Promise<HttpLambda>,
  accessLog: (line: string) => void,
): Promise<void> {
  const startedAt = performance.now();
  const refuse = (answer: ReturnType<typeof gatewayProblem>) => {
    const length = String(Buffer.byteLength(answer.body));
    response.writeHead(answer.status, { ...answer.headers, 'content-length': length, connection: 'close' }).end(answer.body);
  };
  if (Buffer.byteLength(request.url ?? '') > MAX_URL_BYTES) {
    return refuse(gatewayProblem('uri_too_long', `The URL exceeds ${MAX_URL_BYTES} bytes.`));
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_GATEWAY_BODY_BYTES) {
      return refuse(
        gatewayProblem('payload_too_large', `The body exceeds the gateway limit of ${MAX_GATEWAY_BODY_BYTES} bytes.`),
      );
    }
    chunks.push(chunk as Buffer);
  }
  const url = requestUrl(request);
  const route = matchRoute(request.method ?? 'GET', url.pathname);
  const event = toApiEvent(request, Buffer.concat(chunks), route);
  const handler = await handlerFor(route.fn);
  const invokedAt = performance.now();
  const result = await handler(event, lambdaContext(route.fn));
  const integrationLatency = Math.round(performance.now() - invokedAt);
  response.writeHead(result.statusCode, result.headers);
  response.end(result.body);
  // A function URL writes no access log.
  if (route.functionUrl) return;
  const protocol = `HTTP/${request.httpVersion}`;
  accessLog(JSON.stringify(accessLogLine(event, result, { protocol, integrationLatency, startedAt })));
}

/**
 * The access log line API Gateway writes for `event` answered with `result`. `startedAt` (performance.now()) is when
 * the request came in; `integrationLatency` the function's milliseconds.
 */
export function accessLogLine(
  event: ApiEvent,
  result: ApiResult,
  timing: { protocol: string; integrationLatency: number; startedAt: number },
): AccessLogLine {
  return {
    requestId: event.requestContext.requestId,
    requestTime: Date.now(),
    sourceIp: event.requestContext.http.sourceIp,
    userAgent: event.headers['user-agent'],
    method: event.requestContext.http.method,
    path: event.rawPath,
    routeKey: event.routeKey,
    status: result.statusCode,
    protocol: timing.protocol,
    responseLength: Buffer.byteLength(result.body ?? ''),
    responseLatency: Math.round(performance.now() - timing.startedAt),
    integrationStatus: result.statusCode,
    integrationLatency: timing.integrationLatency,
    integrationError: undefined,
  };
}
