import type { Config } from '../config.ts';
import { idempotent } from '../http/idempotency.ts';
import { DELIVERY_ROUTES, type DeliveryRouteDeps } from '../notify/delivery-routes.ts';
import { WEBHOOK_ROUTES, type WebhookRouteDeps } from '../notify/webhook-routes.ts';
import { httpHandler } from './http-handler.ts';
import { sqsOf } from './queues.ts';
import { type Given, runtimeOf } from './runtime.ts';
import { apiKeyAccessOf, idempotencyOf } from './api-access.ts';
import { tableOf } from './storage.ts';
import { deliveryStoreOf } from './delivery-store.ts';
import { notifierOf } from './notifier.ts';

/** api-webhooks. The test route waits for one attempt, so this function's timeout exceeds WEBHOOK_TIMEOUT_MS. */
export function composeApiWebhooks(config: Config, given?: Given) {
  const runtime = runtimeOf(config, given);
  const table = tableOf(config);
  const notifier = notifierOf(runtime, deliveryStoreOf(runtime, table, sqsOf(runtime)));
  // Create and rotate-secret answer with the new signing secret: their stored answers are sealed like the secrets.
  const idempotency = { ...idempotencyOf(runtime, table), sealBodies: notifier.secretBox };
  const handler = httpHandler<WebhookRouteDeps & DeliveryRouteDeps>(runtime, [...WEBHOOK_ROUTES, ...DELIVERY_ROUTES], notifier, {
    keys: apiKeyAccessOf(runtime, table),
    idempotent: (route) => idempotent(route, idempotency),
  });
  return { handler, runtime, notifier };
}
