import middy, { type MiddlewareObj } from '@middy/core';
import type { Log } from '../logger.ts';
import { isJsonMediaType } from '../media-type.ts';
import type { ApiEvent, ApiResult } from './api-event.ts';
import type { HttpMetrics } from './http-metrics.ts';
import { type Access, AccessRefusedProblem, type ApiKeyAuthenticator, assertAccess, type Principal } from './auth.ts';
import type { KeyRequestLimit } from './key-request-limit.ts';
import { toHttpProblem } from './error-mapper.ts';
import { bodyFault } from './body-fault.ts';
import { HttpProblem } from './problem.ts';

export interface HttpRequest {
  requestId: string;
  routeKey: string;
  method: string;
  path: string;
  pathParams: Record<string, string | undefined>;
  query: Record<string, string | undefined>;
  headers: Record<string, string | undefined>;
  /** Undefined when the request had none. */
  body: unknown;
}

export interface AuthenticatedRequest extends HttpRequest {
  principal: Principal;
}

export interface HttpResponse {
  status: number;
  body?: unknown;
  /** Already serialized JSON (e.g. MX's, relayed unchanged), sent as is instead of `body`. */
  json?: string;
  /** A body that is not JSON, sent as is with `headers['content-type']`. */
  text?: string;
  headers?: Record<string, string>;
}

/**
 * One API operation, under its API Gateway route key. `body: 'text'` is for senders, like MX's webhooks, that must get the
 * operation's own answer rather than a 400/415. A query parameter the route does not define is a 400: `query: 'parsed'`
 * parses them with a strict schema; `'ignored'` is for answers that must not depend on them. An erased `{user_id}` is
 * refused unless `erasedUsers: 'admitted'` (the erasure itself, so a half-done one can be repeated).
 */
export type Operation = OperationOptions & Authorised;

/** How an operation takes its body and query, and whether it serves erased users. */
export interface OperationOptions {
  body?: 'json' | 'text';
  query?: 'parsed' | 'ignored';
  erasedUsers?: 'admitted';
}

/** Who may call an operation; `Extra`: what a route's handler also gets (its slice's dependencies). */
export type Authorised<Extra extends unknown[] = []> =
  | { auth: 'none'; handle(request: HttpRequest, ...extra: Extra): Promise<HttpResponse> }
  | { auth: 'api_key'; access: Access; handle(request: AuthenticatedRequest, ...extra: Extra): Promise<HttpResponse> };

export type AuthenticatedOperation = Extract<Operation, { auth: 'api_key' }>;

export type Operations = Record<string, Operation>;

export interface HttpHandlerDeps {
  /** Called at each request that takes an API key (the caller builds it lazily). */
  readonly authenticator?: () => ApiKeyAuthenticator;
  readonly log: Log;
  readonly metrics: HttpMetrics;
  /** None: keys are limited by the stage's throttle only. */
  readonly keyLimit?: Pick<KeyRequestLimit, 'admit'>;
  /** Throws 410 for an erased user; needed when an operation names `{user_id}`. */
  readonly refuseErasedUser?: (userId: string) => Promise<void>;
}

export const MAX_BODY_BYTES = 64 * 1024;
const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** The caller's `x-request-id` when well formed, API Gateway's otherwise: the same id in logs and answers. */
export const requestIdOf = (event: ApiEvent): string => {
  const given = event.headers['x-request-id'];
  return given && REQUEST_ID.test(given) ? given : event.requestContext.requestId;
};

/** The pipeline: authenticates, parses bodies, and shapes every answer, stamped `x-request-id` and `no-store`. */
export function createHttpHandler(operations: Operations, deps: HttpHandlerDeps) {
  const namingUsers = Object.keys(operations).filter((key) => namesUser(key, operations[key]!));
  if (namingUsers.length > 0 && !deps.refuseErasedUser) {
    throw new Error(`${namingUsers[0]} names a user, but the handler is given no refuseErasedUser`);
  }
  return middy<ApiEvent, ApiResult>()
    .use(problemResponses(deps.log, deps.metrics))
    .handler(async (event) => {
      const operation = operations[event.routeKey];
      if (!operation)
        throw new HttpProblem('route_not_found', `No route for ${event.requestContext.http.method} ${event.rawPath}.`);
      const request: HttpRequest = {
        requestId: requestIdOf(event),
        routeKey: event.routeKey,
        method: event.requestContext.http.method,
        path: event.rawPath,
        pathParams: event.pathParameters ?? {},
        query: event.queryStringParameters ?? {},
        headers: event.headers,
        body: undefined,
      };
      if (operation.query === undefined) refuseQuery(request.query);
      if (operation.auth === 'api_key') {
        if (!deps.authenticator) throw new Error(`${event.routeKey} takes an API key, but the handler has no authenticator`);
        const principal = await deps.authenticator().authenticate(event.headers.authorization);
        admitKey(principal, deps);
        assertAccess(operation.access, principal, request.pathParams);
        if (namesUser(event.routeKey, operation)) await deps.refuseErasedUser!(request.pathParams.user_id!);
        request.body = readBody(event, operation.body);
        return toResult(await operation.handle({ ...request, principal }), request.requestId);
      }
      request.body = readBody(event, operation.body);
      return toResult(await operation.handle(request), request.requestId);
    });
}

const namesUser = (routeKey: string, operation: Operation): boolean =>
  operation.auth === 'api_key' && routeKey.includes('{user_id}') && operation.erasedUsers !== 'admitted';

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

function readBody(event: ApiEvent, as: Operation['body'] = 'json'): unknown {
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
