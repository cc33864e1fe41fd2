import { ConflictError } from '../errors.ts';
import type { Log } from '../logger.ts';
import type { DelayedQueue } from '../queue/delayed-queue.ts';
import type { DeliveriesRepository, DeliveryLog, DeliveryLogPosition } from './deliveries-repo.ts';
import type { DeliveryLogReader } from './delivery-log.ts';
import type { WaitingDeliveries } from './waiting-deliveries.ts';
import { canMove, type Delivery, type DeliveryFilter } from './delivery.ts';
import type { DeliveryMessage } from './delivery-message.ts';
import { MAX_ATTEMPTS_PER_DELIVERY } from './retry-schedule.ts';

/** Per call; the answer says where to continue. */
const MAX_REPLAY_BATCH = 500;
const REPLAY_PAGE_SIZE = 100;
/** Bounds the reads of one call when a status filter matches few deliveries of a long range. */
const MAX_REPLAY_PAGES = 10;
const SEND_CONCURRENCY = 16;

export class AttemptLimitError extends ConflictError {
  constructor(msgId: string) {
    super(`Delivery ${msgId} has reached ${MAX_ATTEMPTS_PER_DELIVERY} attempts and cannot be replayed.`, {
      code: 'NOTIFY_ATTEMPT_LIMIT',
    });
    this.name = 'AttemptLimitError';
  }
}

export interface RedeliveryDeps {
  deliveries: Pick<DeliveriesRepository, 'get' | 'startRound'>;
  deliveryLog: Pick<DeliveryLogReader, 'page'>;
  waiting: Pick<WaitingDeliveries, 'listWaiting'>;
  queue: Pick<DelayedQueue<DeliveryMessage>, 'scheduleAllIn'>;
  log: Log;
}

export interface RangeReplay {
  replayed: number;
  /** At their attempt limit. */
  skipped: number;
  next?: DeliveryLogPosition;
}

/**
 * Replays and resumptions queue the delivery's next attempt number, so the `webhook-id` and body are the original ones
 * and a duplicate message still makes one attempt. The callers check the webhook.
 */
export class Redelivery {
  constructor(private readonly deps: RedeliveryDeps) {}

  async replay(log: DeliveryLog, msgId: string): Promise<Delivery | undefined> {
    const delivery = await this.deps.deliveries.get(log, msgId);
    if (!delivery) return undefined;
    if (!(await this.replayDelivery(log, delivery))) throw new AttemptLimitError(msgId);
    this.deps.log.info('webhook delivery replayed', { webhook_id: log.id, msg_id: msgId });
    return (await this.deps.deliveries.get(log, msgId)) ?? delivery;
  }

  async replayRange(log: DeliveryLog, filter: DeliveryFilter, after?: DeliveryLogPosition): Promise<RangeReplay> {
    let replayed = 0;
    let skipped = 0;
    let next = after;
    let pages = 0;
    do {
      const page = await this.deps.deliveryLog.page(log, filter, {
        order: 'oldest_first',
        limit: Math.min(REPLAY_PAGE_SIZE, MAX_REPLAY_BATCH - replayed - skipped),
        after: next,
      });
      const ready = await inBatches(page.deliveries, (delivery) => this.startReplay(log, delivery));
      const queued = page.deliveries.filter((_, index) => ready[index]);
      await this.queueAttempts(log.id, queued);
      replayed += queued.length;
      skipped += page.deliveries.length - queued.length;
      next = page.next;
      pages += 1;
    } while (next && replayed + skipped < MAX_REPLAY_BATCH && pages < MAX_REPLAY_PAGES);
    this.deps.log.info('webhook deliveries replayed', { webhook_id: log.id, replayed, skipped, complete: !next });
    return { replayed, skipped, ...(next ? { next } : {}) };
  }

  /** Queues every delivery waiting for the endpoint, now. The webhook must be enabled (its breaker closed) first. */
  async resumeWaiting(log: DeliveryLog): Promise<number> {
    const pending = await this.deps.waiting.listWaiting(log);
    await this.queueAttempts(log.id, pending);
    this.deps.log.info('webhook deliveries resumed', { webhook_id: log.id, resumed: pending.length });
    return pending.length;
  }

  /** If the round was started concurrently, the queued attempt is still the right one. */
  private async replayDelivery(log: DeliveryLog, delivery: Delivery): Promise<boolean> {
    if (!(await this.startReplay(log, delivery))) return false;
    await this.queueAttempts(log.id, [delivery]);
    return true;
  }

  /** False at the attempt limit. */
  private async startReplay(log: DeliveryLog, delivery: Delivery): Promise<boolean> {
    if (delivery.attemptCount >= MAX_ATTEMPTS_PER_DELIVERY) return false;
    const { status, attemptCount } = delivery;
    if (canMove('replay', status)) await this.deps.deliveries.startRound(log, delivery.msgId, { status, attemptCount });
    return true;
  }

  private async queueAttempts(webhookId: string, deliveries: readonly { msgId: string; attemptCount: number }[]): Promise<void> {
    await this.deps.queue.scheduleAllIn(
      deliveries.map(({ msgId, attemptCount }) => ({ webhook_id: webhookId, msg_id: msgId, attempt: attemptCount + 1 })),
      0,
    );
  }
}

async function inBatches<T, R>(items: readonly T[], run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += SEND_CONCURRENCY) {
    results.push(...(await Promise.all(items.slice(start, start + SEND_CONCURRENCY).map(run))));
  }
  return results;
}
