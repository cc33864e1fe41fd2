import { type Clock, toEpochSeconds } from '../clock.ts';
import type { WindowCounter } from '../store/rate-limit-repo.ts';
import type { Webhook } from './webhooks-repo.ts';

const WINDOW_RETENTION_SECONDS = 60;

/**
 * A webhook's own rate, set by its receiver, counted per second across containers. An attempt past it waits for the
 * second its place falls in, so a backlog is spread over the seconds it needs rather than retried every second.
 *
 * @example
 * const wait = await pace.wait(webhook); // 0: attempt now; else re-queue the attempt `wait` ms later
 */
export class DeliveryPace {
  constructor(private readonly deps: { counter: WindowCounter; clock: Clock }) {}

  /** 0 when the attempt may go now. */
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
