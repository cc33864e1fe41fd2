import { type Clock, toIso } from '../clock.ts';
import type { Log } from '../logger.ts';
import { type MetricsSink, noMetrics } from '../metrics.ts';
import type { DelayedQueue } from '../queue/delayed-queue.ts';
import type { PollMessage, ReconcileMessage } from '../queue/poll-message.ts';
import type { ReconcileRepository } from './reconcile-repo.ts';
import type { DeliveryMessage } from '../notify/delivery-message.ts';
import type { DeliveriesRepository } from '../notify/deliveries-repo.ts';
import { canMove } from '../notify/delivery.ts';
import type { JobsRepository } from './jobs-repo.ts';
import type { SweepCheckpointsRepository } from './sweep-checkpoints-repo.ts';
import type { WebhooksRepository } from '../notify/webhooks-repo.ts';
import { jobIdOfEventId } from './job-events.ts';
import type { Job } from './job.ts';

/**
 * A poll this late has lost its message (SQS is never this late), and a job this long ended without its terminal
 * event out has lost the delivery that was publishing it: the sweeper drives either again.
 */
export const STALLED_AFTER_MS = 2 * 60_000;

export interface SweepReport {
  active: number;
  /** Aggregating jobs whose poll was overdue, sent their current step again. */
  repolled: number;
  /** Ended jobs whose terminal event was still not out, sent their last step again (which publishes it). */
  renotified: number;
  released: number;
  /** Webhook deliveries still unsettled a stall window after they were published, given a due key. */
  tracked: number;
  /** Webhook deliveries whose attempt was overdue by the stall window, put back on the delivery queue. */
  redelivered: number;
  /** Users whose members the reconcile was sent to read. */
  reconciled: number;
}

/** The reconcile's part of a sweep: who is due, and the queue its reads go through (lib/aggregation/member-watch.ts). */
export interface ReconcileSweep {
  schedule: Pick<ReconcileRepository, 'due' | 'claim'>;
  queue: Pick<DelayedQueue<ReconcileMessage>, 'schedule'>;
  intervalMs: number;
  maxPerSweep: number;
  /**
   * A full sweep's reads (`maxPerSweep`) are spread over this long (no longer than the sweep's period), so MX never
   * sees them faster than `maxPerSweep` per `spreadMs`.
   */
  spreadMs: number;
}

/** Re-drives per sweep at most: a backlog is drained over several sweeps rather than flooding the queue at once. */
export const MAX_REDELIVERIES_PER_SWEEP = 1_000;

/**
 * Deliveries looked at per sweep at most, in all subscriptions' logs (500 batch reads, a few seconds): a backlog is
 * walked over several sweeps. Every 2 minutes, that keeps up with about 400 deliveries a second.
 */
export const MAX_SETTLE_CHECKS_PER_SWEEP = 50_000;

/** A subscription the sweeper has no mark for yet (the first sweep, a new subscription) is looked at this far back. */
export const FIRST_SETTLE_LOOKBACK_MS = 60 * 60_000;

export interface DeliverySweep {
  deliveries: Pick<DeliveriesRepository, 'overdue' | 'createdBetween' | 'track'>;
  webhooks: Pick<WebhooksRepository, 'list'>;
  checkpoints: Pick<SweepCheckpointsRepository, 'deliveries' | 'saveDeliveries'>;
  queue: Pick<DelayedQueue<DeliveryMessage>, 'scheduleAllIn'>;
  /** Overdue by more than this: the delivery's queue message is lost (or dead-lettered). */
  stalledAfterMs: number;
  /** MAX_SETTLE_CHECKS_PER_SWEEP by default. */
  maxSettleChecks?: number;
}

/**
 * Finds work the poll loop lost — a poll message sent to the dead-letter queue, a send that failed after the job
 * advanced, a terminal event never published — and puts it back on the loop. It only ever schedules the job's
 * current step, so the loop's own step rules make a needless re-poll harmless; for an ended job that step's message
 * publishes the terminal event and frees the member (PollService.handle). Scheduled every few minutes, it keeps any
 * job from staying `aggregating` past its deadline, or ended but unannounced, by more than the schedule period plus
 * STALLED_AFTER_MS.
 */
export class Sweeper {
  constructor(
    private readonly deps: {
      jobs: JobsRepository;
      pollQueue: DelayedQueue<PollMessage>;
      clock: Clock;
      log: Log;
      metrics?: MetricsSink;
      /** A job this late (its poll, or its terminal event) has lost its message; STALLED_AFTER_MS by default. */
      stalledAfterMs?: number;
      /** Webhook deliveries are swept like jobs: the table is the truth, queue messages are hints. */
      deliveries?: DeliverySweep;
      /** Without it (RECONCILE_INTERVAL_MINUTES=0), no reconcile. */
      reconcile?: ReconcileSweep;
    },
  ) {}

  async sweep(): Promise<SweepReport> {
    const { jobs, pollQueue, clock, log, metrics = noMetrics } = this.deps;
    const report: SweepReport = {
      active: 0,
      repolled: 0,
      renotified: 0,
      released: 0,
      tracked: 0,
      redelivered: 0,
      reconciled: 0,
    };
    for await (const pointer of jobs.activeJobs()) {
      report.active++;
      const now = clock.now();
      const job = await jobs.get(pointer.jobId);
      const verdict = job && judgeJob(job, now, this.deps.stalledAfterMs);
      if (job && (verdict === 'poll_lost' || verdict === 'notification_lost')) {
        log.warn(verdict === 'poll_lost' ? 'sweeper: re-polling a stalled job' : 'sweeper: re-driving a lost terminal event', {
          job_id: job.id,
          status: job.status,
          step: job.step,
        });
        await pollQueue.schedule({ job_id: job.id, step: job.step, due_at: now, trigger: 'sweeper' });
        const action = verdict === 'poll_lost' ? 'repolled' : 'renotified';
        report[action]++;
        metrics.add('SweeperRecoveries', 1, { action });
      } else if (!job && now - pointer.claimedAt > (this.deps.stalledAfterMs ?? STALLED_AFTER_MS)) {
        // Claimed a stall window ago and still no job: its refresh died between the claim and the job's write (or MX
        // refused it and the release failed). A younger one's refresh is still waiting for MX.
        await jobs.releasePointer(pointer);
        report.released++;
        metrics.add('SweeperRecoveries', 1, { action: 'released' });
      }
    }
    if (this.deps.deliveries) {
      report.tracked = await this.#trackUnsettled(this.deps.deliveries);
      report.redelivered = await this.#sweepDeliveries(this.deps.deliveries);
    }
    if (this.deps.reconcile) report.reconciled = await this.#reconcile(this.deps.reconcile);
    // Every minute or two, mostly with nothing found: at info only when the sweep did something.
    if (report.repolled + report.renotified + report.released + report.tracked + report.redelivered + report.reconciled > 0)
      log.info('sweep done', { ...report });
    else log.debug('sweep done', { ...report });
    return report;
  }

  /**
   * Sends the users due for the reconcile (at most `maxPerSweep`) to worker-poll, each moved to its next turn first
   * (a conditional write: two sweeps never send one user twice), their reads spread over `spreadMs`.
   */
  async #reconcile(sweep: ReconcileSweep): Promise<number> {
    const { clock, metrics = noMetrics } = this.deps;
    const now = clock.now();
    const due = await sweep.schedule.due(now, sweep.maxPerSweep);
    let sent = 0;
    for (const [index, user] of due.entries()) {
      if (!(await sweep.schedule.claim(user, now + sweep.intervalMs))) continue;
      // At a steady pace: a full sweep's users fill `spreadMs`, a few go at once (MX sees at most that rate).
      const offset = Math.floor((index * sweep.spreadMs) / sweep.maxPerSweep);
      await sweep.queue.schedule({ reconcile: { user_id: user.userId }, due_at: now + offset });
      sent++;
    }
    if (sent > 0) metrics.add('ReconcileScheduled', sent, {});
    return sent;
  }

  /**
   * A delivery is published without a due key, and its first attempt follows at once. Each sweep reads, in every
   * subscription's log, the deliveries published since its mark and at least a stall window ago, and gives the ones
   * still pending without a due key (the first message lost, or its attempt never recorded) one, due when it was
   * published: `#sweepDeliveries` then re-drives them as it re-drives any overdue attempt. Marks advance only over
   * what was read, so a sweep that fails or stops at MAX_SETTLE_CHECKS_PER_SWEEP is taken up by the next, oldest
   * mark first.
   */
  async #trackUnsettled(sweep: DeliverySweep): Promise<number> {
    const { deliveries, webhooks, checkpoints, stalledAfterMs } = sweep;
    const { clock, log, metrics = noMetrics } = this.deps;
    const until = clock.now() - stalledAfterMs;
    const marks = await checkpoints.deliveries();
    const markOf = (subscription: { id: string; createdAt: string }) =>
      marks.get(subscription.id) ?? toIso(Math.max(until - FIRST_SETTLE_LOOKBACK_MS, Date.parse(subscription.createdAt)));
    // Log positions start with their ISO time, so text order is time order.
    const subscriptions = (await webhooks.list()).sort((a, b) => (markOf(a) < markOf(b) ? -1 : 1));
    const next = new Map<string, string>();
    let budget = sweep.maxSettleChecks ?? MAX_SETTLE_CHECKS_PER_SWEEP;
    let tracked = 0;
    for (const subscription of subscriptions) {
      const mark = markOf(subscription);
      next.set(subscription.id, mark);
      if (mark >= toIso(until) || budget === 0) continue;
      const window = await deliveries.createdBetween(subscription.id, mark, until, budget);
      budget -= window.deliveries.length;
      for (const delivery of window.deliveries) {
        if (!canMove('attempt', delivery.status) || delivery.hasDueKey) continue;
        if (!(await deliveries.track(subscription.id, delivery.msgId, Date.parse(delivery.createdAt)))) continue;
        tracked++;
        metrics.add('SweeperRecoveries', 1, { action: 'tracked' });
        log.warn('sweeper: a webhook delivery is unsettled a stall window after it was published', {
          job_id: jobIdOfEventId(delivery.msgId),
          webhook_id: subscription.id,
          msg_id: delivery.msgId,
          created_at: delivery.createdAt,
        });
      }
      next.set(subscription.id, window.last ?? toIso(until));
      if (window.last !== undefined) {
        const readUpTo = window.last.split('#')[0]!;
        log.warn('sweeper: more deliveries published than one sweep reads; the rest is read next sweep', {
          webhook_id: subscription.id,
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
  async #sweepDeliveries({ deliveries, queue, stalledAfterMs }: DeliverySweep): Promise<number> {
    const { clock, log, metrics = noMetrics } = this.deps;
    const now = clock.now();
    const stalled = (await deliveries.overdue(now - stalledAfterMs, MAX_REDELIVERIES_PER_SWEEP)).filter(
      (delivery) => delivery.leaseUntil === undefined || delivery.leaseUntil <= now,
    );
    await queue.scheduleAllIn(
      stalled.map((delivery) => ({ webhook_id: delivery.webhookId, msg_id: delivery.msgId, attempt: delivery.attemptCount + 1 })),
      0,
    );
    for (const delivery of stalled) {
      metrics.add('SweeperRecoveries', 1, { action: 'redelivered' });
      log.warn('sweeper: re-driving a stalled webhook delivery', {
        job_id: jobIdOfEventId(delivery.msgId),
        webhook_id: delivery.webhookId,
        msg_id: delivery.msgId,
        attempt: delivery.attemptCount + 1,
        due_at: delivery.dueAt,
      });
    }
    return stalled.length;
  }
}

export type JobVerdict = 'polling' | 'poll_lost' | 'notifying' | 'notification_lost';

/**
 * Where a job behind an active pointer stands: aggregating on time or overdue by STALLED_AFTER_MS; or ended with its
 * terminal event being published, or ended STALLED_AFTER_MS ago without it. An ended job still behind its pointer
 * has not been fully announced: the pointer is released only once the terminal event is out (PollService).
 */
export function judgeJob(
  job: Pick<Job, 'status' | 'nextPollAt' | 'deadlineAt' | 'finishedAt' | 'updatedAt'>,
  now: number,
  stalledAfterMs = STALLED_AFTER_MS,
): JobVerdict {
  if (job.status === 'aggregating') {
    return now > Math.min(job.nextPollAt, job.deadlineAt) + stalledAfterMs ? 'poll_lost' : 'polling';
  }
  return now > (job.finishedAt ?? job.updatedAt) + stalledAfterMs ? 'notification_lost' : 'notifying';
}
