import middy, { type MiddlewareObj } from '@middy/core';
import type { Log } from '../logger.ts';
import { isJsonMediaType } from '../media-type.ts';
import type { ApiEvent, ApiResult } from './api-event.ts';
import type { MetricsSink } from '../metrics.ts';
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
  /** Parsed JSON body; undefined when the request had none. */
  body: unknown;
}

export interface AuthenticatedRequest extends HttpRequest {
  principal: Principal;
}

export interface HttpResponse {
  status: number;
  body?: unknown;
  /** A body already serialized as JSON (e.g. MX's, relayed unchanged): sent as is, instead of `body`. */
  json?: string;
  /** A body that is not JSON (the console's page, script and style): sent as is, with `headers['content-type']`. */
  text?: string;
  headers?: Record<string, string>;
}

/**
 * One API operation, registered under its API Gateway route key (`"POST /webhooks"`). Bodies are parsed as JSON
 * unless `body: 'text'`: then the operation gets the text as sent, whatever its type (for senders, like MX's
 * webhooks, that must get the operation's own answer rather than a 400/415 from the pipeline).
 *
 * Query parameters: one rule for every route — a parameter the route does not define is a 400 naming it. An
 * operation that takes parameters sets `query: 'parsed'` and parses them with a strict schema
 * (`parseInput(schema, request.query, 'query')`); `query: 'ignored'` is for answers that must not depend on them
 * (the 404/405 fallback, MX's webhooks). Without either, the pipeline refuses any parameter.
 *
 * An `api_key` operation declares who may call it (`access`, lib/http/auth.ts): the pipeline checks it before the
 * operation runs, then refuses a `{user_id}` the relay erased (`refuseErasedUser`) unless the operation admits
 * erased users (`erasedUsers: 'admitted'`: the erasure itself, so that a half-done one can be repeated).
 */
export type Operation = OperationOptions & Authorised;

/** How an operation takes its body and query, and whether it serves erased users (see Operation). */
export interface OperationOptions {
  body?: 'json' | 'text';
  query?: 'parsed' | 'ignored';
  erasedUsers?: 'admitted';
}

/**
 * Who may call an operation, and what its handler gets: the request, authenticated or not, then `Extra` (a route's
 * handler also gets its slice's dependencies: lib/http/route.ts).
 */
export type Authorised<Extra extends unknown[] = []> =
  | { auth: 'none'; handle(request: HttpRequest, ...extra: Extra): Promise<HttpResponse> }
  | { auth: 'api_key'; access: Access; handle(request: AuthenticatedRequest, ...extra: Extra): Promise<HttpResponse> };

export type AuthenticatedOperation = Extract<Operation, { auth: 'api_key' }>;

export type Operations = Record<string, Operation>;

export interface HttpHandlerDeps {
  /** Needed when an operation takes an API key; called at each such request (lazily built, then cached, by the caller). */
  readonly authenticator?: () => ApiKeyAuthenticator;
  readonly log: Log;
  /** Counts refusals by an access rule (`AccessRefused`) and by the per-key limit (`KeyRequestsThrottled`). */
  readonly metrics: MetricsSink;
  /** The per-key request limit; none: keys are limited by the stage's throttle only. */
  readonly keyLimit?: Pick<KeyRequestLimit, 'admit'>;
  /** Throws for a user the relay erased (410 `user_erased`); needed when an operation names `{user_id}`. */
  readonly refuseErasedUser?: (userId: string) => Promise<void>;
}

export const MAX_BODY_BYTES = 64 * 1024;
const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** The caller's `x-request-id` when well formed, API Gateway's otherwise: the same id in logs and answers. */
export const requestIdOf = (event: ApiEvent): string => {
  const given = event.headers['x-request-id'];
  return given && REQUEST_ID.test(given) ? given : event.requestContext.requestId;
};

/**
 * A Lambda handler serving `operations` for API Gateway HTTP API events. Handlers stay thin: they declare their
 * operations; this pipeline authenticates, parses JSON bodies, shapes every answer (JSON or problem+json) and
 * stamps `x-request-id` and `cache-control: no-store` on all of them.
 */
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

/** An API-key operation under a `{user_id}` path that does not serve erased users: the pipeline refuses them. */
const namesUser = (routeKey: string, operation: Operation): boolean =>
  operation.auth === 'api_key' && routeKey.includes('{user_id}') && operation.erasedUsers !== 'admitted';

/** Refuses (429, `Retry-After`) a key past its per-minute limit, before anything else runs for it. */
function admitKey(principal: Principal, deps: HttpHandlerDeps): void {
  const admission = deps.keyLimit?.admit(principal.keyId, { userBound: principal.userId !== undefined });
  if (!admission || admission.admitted) return;
  deps.metrics.add('KeyRequestsThrottled', 1, {});
  throw new HttpProblem('too_many_requests', 'This API key made too many requests this minute; retry later.', {
    headers: { 'retry-after': String(admission.retryAfterSeconds) },
  });
}

function problemResponses(log: Log, metrics: MetricsSink): MiddlewareObj<ApiEvent, ApiResult> {
  return {
    onError: (request) => {
      const problem = toHttpProblem(request.error, log);
      if (problem instanceof AccessRefusedProblem) {
        // With an Idempotency-Key: a request that would have been answered from a stored answer, had it been allowed.
        const idempotencyKey = request.event.headers['idempotency-key'] === undefined ? 'absent' : 'present';
        metrics.add('AccessRefused', 1, { rule: problem.rule, idempotency_key: idempotencyKey });
      }
      const requestId = requestIdOf(request.event);
      // With the request id (log context), so a client's report of any non-2xx answer can be found.
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

/**
 * The body as text, exactly as sent. API Gateway hands a body that is not valid UTF-8 over base64-encoded; the
 * local gateway decodes strictly. Bytes that are not UTF-8 are refused rather than stored with U+FFFD in them.
 */
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
