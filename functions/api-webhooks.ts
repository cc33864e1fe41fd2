import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { createHttpHandler } from '../lib/http/http-handler.ts';
import { webhooksOperations } from '../lib/notify/webhooks-api.ts';
import { getServices } from '../lib/services.ts';

const services = getServices();

/** Webhook subscriptions: create (returns the signing secret once), list, read, delete. */
export const handler = createHttpHandler(
  webhooksOperations({ webhooks: services.notifier.webhooks, allowInsecureUrls: services.config.webhooks.allowInsecureUrls }),
  services,
).use(injectLambdaContext(services.log));
