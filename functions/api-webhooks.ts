import { idempotentWrites } from '../lib/http/idempotency.ts';
import { deliveriesOperations } from '../lib/notify/deliveries-api.ts';
import { webhooksOperations } from '../lib/notify/webhooks-api.ts';
import { getServices } from '../lib/services.ts';

const services = getServices();

/**
 * Webhook subscriptions (create, list, read, update, delete, rotate-secret, enable, test) and their delivery log
 * and replays. The test operation waits for one attempt, so this function's timeout must exceed
 * WEBHOOK_TIMEOUT_MS.
 */
export const operations = idempotentWrites(
  { ...webhooksOperations(services.notifier), ...deliveriesOperations(services.notifier) },
  services.idempotency,
);

export const handler = services.httpHandler(operations);
