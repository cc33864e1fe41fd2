import type { Clock } from '../clock.ts';
import type { Log } from '../logger.ts';
import type { MetricsSink } from '../metrics.ts';
import type { DelayedQueue } from '../queue/delayed-queue.ts';
import type { PollMessage } from '../queue/poll-message.ts';
import type { ActiveJobsRepository } from './active-jobs-repo.ts';
import type { JobsRepository } from './jobs-repo.ts';
import type { Job } from './job.ts';
import type { DeliverySweep } from '../notify/delivery-sweep.ts';

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
  /** Webhook retries due more than 15 minutes after their attempt, sent as they fall due (not a recovery). */
  retried: number;
  /** Held deliveries sent because their endpoint takes them again (DeliverySweep). */
  resumed: number;
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
      jobs: Pick<JobsRepository, 'get' | 'markRedriven'>;
      /** The worklist: every active pointer, whose job is judged (or, never written, released). */
      pointers: Pick<ActiveJobsRepository, 'activeJobs' | 'releaseActive'>;
      pollQueue: DelayedQueue<PollMessage>;
      clock: Clock;
      log: Log;
      metrics: MetricsSink;
      /** A job this late (its poll, or its terminal event) has lost its message; STALLED_AFTER_MS by default. */
      stalledAfterMs?: number;
      /** Webhook deliveries are swept like jobs: the table is the truth, queue messages are hints. */
      deliveries?: Pick<DeliverySweep, 'sweep'>;
      /** Users' erasures under way (lib/connect/erasures-repo.ts): counted, and the oldest's age measured (alarmed). */
      erasures?: { startTimes(): Promise<number[]> };
    },
  ) {}

  async sweep(): Promise<SweepReport> {
    const { jobs, pointers, pollQueue, clock, log, metrics } = this.deps;
    const report: SweepReport = {
      active: 0,
      repolled: 0,
      renotified: 0,
      released: 0,
      tracked: 0,
      redelivered: 0,
      retried: 0,
      resumed: 0,
    };
    for await (const pointer of pointers.activeJobs()) {
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
        // Recorded first: the next sweeps wait longer before re-driving it again (a backlog is not a lost message).
        if (!(await jobs.markRedriven(job, now))) continue;
        await pollQueue.schedule({ job_id: job.id, step: job.step, due_at: now, detected_by: 'sweeper' });
        const action = verdict === 'poll_lost' ? 'repolled' : 'renotified';
        report[action]++;
        metrics.add('SweeperRecoveries', 1, { action });
      } else if (!job && now - pointer.claimedAt > (this.deps.stalledAfterMs ?? STALLED_AFTER_MS)) {
        // Claimed a stall window ago and still no job: its refresh died between the claim and the job's write (or MX
        // refused it and the release failed). A younger one's refresh is still waiting for MX.
        await pointers.releaseActive(pointer, pointer.jobId);
        report.released++;
        metrics.add('SweeperRecoveries', 1, { action: 'released' });
      }
    }
    if (this.deps.deliveries) {
      ({
        tracked: report.tracked,
        redelivered: report.redelivered,
        retried: report.retried,
        resumed: report.resumed,
      } = await this.deps.deliveries.sweep());
    }
    if (this.deps.erasures) {
      const started = await this.deps.erasures.startTimes();
      metrics.add('ErasuresUnderWay', started.length, {});
      metrics.add('ErasureAge', started.length > 0 ? clock.now() - Math.min(...started) : 0, {});
    }
    // Every minute or two, mostly with nothing found: at info only when the sweep did something.
    if (report.repolled + report.renotified + report.released + report.tracked + report.redelivered + report.resumed > 0)
      log.info('sweep done', { ...report });
    else log.debug('sweep done', { ...report });
    return report;
  }
}

export type JobVerdict = 'polling' | 'poll_lost' | 'notifying' | 'notification_lost';

/**
 * Where a job behind an active pointer stands: aggregating on time or overdue by STALLED_AFTER_MS; or ended with its
 * terminal event being published, or ended STALLED_AFTER_MS ago without it. An ended job still behind its pointer
 * has not been fully announced: the pointer is released only once the terminal event is out (PollService).
 */
export function judgeJob(
  job: Pick<Job, 'status' | 'nextPollAt' | 'deadlineAt' | 'finishedAt' | 'updatedAt' | 'redrive'>,
  now: number,
  stalledAfterMs = STALLED_AFTER_MS,
): JobVerdict {
  const due = job.status === 'aggregating' ? Math.min(job.nextPollAt, job.deadlineAt) : (job.finishedAt ?? job.updatedAt);
  // After each re-drive of this step or end, a wait twice the last before the next (up to MAX_REDRIVE_WAIT_MS).
  const redriven = job.redrive
    ? job.redrive.at + Math.min(stalledAfterMs * 2 ** (job.redrive.count - 1), MAX_REDRIVE_WAIT_MS)
    : Number.NEGATIVE_INFINITY;
  const late = now > Math.max(due + stalledAfterMs, redriven);
  if (job.status === 'aggregating') return late ? 'poll_lost' : 'polling';
  return late ? 'notification_lost' : 'notifying';
}

/** The longest the sweeper waits between two re-drives of one job's step or end. */
export const MAX_REDRIVE_WAIT_MS = 30 * 60_000;
