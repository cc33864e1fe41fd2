import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { ApiKeyAuthenticator } from '../http/auth.ts';
import { createHttpHandler, type Operations } from '../http/http-handler.ts';
import type { Services } from './container.ts';

/**
 * An API Gateway handler for `operations`, with the container's logger. `authenticator` (see store.ts) is needed
 * when an operation takes an API key; it is built at the first such request.
 */
export function httpHandler(services: Services, operations: Operations, authenticator?: () => ApiKeyAuthenticator) {
  return createHttpHandler(operations, { log: services.log, authenticator }).use(injectLambdaContext(services.log));
}
