import type { Clock } from '../clock.ts';
import type { Log } from '../logger.ts';
import { type MetricsSink, noMetrics } from '../metrics.ts';
import type { DelayedQueue } from '../queue/delayed-queue.ts';
import type { PollMessage } from '../queue/poll-message.ts';
import type { DeliveryMessage } from '../notify/delivery-message.ts';
import type { DeliveriesRepository } from '../store/deliveries-repo.ts';
import type { JobsRepository } from '../store/jobs-repo.ts';
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
  /** Webhook deliveries whose attempt was overdue by the stall window, put back on the delivery queue. */
  redelivered: number;
}

/** Re-drives per sweep at most: a backlog is drained over several sweeps rather than flooding the queue at once. */
export const MAX_REDELIVERIES_PER_SWEEP = 1_000;

export interface DeliverySweep {
  deliveries: Pick<DeliveriesRepository, 'overdue'>;
  queue: Pick<DelayedQueue<DeliveryMessage>, 'scheduleAllIn'>;
  /** Overdue by more than this: the delivery's queue message is lost (or dead-lettered). */
  stalledAfterMs: number;
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
    },
  ) {}

  async sweep(): Promise<SweepReport> {
    const { jobs, pollQueue, clock, log, metrics = noMetrics } = this.deps;
    const report: SweepReport = { active: 0, repolled: 0, renotified: 0, released: 0, redelivered: 0 };
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
      } else if (!job) {
        await jobs.releaseActive(pointer.memberGuid, pointer.jobId);
        report.released++;
        metrics.add('SweeperRecoveries', 1, { action: 'released' });
      }
    }
    if (this.deps.deliveries) report.redelivered = await this.#sweepDeliveries(this.deps.deliveries);
    // Every minute or two, mostly with nothing found: at info only when the sweep did something.
    if (report.repolled + report.renotified + report.released + report.redelivered > 0) log.info('sweep done', { ...report });
    else log.debug('sweep done', { ...report });
    return report;
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
