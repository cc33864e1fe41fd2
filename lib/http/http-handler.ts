import middy, { type MiddlewareObj } from '@middy/core';
import type { Log } from '../logger.ts';
import { isJsonMediaType } from '../media-type.ts';
import type { ApiEvent, ApiResult } from './api-event.ts';
import type { HttpMetrics } from './http-metrics.ts';
import { AccessRefusedProblem, type ApiKeyAuthenticator, assertAccess, type Principal } from './auth.ts';
import {
  type AuthenticatedRoute,
  type Authorised,
  type HttpRequest,
  type HttpResponse,
  isIdempotentWrite,
  type Route,
  type RouteOptions,
  DEFAULT_ROUTE_KEY,
  routeKey,
} from './route.ts';
import type { KeyRequestLimit } from './key-request-limit.ts';
import { toHttpProblem } from './error-mapper.ts';
import { bodyFault } from './body-fault.ts';
import { HttpProblem } from './problem.ts';

export interface HttpHandlerDeps {
  /** Called at each request that takes an API key (the caller builds it lazily). */
  readonly authenticator?: () => ApiKeyAuthenticator;
  readonly log: Log;
  readonly metrics: HttpMetrics;
  /** None: keys are limited by the stage's throttle only. */
  readonly keyLimit?: Pick<KeyRequestLimit, 'admit'>;
  /** Throws 410 for an erased user; needed when a route names `{user_id}`. */
  readonly refuseErasedUser?: (userId: string) => Promise<void>;
  /** Makes an authenticated write honour `Idempotency-Key` (lib/http/idempotency.ts); needed when a route is one. */
  readonly idempotent?: <D>(route: AuthenticatedRoute<D>) => AuthenticatedRoute<D>;
  /** Answers what no route matches (api-fallback's catch-all: no key, query ignored). */
  readonly fallback?: (request: HttpRequest) => Promise<HttpResponse>;
}

export const MAX_BODY_BYTES = 64 * 1024;
const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** The caller's `x-request-id` when well formed, API Gateway's otherwise: the same id in logs and answers. */
export const requestIdOf = (event: ApiEvent): string => {
  const given = event.headers['x-request-id'];
  return given && REQUEST_ID.test(given) ? given : event.requestContext.requestId;
};

/** The pipeline: authenticates, parses bodies, and shapes every answer, stamped `x-request-id` and `no-store`. */
export function createHttpHandler<D>(routes: readonly Route<D>[], routeDeps: D, deps: HttpHandlerDeps) {
  const byKey = routesByKey(routes, deps);
  // api-fallback's catch-all: no key, any query.
  const fallback: (RouteOptions & Authorised<D>) | undefined = deps.fallback && {
    auth: 'none',
    query: 'ignored',
    handle: deps.fallback,
  };
  return middy<ApiEvent, ApiResult>()
    .use(problemResponses(deps.log, deps.metrics))
    .handler(async (event) => {
      const key = routeKeyOf(event, byKey);
      const route = byKey.get(key) ?? fallback;
      if (!route) throw new HttpProblem('route_not_found', `No route for ${event.requestContext.http.method} ${event.rawPath}.`);
      const request: HttpRequest = {
        requestId: requestIdOf(event),
        routeKey: key,
        method: event.requestContext.http.method,
        path: event.rawPath,
        pathParams: event.pathParameters ?? {},
        query: event.queryStringParameters ?? {},
        headers: event.headers,
        body: undefined,
      };
      if (route.query === undefined) refuseQuery(request.query);
      if (route.auth === 'api_key') {
        if (!deps.authenticator) throw new Error(`${event.routeKey} takes an API key, but the handler has no authenticator`);
        const principal = await deps.authenticator().authenticate(event.headers.authorization);
        admitKey(principal, deps);
        assertAccess(route.access, principal, request.pathParams);
        if (namesUser(key, route)) await deps.refuseErasedUser!(request.pathParams.user_id!);
        request.body = readBody(event, route.body);
        return toResult(await route.handle({ ...request, principal }, routeDeps), request.requestId);
      }
      request.body = readBody(event, route.body);
      return toResult(await route.handle(request, routeDeps), request.requestId);
    });
}

/**
 * The event's route key: API Gateway's, or at a function URL (`$default`, no path parameters) the method and path of
 * one of its function-url routes.
 */
function routeKeyOf<D>(event: ApiEvent, byKey: ReadonlyMap<string, Route<D>>): string {
  if (event.routeKey !== DEFAULT_ROUTE_KEY) return event.routeKey;
  const key = `${event.requestContext.http.method} ${event.rawPath}`;
  return byKey.get(key)?.endpoint === 'function-url' ? key : event.routeKey;
}

/** Each route under its API Gateway route key, idempotent writes wrapped; a route declared twice is a programming error. */
export function routesByKey<D>(routes: readonly Route<D>[], deps: HttpHandlerDeps): Map<string, Route<D>> {
  const byKey = new Map<string, Route<D>>();
  for (const route of routes) {
    const key = routeKey(route);
    if (byKey.has(key)) throw new Error(`${key} is declared twice`);
    if (namesUser(key, route) && !deps.refuseErasedUser) {
      throw new Error(`${key} names a user, but the handler is given no refuseErasedUser`);
    }
    if (route.auth === 'api_key' && isIdempotentWrite(route) && !deps.idempotent) {
      throw new Error(`${key} honours Idempotency-Key: its function must pass the key store`);
    }
    byKey.set(key, route.auth === 'api_key' && isIdempotentWrite(route) ? deps.idempotent!(route) : route);
  }
  return byKey;
}

/** An API-key route under a `{user_id}` path that does not serve erased users: the pipeline refuses them. */
const namesUser = (key: string, route: Pick<Route, 'auth' | 'erasedUsers'>): boolean =>
  route.auth === 'api_key' && key.includes('{user_id}') && route.erasedUsers !== 'admitted';

/** Refuses a key past its per-minute limit before anything else runs for it. */
function admitKey(principal: Principal, deps: HttpHandlerDeps): void {
  const admission = deps.keyLimit?.admit(principal.keyId, { userBound: principal.userId !== undefined });
  if (!admission || admission.admitted) return;
  deps.metrics.add('KeyRequestsThrottled', 1, {});
  throw new HttpProblem('too_many_requests', 'This API key made too many requests this minute; retry later.', {
    headers: { 'retry-after': String(admission.retryAfterSeconds) },
  });
}

function problemResponses(log: Log, metrics: HttpMetrics): MiddlewareObj<ApiEvent, ApiResult> {
  return {
    onError: (request) => {
      const problem = toHttpProblem(request.error, log);
      if (problem instanceof AccessRefusedProblem) {
        // With an Idempotency-Key: a refused replay of a stored answer.
        const idempotencyKey = request.event.headers['idempotency-key'] === undefined ? 'absent' : 'present';
        metrics.add('AccessRefused', 1, { rule: problem.rule, idempotency_key: idempotencyKey });
      }
      const requestId = requestIdOf(request.event);
      // Logged with the request id, so a client's report of any non-2xx answer can be found.
      const fields = { status: problem.status, code: problem.problemCode, route_key: request.event.routeKey };
      if (problem.status >= 500) log.warn('request answered with a problem', fields);
      else log.info('request answered with a problem', fields);
      request.response = {
        statusCode: problem.status,
        headers: { ...baseHeaders(requestId), 'content-type': 'application/problem+json', ...problem.headers },
        body: JSON.stringify(problem.toBody(requestId)),
      };
    },
  };
}

function refuseQuery(query: Record<string, string | undefined>): void {
  const [name] = Object.keys(query);
  if (name !== undefined) {
    throw new HttpProblem('validation_failed', `query.${name}: this route takes no query parameter \`${name}\`.`, {
      field: name,
    });
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The body exactly as sent. Bytes that are not UTF-8 are refused rather than stored with U+FFFD in them. */
function bodyText(event: ApiEvent): string {
  if (!event.isBase64Encoded) return event.body ?? '';
  const bytes = Buffer.from(event.body ?? '', 'base64');
  if (bytes.byteLength > MAX_BODY_BYTES) {
    throw new HttpProblem('payload_too_large', `The body exceeds ${MAX_BODY_BYTES} bytes.`);
  }
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new HttpProblem('invalid_body', 'The body is not valid UTF-8.');
  }
}

function readBody(event: ApiEvent, as: Route['body'] = 'json'): unknown {
  if (event.body === undefined || event.body === '') return undefined;
  const raw = bodyText(event);
  if (Buffer.byteLength(raw, 'utf8') > MAX_BODY_BYTES) {
    throw new HttpProblem('payload_too_large', `The body exceeds ${MAX_BODY_BYTES} bytes.`);
  }
  if (as === 'text') return raw;
  const contentType = event.headers['content-type'] ?? '';
  if (!isJsonMediaType(contentType)) {
    throw new HttpProblem('unsupported_media_type', 'Send the body as application/json.');
  }
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw new HttpProblem('invalid_json', 'The body could not be parsed as JSON.');
  }
  const fault = bodyFault(body, Number.POSITIVE_INFINITY);
  if (fault) throw new HttpProblem('validation_failed', fault.detail, { field: fault.field });
  return body;
}

const baseHeaders = (requestId: string) => ({ 'x-request-id': requestId, 'cache-control': 'no-store' });

function toResult(response: HttpResponse, requestId: string): ApiResult {
  if (response.text !== undefined) {
    return { statusCode: response.status, headers: { ...baseHeaders(requestId), ...response.headers }, body: response.text };
  }
  const json = response.json || (response.body !== undefined ? JSON.stringify(response.body) : '');
  return {
    statusCode: response.status,
    headers: { ...baseHeaders(requestId), ...(json ? { 'content-type': 'application/json' } : {}), ...response.headers },
    body: json,
  };
}
