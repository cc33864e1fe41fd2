import type { AuthenticatedOperation, Authorised, Operation, OperationOptions, Operations } from './http-handler.ts';
import type { OperationDocs, Zod } from './openapi/operation-docs.ts';

/** The Lambdas that serve HTTP routes. */
export type HttpFunctionName =
  'api-refresh' | 'api-jobs' | 'api-read' | 'api-webhooks' | 'api-connect' | 'api-fallback' | 'mx-events' | 'api-docs';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface RouteCommon extends OperationOptions {
  method: HttpMethod;
  /** API Gateway path template: `{name}` matches one segment. */
  path: string;
  fn: HttpFunctionName;
  /** One line for the route listing and the API document. */
  summary: string;
  /** `false`: an authenticated write whose answer must never be stored (a widget URL is a credential, used once). */
  idempotent?: false;
  /** Built only with the document, never at a cold start. `z` spares a module that parses nothing loading zod itself. */
  docs: (z: Zod) => OperationDocs;
}

/** One route of the API, declared once by the slice that owns it; `handle` also gets the slice's `deps`. */
export type Route<D = unknown> = RouteCommon & Authorised<[deps: D]>;

/** API Gateway's route key (`"POST /webhooks"`). */
export const routeKey = (route: Pick<RouteCommon, 'method' | 'path'>): string => `${route.method} ${route.path}`;

/** HttpApi's catch-all route key; `api-fallback` answers problem+json instead of API Gateway's own. */
export const DEFAULT_ROUTE_KEY = '$default';

const IDEMPOTENT_METHODS = new Set(['POST', 'PUT']);

/** Exactly these honour `Idempotency-Key`: authenticated POSTs and PUTs. */
export const isIdempotentWrite = (route: { method: string; auth: 'api_key' | 'none'; idempotent?: false }): boolean =>
  route.auth === 'api_key' && IDEMPOTENT_METHODS.has(route.method) && route.idempotent !== false;

/** The operations of `routes`, by route key. A function serving idempotent writes passes `idempotent`; only such load it. */
export function operationsOf<D>(
  routes: readonly Route<D>[],
  deps: D,
  idempotent?: (operation: AuthenticatedOperation) => AuthenticatedOperation,
): Operations {
  const operations: Operations = {};
  for (const route of routes) {
    const key = routeKey(route);
    if (operations[key]) throw new Error(`${key} is declared twice`);
    operations[key] = operationOf(route, deps, idempotent);
  }
  return operations;
}

function operationOf<D>(
  route: Route<D>,
  deps: D,
  idempotent: ((operation: AuthenticatedOperation) => AuthenticatedOperation) | undefined,
): Operation {
  const common = { body: route.body, query: route.query, erasedUsers: route.erasedUsers };
  if (route.auth === 'none') return { ...common, auth: 'none', handle: (request) => route.handle(request, deps) };
  const operation: AuthenticatedOperation = {
    ...common,
    auth: 'api_key',
    access: route.access,
    handle: (request) => route.handle(request, deps),
  };
  if (!isIdempotentWrite(route)) return operation;
  if (!idempotent) throw new Error(`${routeKey(route)} honours Idempotency-Key: its function must pass the key store`);
  return idempotent(operation);
}
