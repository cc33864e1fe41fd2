import { createNotifier, type DeliveryStore, type Notifier } from '../notify/notifier.ts';
import type { Runtime } from './runtime.ts';
import { webhookSecretBox } from './secret-boxes.ts';

/** The webhook product: webhooks, deliveries, replays and the HTTP agent that sends the attempts. */
export function notifierOf(runtime: Runtime, store: DeliveryStore): Notifier {
  const { config, clock, log, metrics } = runtime;
  return createNotifier({
    ...store,
    clock,
    log,
    metrics,
    secretBox: webhookSecretBox(runtime),
    timeoutMs: config.webhooks.timeoutMs,
    allowInsecureUrls: config.webhooks.allowInsecureUrls,
  });
}
