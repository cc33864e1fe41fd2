import { createNotifier, type Notifier } from '../notify/index.ts';
import type { Services } from './container.ts';
import { sqsClient } from './queues.ts';
import { webhookSecretBox } from './secret-boxes.ts';
import { table } from './store.ts';

/** The webhook product, whole: subscriptions, deliveries, replays and the HTTP agent that sends the attempts. */
export function notifier(services: Services): Notifier {
  return services.once(notifier, () =>
    createNotifier({
      table: table(services),
      sqs: sqsClient(services),
      deliveryQueueUrl: services.config.queues.delivery,
      clock: services.clock,
      log: services.log,
      metrics: services.metrics,
      secretBox: webhookSecretBox(services),
      timeoutMs: services.config.webhooks.timeoutMs,
      allowInsecureUrls: services.config.webhooks.allowInsecureUrls,
      dispatcher: services.overrides.webhookDispatcher,
    }),
  );
}
