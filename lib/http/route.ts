import type { AuthenticatedOperation, Authorised, Operation, OperationOptions, Operations } from './http-handler.ts';
import type { OperationDocs, Zod } from './openapi/operation-docs.ts';

/** The Lambdas that serve HTTP routes (infra/constructs/function-specs.ts gives each its settings). */
export type HttpFunctionName =
  'api-refresh' | 'api-jobs' | 'api-read' | 'api-webhooks' | 'api-connect' | 'api-fallback' | 'mx-events' | 'api-docs';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface RouteCommon extends OperationOptions {
  method: HttpMethod;
  /** API Gateway path template: `{name}` matches one segment. */
  path: string;
  /** The Lambda that serves it. */
  fn: HttpFunctionName;
  /** One line for the route listing and the API document. */
  summary: string;
  /**
   * `false`: an authenticated POST or PUT whose answer must never be stored, so it does not honour `Idempotency-Key`
   * (a widget URL is a credential, used once; asking twice makes two, which is harmless).
   */
  idempotent?: false;
  /**
   * What the API document says of it, built when the document is (a cold start builds none of it). Most routes'
   * docs reuse the schemas their handlers parse with, imported with them; `z`, handed in by the document's builder,
   * serves a module whose handlers parse nothing with a schema (api-docs: a file is looked up by its name), which
   * then imports no zod, so its function does not load zod at a cold start.
   */
  docs: (z: Zod) => OperationDocs;
}

/**
 * One route of the API, declared once by the slice that owns it: method, path, the function serving it, who may call
 * it, how it is answered and how it is documented. `handle` gets the request and `deps`, what the function's
 * composition (lib/compositions/) gives the slice. The HttpApi (infra), the local gateway and the API document all read the
 * same declarations (lib/route-table.ts).
 */
export type Route<D = unknown> = RouteCommon & Authorised<[deps: D]>;

/** API Gateway's route key for a route (`"POST /webhooks"`): how an event names the route it came by. */
export const routeKey = (route: Pick<RouteCommon, 'method' | 'path'>): string => `${route.method} ${route.path}`;

/** HttpApi's catch-all route key; served by `api-fallback` (problem+json 404/405 instead of API Gateway's own). */
export const DEFAULT_ROUTE_KEY = '$default';

const IDEMPOTENT_METHODS = new Set(['POST', 'PUT']);

/** Exactly these honour `Idempotency-Key`: authenticated POSTs and PUTs. */
export const isIdempotentWrite = (route: { method: string; auth: 'api_key' | 'none'; idempotent?: false }): boolean =>
  route.auth === 'api_key' && IDEMPOTENT_METHODS.has(route.method) && route.idempotent !== false;

/**
 * The operations of `routes`, each answered with `deps`, by route key. Authenticated POSTs and PUTs honour
 * `Idempotency-Key`: a function serving one passes `idempotent` (lib/http/idempotency.ts, bound to its key store),
 * which only such functions load.
 */
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
