import type { ApiKeyAuthenticator } from '../http/auth.ts';
import { createHttpHandler, type HttpHandlerDeps, requestIdOf } from '../http/http-handler.ts';
import type { Route } from '../http/route.ts';
import type { KeyRequestLimit } from '../http/key-request-limit.ts';
import { inLogContext, observability } from './observability.ts';
import type { Runtime, RuntimeConfig } from './runtime.ts';

/** How a function takes API keys: their check, the per-key limit, erased users refused. */
export interface ApiKeyAccess {
  authenticator: ApiKeyAuthenticator;
  keyLimit: KeyRequestLimit | undefined;
  refuseErasedUser: (userId: string) => Promise<void>;
}

/** Every line logged while serving a request carries the `request_id` the client receives. */
export function httpHandler<D>(
  runtime: Runtime<RuntimeConfig>,
  routes: readonly Route<D>[],
  routeDeps: D,
  options: { keys?: ApiKeyAccess } & Pick<HttpHandlerDeps, 'idempotent' | 'fallback'> = {},
) {
  const { keys } = options;
  const handler = createHttpHandler(routes, routeDeps, {
    log: runtime.log,
    metrics: runtime.metrics,
    authenticator: keys && (() => keys.authenticator),
    keyLimit: keys?.keyLimit,
    refuseErasedUser: keys?.refuseErasedUser,
    idempotent: options.idempotent,
    fallback: options.fallback,
  }).use(observability(runtime));
  return inLogContext(handler, (event) => ({
    request_id: requestIdOf(event),
    gateway_request_id: event.requestContext.requestId,
  }));
}
