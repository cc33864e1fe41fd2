import { type Clock, toIso } from '../clock.ts';
import type { Log } from '../logger.ts';
import type { MetricsSink } from '../metrics.ts';
import type { DelayedQueue } from '../queue/delayed-queue.ts';
import type { DeliveriesRepository } from './deliveries-repo.ts';
import type { DeliveryLogReader } from './delivery-log.ts';
import type { WaitingDeliveries } from './waiting-deliveries.ts';
import { canMove } from './delivery.ts';
import type { DeliveryMessage } from './delivery-message.ts';
import type { SweepCheckpointsRepository } from './sweep-checkpoints-repo.ts';
import type { Webhook, WebhooksRepository } from './webhooks-repo.ts';
import { breakerState } from './endpoint-health.ts';

/** Re-drives per sweep at most: a backlog is drained over several sweeps rather than flooding the queue at once. */
export const MAX_REDELIVERIES_PER_SWEEP = 1_000;

/**
 * Deliveries looked at per sweep at most, in all webhooks' logs (500 batch reads of 100): a backlog is walked
 * over several sweeps. At a sweep every 2 minutes, that keeps up with about 400 deliveries a second.
 */
export const MAX_SETTLE_CHECKS_PER_SWEEP = 50_000;

/**
 * Each sweep sends the retries left to it (those due more than SQS's 15 minutes after their attempt) that fall due
 * within this: longer than two sweeps apart (2 minutes deployed), shorter than SQS's longest delay.
 */
export const SWEPT_RETRY_LOOKAHEAD_MS = 10 * 60_000;
/** Swept retries sent per shard and sweep at most: a backlog is sent over several sweeps. */
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
  /** MAX_SETTLE_CHECKS_PER_SWEEP by default. */
  maxSettleChecks?: number;
  clock: Clock;
  log: Log;
  metrics: MetricsSink;
  /** The job an event is about, for the log lines (lib/aggregation/job-events.ts names events by their job). */
  jobIdOf?: (msgId: string) => string | undefined;
}

/**
 * The deliveries' part of a sweep (lib/aggregation/sweeper.ts runs it with the jobs'): the table is the truth, queue
 * messages are hints. A delivery whose first message was lost is given a due time; one whose attempt is overdue by the
 * stall window is put back on the delivery queue.
 */
export class DeliverySweep {
  constructor(private readonly deps: DeliverySweepDeps) {}

  /**
   * Deliveries given a due time (`tracked`), those sent again (`redelivered`), held ones sent as probes (`probed`)
   * or because their endpoint takes them again (`resumed`), and the retries left to the sweeper sent as they fall due
   * (`retried`).
   */
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
   * Enabling a webhook, or closing its breaker, sends what is held for it, found in the held index; a delivery held a
   * moment before may not be there yet, and its worker may have seen the webhook before the change. Each sweep sends
   * the held deliveries of every webhook that takes them again.
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
   * A retry due more than 15 minutes after its attempt has no queue message (SQS delays one 15 minutes at most, and a
   * chain of re-sends cost about 113 messages per delivery): its due key names it, and each sweep sends, delayed to
   * their due time, those falling due within SWEPT_RETRY_LOOKAHEAD_MS after where the last sweep stopped. One that is
   * lost on the way is overdue, and re-driven as any other.
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
   * An endpoint's breaker, its hold over, probes with the next attempt due; when every delivery of the endpoint is
   * held, nothing would come: one held delivery is sent for it. Also says how long the oldest open breaker's endpoint
   * has been failing (`WebhookBreakerOpenAge`, alarmed).
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
   * A delivery is published without a due key, and its first attempt follows at once. Each sweep reads, in every
   * webhook's log, the deliveries published since its mark and at least a stall window ago, and gives the ones
   * still pending without a due key (the first message lost, or its attempt never recorded) one, due when it was
   * published: `#redeliverOverdue` then re-drives them as it re-drives any overdue attempt. Marks advance only over
   * what was read, so a sweep that fails or stops at MAX_SETTLE_CHECKS_PER_SWEEP is taken up by the next, oldest
   * mark first.
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
   * Puts every delivery whose attempt is overdue by the stall window back on the delivery queue, as the message for
   * its next attempt: a lost message (a crash between record and send, a dead-lettered one, an engine that lost
   * it) would otherwise leave it `pending` for good. Idempotent with an attempt under way: one holding its lease is
   * left alone, and the deliverer makes each attempt once (a duplicate message finds it taken or made). The attempt
   * goes out under the same `webhook-id`, so a receiver that got the lost attempt dedupes the new one.
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
