import { webhooksOperations } from '../lib/notify/webhooks-api.ts';
import { getServices } from '../lib/services.ts';

const services = getServices();

/** Webhook subscriptions: create (returns the signing secret once), list, read, delete. */
export const operations = webhooksOperations({
  webhooks: services.notifier.webhooks,
  allowInsecureUrls: services.config.webhooks.allowInsecureUrls,
});

export const handler = services.httpHandler(operations);
