import type { Clock } from '../clock.ts';
import type { Log } from '../logger.ts';
import type { MetricsSink } from '../metrics.ts';
import type { Webhook, WebhooksRepository } from './webhooks-repo.ts';

/** An endpoint whose attempts have all failed for this long is disabled (Svix's rule). */
export const FAILING_DISABLE_AFTER_MS = 5 * 24 * 60 * 60 * 1000;

export interface EndpointHealthDeps {
  webhooks: Pick<WebhooksRepository, 'markFailing' | 'markHealthy' | 'disable'>;
  clock: Clock;
  log: Log;
  metrics: MetricsSink;
}

/**
 * Tracks each endpoint's failure streak from its attempts: the first failure after a success starts it
 * (`failing_since`), a success ends it, and a streak of FAILING_DISABLE_AFTER_MS (counted from the webhook's last
 * enabling, if later) disables the webhook.
 * Deliveries of a disabled webhook are kept (`pending_endpoint`) until it is enabled again.
 */
export class EndpointHealth {
  constructor(private readonly deps: EndpointHealthDeps) {}

  async succeeded(webhook: Pick<Webhook, 'id' | 'failingSince'>): Promise<void> {
    if (webhook.failingSince !== undefined) await this.deps.webhooks.markHealthy(webhook.id);
  }

  /** `webhook` as read before the attempt: a streak already under way is not written again. */
  async failed(webhook: Pick<Webhook, 'id' | 'failingSince' | 'enabledAt'>): Promise<void> {
    const failingSince = webhook.failingSince ?? (await this.deps.webhooks.markFailing(webhook.id));
    if (failingSince === undefined) return;
    const counted = Math.max(Date.parse(failingSince), webhook.enabledAt === undefined ? 0 : Date.parse(webhook.enabledAt));
    if (this.deps.clock.now() - counted < FAILING_DISABLE_AFTER_MS) return;
    if (await this.deps.webhooks.disable(webhook.id, 'endpoint_failing')) {
      this.deps.metrics.add('WebhookEndpointsDisabled', 1, {});
      this.deps.log.warn('webhook disabled: endpoint failing', {
        webhook_id: webhook.id,
        failing_since: failingSince,
      });
    }
  }
}
