import { idempotent } from '../lib/http/idempotency.ts';
import { operationsOf } from '../lib/http/route.ts';
import { DELIVERY_ROUTES, type DeliveryRouteDeps } from '../lib/notify/delivery-routes.ts';
import { SUBSCRIPTION_ROUTES, type SubscriptionRouteDeps } from '../lib/notify/subscription-routes.ts';
import { getServices } from '../lib/services/container.ts';
import { httpHandler } from '../lib/services/http.ts';
import { notifier } from '../lib/services/notifier.ts';
import { apiKeyAccess, idempotency } from '../lib/services/store.ts';

const services = getServices();
const webhooks = notifier(services);

/**
 * Webhook subscriptions and their delivery log and replays. The test route waits for one attempt, so this function's
 * timeout must exceed WEBHOOK_TIMEOUT_MS.
 */
export const handler = httpHandler(
  services,
  operationsOf<SubscriptionRouteDeps & DeliveryRouteDeps>(
    [...SUBSCRIPTION_ROUTES, ...DELIVERY_ROUTES],
    webhooks,
    // Create and rotate-secret answer with the new signing secret: their stored answers are sealed like the secrets.
    (operation) => idempotent(operation, { ...idempotency(services), sealBodies: webhooks.secretBox }),
  ),
  apiKeyAccess(services),
);
