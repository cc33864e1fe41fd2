import type { ApiKeyAuthenticator } from '../http/auth.ts';
import { createHttpHandler, type Operations, requestIdOf } from '../http/http-handler.ts';
import type { Services } from './container.ts';
import { keyRequestLimit } from './store.ts';
import { inLogContext, observability } from './observability.ts';

/**
 * An API Gateway handler for `operations`, with the container's logger and metrics. Every line logged while it
 * serves a request carries the `request_id` the client receives (`x-request-id`, problem bodies). `authenticator`
 * (see store.ts) is needed when an operation takes an API key; it is built at the first such request.
 */
export function httpHandler(services: Services, operations: Operations, authenticator?: () => ApiKeyAuthenticator) {
  const handler = createHttpHandler(operations, {
    log: services.log,
    metrics: services.metrics,
    authenticator,
    keyLimit: authenticator ? keyRequestLimit(services) : undefined,
  }).use(observability(services));
  return inLogContext(handler, (event) => ({
    request_id: requestIdOf(event),
    gateway_request_id: event.requestContext.requestId,
  }));
}
