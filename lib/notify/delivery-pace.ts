import { type Clock, toEpochSeconds } from '../clock.ts';
import type { WindowCounter } from '../store/rate-limit-repo.ts';
import type { Webhook } from './webhooks-repo.ts';

/** A second's counter is kept a minute, then DynamoDB may drop it. */
const WINDOW_RETENTION_SECONDS = 60;

/**
 * A webhook's own rate (`maxDeliveriesPerSecond`, set by its receiver): each attempt takes a place in the
 * current second's counter, shared by every container (one write per attempt, only for webhooks that set a rate). An
 * attempt past the rate waits for the second its place falls in, as if each later second took the rate's worth —
 * a backlog is spread over the seconds it needs rather than retried every second.
 *
 * @example
 * const wait = await pace.wait(webhook); // 0: attempt now; else re-queue the attempt `wait` ms later
 */
export class DeliveryPace {
  constructor(private readonly deps: { counter: WindowCounter; clock: Clock }) {}

  /** How long the next attempt to `webhook` must wait, in ms: 0 when it may go now (or the webhook sets no rate). */
  async wait(webhook: Pick<Webhook, 'id' | 'maxDeliveriesPerSecond'>): Promise<number> {
    const limit = webhook.maxDeliveriesPerSecond;
    if (limit === undefined) return 0;
    const now = this.deps.clock.now();
    const second = now - (now % 1000);
    const place = await this.deps.counter.take(
      `webhook:${webhook.id}`,
      second,
      1,
      toEpochSeconds(second) + WINDOW_RETENTION_SECONDS,
    );
    return place < limit ? 0 : second + Math.floor(place / limit) * 1000 - now;
  }
}
