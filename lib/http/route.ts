import type { Access, Principal } from './auth.ts';
import type { OperationDocs, Zod } from './openapi/operation-docs.ts';

/** The Lambdas that serve HTTP routes. */
export type HttpFunctionName =
  'api-refresh' | 'api-jobs' | 'api-read' | 'api-webhooks' | 'api-connect' | 'api-fallback' | 'mx-events' | 'api-docs';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

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
 * How a route takes its body and query, and whether it serves erased users. Bodies are JSON unless `body: 'text'` (the
 * text as sent, for senders like MX that must get the route's own answer). A query parameter a route does not define
 * is a 400 naming it: a route with parameters sets `query: 'parsed'` and parses them strictly; `'ignored'` is for
 * answers that must not depend on them. `erasedUsers: 'admitted'`: the erasure itself, repeatable when half done.
 */
export interface RouteOptions {
  body?: 'json' | 'text';
  query?: 'parsed' | 'ignored';
  erasedUsers?: 'admitted';
}

/** Who may call a route (`access`, checked by the pipeline before `handle`), and what its handler gets. */
export type Authorised<D> =
  | { auth: 'none'; handle(request: HttpRequest, deps: D): Promise<HttpResponse> }
  | { auth: 'api_key'; access: Access; handle(request: AuthenticatedRequest, deps: D): Promise<HttpResponse> };

interface RouteCommon extends RouteOptions {
  method: HttpMethod;
  /** API Gateway path template: `{name}` matches one segment. */
  path: string;
  fn: HttpFunctionName;
  /**
   * `'function-url'`: served at its function's URL (a Lambda function URL: payload 2.0, route key `$default`), not the
   * HTTP API. MX's webhooks are most of the requests at scale; the HTTP API bills each, a function URL none.
   */
  endpoint?: 'function-url';
  /** One line for the route listing and the API document. */
  summary: string;
  /**
   * `false`: an authenticated write whose answer must never be stored (a widget URL is a credential, used once); `true`:
   * a DELETE that honours `Idempotency-Key` too, so a repeat answers as the first did (MX's second would be 404).
   */
  idempotent?: boolean;
  /** Built only with the document, never at a cold start. `z` spares a module that parses nothing loading zod itself. */
  docs: (z: Zod) => OperationDocs;
}

/** One route of the API, declared once by the slice that owns it; `handle` also gets the slice's `deps`. */
export type Route<D = unknown> = RouteCommon & Authorised<D>;

export type AuthenticatedRoute<D = unknown> = Extract<Route<D>, { auth: 'api_key' }>;

/** API Gateway's route key (`"POST /webhooks"`). */
export const routeKey = (route: Pick<RouteCommon, 'method' | 'path'>): string => `${route.method} ${route.path}`;

/** HttpApi's catch-all route key; `api-fallback` answers problem+json instead of API Gateway's own. */
export const DEFAULT_ROUTE_KEY = '$default';

const IDEMPOTENT_METHODS = new Set(['POST', 'PUT']);

/** Exactly these honour `Idempotency-Key`: authenticated POSTs and PUTs, and the DELETEs that say so. */
export const isIdempotentWrite = (route: { method: string; auth: 'api_key' | 'none'; idempotent?: boolean }): boolean =>
  route.auth === 'api_key' &&
  (IDEMPOTENT_METHODS.has(route.method) ? route.idempotent !== false : route.method === 'DELETE' && route.idempotent === true);
