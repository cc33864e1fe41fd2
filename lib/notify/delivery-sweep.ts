import { type Clock, toIso } from '../clock.ts';
import type { Log } from '../logger.ts';
import type { AGGREGATION_METRICS } from '../aggregation/aggregation-metrics.ts';
import type { MetricsSink } from '../metrics.ts';
import type { NOTIFY_METRICS } from './notify-metrics.ts';
import type { DelayedQueue } from '../queue/delayed-queue.ts';
import type { DeliveriesRepository } from './deliveries-repo.ts';
import type { DeliveryLogReader } from './delivery-log.ts';
import type { WaitingDeliveries } from './waiting-deliveries.ts';
import { canMove } from './delivery.ts';
import type { DeliveryMessage } from './delivery-message.ts';
import type { SweepCheckpointsRepository } from './sweep-checkpoints-repo.ts';
import type { Webhook, WebhooksRepository } from './webhooks-repo.ts';
import { breakerState } from './endpoint-health.ts';

/** A backlog is drained over several sweeps rather than flooding the queue at once. */
export const MAX_REDELIVERIES_PER_SWEEP = 1_000;

/** Deliveries looked at per sweep at most, in all webhooks' logs: a backlog is walked over several sweeps. */
export const MAX_SETTLE_CHECKS_PER_SWEEP = 50_000;

/** Each sweep sends the swept retries due within this: longer than two sweeps apart, shorter than SQS's longest delay. */
export const SWEPT_RETRY_LOOKAHEAD_MS = 10 * 60_000;
/** Per shard and sweep: a backlog is sent over several sweeps. */
export const MAX_SWEPT_RETRIES_PER_SHARD = 5_000;

/** A webhook the sweeper has no mark for yet (the first sweep, a new webhook) is looked at this far back. */
export const FIRST_SETTLE_LOOKBACK_MS = 60 * 60_000;

export interface DeliverySweepDeps {
  deliveries: Pick<DeliveriesRepository, 'track'>;
  deliveryLog: Pick<DeliveryLogReader, 'createdBetween'>;
  waiting: Pick<WaitingDeliveries, 'overdue' | 'firstPendingEndpoint' | 'held' | 'sweptRetriesDue'>;
  webhooks: Pick<WebhooksRepository, 'list'>;
  checkpoints: Pick<
    SweepCheckpointsRepository,
    'deliveries' | 'saveDeliveries' | 'retriesSentThrough' | 'saveRetriesSentThrough'
  >;
  queue: Pick<DelayedQueue<DeliveryMessage>, 'scheduleAllIn' | 'scheduleAll'>;
  /** Overdue by more than this: the delivery's queue message is lost (or dead-lettered). */
  stalledAfterMs: number;
  maxSettleChecks?: number;
  clock: Clock;
  log: Log;
  metrics: MetricsSink<typeof NOTIFY_METRICS & typeof AGGREGATION_METRICS>;
  /** The job an event is about, for the log lines. */
  jobIdOf?: (msgId: string) => string | undefined;
}

/** The deliveries' part of a sweep: the table is the truth, queue messages are hints. */
export class DeliverySweep {
  constructor(private readonly deps: DeliverySweepDeps) {}

  async sweep(): Promise<{ tracked: number; redelivered: number; probed: number; resumed: number; retried: number }> {
    const webhooks = await this.deps.webhooks.list();
    const tracked = await this.#trackUnsettled(webhooks);
    const redelivered = await this.#redeliverOverdue();
    return {
      tracked,
      redelivered,
      probed: await this.probeHeldEndpoints(webhooks),
      resumed: await this.#resumeStranded(webhooks),
      retried: await this.#sendSweptRetries(),
    };
  }

  /**
   * Enabling a webhook sends what is held for it, but a delivery held a moment before may be missed (its worker saw the
   * webhook before the change): each sweep sends the held deliveries of every webhook that takes them again.
   */
  async #resumeStranded(webhooks: readonly Webhook[]): Promise<number> {
    const { waiting, queue, clock, log, metrics } = this.deps;
    let resumed = 0;
    for (const webhook of webhooks) {
      if (webhook.status !== 'enabled' || breakerState(webhook, clock.now()) !== 'closed') continue;
      const held = await waiting.held(webhook);
      if (held.length === 0) continue;
      await queue.scheduleAllIn(
        held.map(({ msgId, attemptCount }) => ({ webhook_id: webhook.id, msg_id: msgId, attempt: attemptCount + 1 })),
        0,
      );
      resumed += held.length;
      metrics.add('SweeperRecoveries', held.length, { action: 'resumed' });
      log.warn('sweeper: deliveries held for an endpoint that takes them again, sent', {
        webhook_id: webhook.id,
        resumed: held.length,
      });
    }
    return resumed;
  }

  /**
   * A retry due past SQS's longest delay has no queue message: each sweep sends those falling due soon, delayed to their
   * due time. One lost on the way is overdue, and re-driven as any other.
   */
  async #sendSweptRetries(): Promise<number> {
    const { waiting, checkpoints, queue, clock, stalledAfterMs, log } = this.deps;
    const now = clock.now();
    const after = (await checkpoints.retriesSentThrough()) ?? toIso(now - stalledAfterMs);
    const { retries, through } = await waiting.sweptRetriesDue(
      after,
      now + SWEPT_RETRY_LOOKAHEAD_MS,
      MAX_SWEPT_RETRIES_PER_SHARD,
    );
    await queue.scheduleAll(
      retries.map((retry) => ({ webhook_id: retry.webhookId, msg_id: retry.msgId, attempt: retry.attempt, due_at: retry.dueAt })),
    );
    await checkpoints.saveRetriesSentThrough(through);
    if (retries.length > 0) log.debug('sweeper: retries sent as they fall due', { sent: retries.length, through });
    return retries.length;
  }

  /**
   * A breaker probes with the next attempt due; when every delivery of the endpoint is held, none would come, so one held
   * delivery is sent. Also records `WebhookBreakerOpenAge`.
   */
  async probeHeldEndpoints(webhooks: readonly Webhook[]): Promise<number> {
    const { waiting, queue, clock, log, metrics } = this.deps;
    const now = clock.now();
    let oldest = 0;
    let probed = 0;
    for (const webhook of webhooks) {
      const state = breakerState(webhook, now);
      if (webhook.status !== 'enabled' || state === 'closed') continue;
      if (webhook.failingSince) oldest = Math.max(oldest, now - Date.parse(webhook.failingSince));
      const probeUntil = webhook.breaker?.probeUntil;
      if (state !== 'probing' || (probeUntil !== undefined && Date.parse(probeUntil) > now)) continue;
      const held = await waiting.firstPendingEndpoint(webhook);
      if (!held) continue;
      await queue.scheduleAllIn([{ webhook_id: webhook.id, msg_id: held.msgId, attempt: held.attemptCount + 1 }], 0);
      probed++;
      log.info('sweeper: probing a failing endpoint with one held delivery', { webhook_id: webhook.id, msg_id: held.msgId });
    }
    metrics.add('WebhookBreakerOpenAge', oldest, {});
    return probed;
  }

  /**
   * Gives deliveries still pending without a due key a stall window after publication (the first message lost) one, due
   * when published, so `#redeliverOverdue` re-drives them. Marks advance only over what was read: the next sweep resumes.
   */
  async #trackUnsettled(webhooks: readonly Webhook[]): Promise<number> {
    const { deliveries, deliveryLog, checkpoints, stalledAfterMs, clock, log, metrics, jobIdOf } = this.deps;
    const until = clock.now() - stalledAfterMs;
    const marks = await checkpoints.deliveries();
    const markOf = (webhook: { id: string; createdAt: string }) =>
      marks.get(webhook.id) ?? toIso(Math.max(until - FIRST_SETTLE_LOOKBACK_MS, Date.parse(webhook.createdAt)));
    // Log positions start with their ISO time, so text order is time order.
    const byMark = [...webhooks].sort((a, b) => (markOf(a) < markOf(b) ? -1 : 1));
    const next = new Map<string, string>();
    let budget = this.deps.maxSettleChecks ?? MAX_SETTLE_CHECKS_PER_SWEEP;
    let tracked = 0;
    for (const webhook of byMark) {
      const mark = markOf(webhook);
      next.set(webhook.id, mark);
      if (mark >= toIso(until) || budget === 0) continue;
      const window = await deliveryLog.createdBetween(webhook, mark, until, budget);
      budget -= window.deliveries.length;
      for (const delivery of window.deliveries) {
        if (!canMove('attempt', delivery.status) || delivery.hasDueKey) continue;
        if (!(await deliveries.track(webhook, delivery.msgId, Date.parse(delivery.createdAt)))) continue;
        tracked++;
        metrics.add('SweeperRecoveries', 1, { action: 'tracked' });
        log.warn('sweeper: a webhook delivery is unsettled a stall window after it was published', {
          job_id: jobIdOf?.(delivery.msgId),
          webhook_id: webhook.id,
          msg_id: delivery.msgId,
          created_at: delivery.createdAt,
        });
      }
      next.set(webhook.id, window.last ?? toIso(until));
      if (window.last !== undefined) {
        const readUpTo = window.last.split('#')[0]!;
        log.warn('sweeper: more deliveries published than one sweep reads; the rest is read next sweep', {
          webhook_id: webhook.id,
          read_up_to: readUpTo,
          behind_ms: until - Date.parse(readUpTo),
        });
      }
    }
    await checkpoints.saveDeliveries(next);
    return tracked;
  }

  /**
   * Re-queues every attempt overdue by the stall window: a lost message would otherwise leave it `pending` for good. Safe
   * with an attempt under way: a leased one is left alone, and the deliverer makes each attempt once. The same
   * `webhook-id` lets a receiver that got the lost attempt dedupe the new one.
   */
  async #redeliverOverdue(): Promise<number> {
    const { waiting, queue, stalledAfterMs, clock, log, metrics, jobIdOf } = this.deps;
    const now = clock.now();
    const stalled = (await waiting.overdue(now - stalledAfterMs, MAX_REDELIVERIES_PER_SWEEP)).filter(
      (delivery) => delivery.leaseUntil === undefined || delivery.leaseUntil <= now,
    );
    await queue.scheduleAllIn(
      stalled.map((delivery) => ({ webhook_id: delivery.webhookId, msg_id: delivery.msgId, attempt: delivery.attemptCount + 1 })),
      0,
    );
    for (const delivery of stalled) {
      metrics.add('SweeperRecoveries', 1, { action: 'redelivered' });
      log.warn('sweeper: re-driving a stalled webhook delivery', {
        job_id: jobIdOf?.(delivery.msgId),
        webhook_id: delivery.webhookId,
        msg_id: delivery.msgId,
        attempt: delivery.attemptCount + 1,
        due_at: delivery.dueAt,
      });
    }
    return stalled.length;
  }
}
