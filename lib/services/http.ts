import type { ApiKeyAuthenticator } from '../http/auth.ts';
import { createHttpHandler, type Operations, requestIdOf } from '../http/http-handler.ts';
import type { KeyRequestLimit } from '../http/key-request-limit.ts';
import type { Services } from './container.ts';
import { inLogContext, observability } from './observability.ts';

/** How a function takes API keys: `apiKeyAccess(services)` from store.ts. */
export interface ApiKeyAccess {
  /** Built at the first request that carries a key. */
  authenticator: () => ApiKeyAuthenticator;
  keyLimit: KeyRequestLimit | undefined;
}

/**
 * An API Gateway handler for `operations`, with the container's logger and metrics. Every line logged while it
 * serves a request carries the `request_id` the client receives (`x-request-id`, problem bodies). `keys` is needed
 * when an operation takes an API key.
 */
export function httpHandler(services: Services, operations: Operations, keys?: ApiKeyAccess) {
  const handler = createHttpHandler(operations, {
    log: services.log,
    metrics: services.metrics,
    authenticator: keys?.authenticator,
    keyLimit: keys?.keyLimit,
  }).use(observability(services));
  return inLogContext(handler, (event) => ({
    request_id: requestIdOf(event),
    gateway_request_id: event.requestContext.requestId,
  }));
}
