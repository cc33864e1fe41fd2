import type { Clock } from '../clock.ts';
import type { Log } from '../logger.ts';
import type { AggregationMetrics } from './aggregation-metrics.ts';
import type { DelayedQueue } from '../queue/delayed-queue.ts';
import type { PollMessage } from '../queue/poll-message.ts';
import type { ActiveJobsRepository } from './active-jobs-repo.ts';
import type { JobsRepository } from './jobs-repo.ts';
import type { Job } from './job.ts';

/**
 * A poll this late has lost its message (SQS is never this late), and a job this long ended without its terminal
 * event out has lost the delivery that was publishing it: the sweeper drives either again.
 */
export const STALLED_AFTER_MS = 2 * 60_000;

export interface SweepReport {
  active: number;
  repolled: number;
  /** Ended jobs whose terminal event was still not out, sent their last step again. */
  renotified: number;
  released: number;
  tracked: number;
  redelivered: number;
  /** Swept retries sent as they fall due (not a recovery). */
  retried: number;
  resumed: number;
}

/**
 * Finds work the poll loop lost and puts it back on the loop. It only ever schedules the job's current step, so the
 * loop's step rules make a needless re-poll harmless; for an ended job that step publishes the terminal event.
 */
export class Sweeper {
  constructor(
    private readonly deps: {
      jobs: Pick<JobsRepository, 'get' | 'markRedriven'>;
      /** The worklist: every active pointer. */
      pointers: Pick<ActiveJobsRepository, 'activeJobs' | 'releaseActive'>;
      pollQueue: DelayedQueue<PollMessage>;
      clock: Clock;
      log: Log;
      metrics: AggregationMetrics;
      stalledAfterMs?: number;
      /** The deliveries' part of the sweep (lib/notify/delivery-sweep.ts). */
      deliveries?: { sweep(): Promise<Record<'tracked' | 'redelivered' | 'probed' | 'resumed' | 'retried', number>> };
      /** Users' erasures under way: counted, and the oldest's age measured. */
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
        // Still no job a stall window after the claim: its refresh died. A younger one's may still be waiting for MX.
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
    // At info only when the sweep did something.
    if (report.repolled + report.renotified + report.released + report.tracked + report.redelivered + report.resumed > 0)
      log.info('sweep done', { ...report });
    else log.debug('sweep done', { ...report });
    return report;
  }
}

export type JobVerdict = 'polling' | 'poll_lost' | 'notifying' | 'notification_lost';

/** An ended job still behind its pointer has not been fully announced: the pointer goes only once its event is out. */
export function judgeJob(
  job: Pick<Job, 'status' | 'nextPollAt' | 'deadlineAt' | 'finishedAt' | 'updatedAt' | 'redrive'>,
  now: number,
  stalledAfterMs = STALLED_AFTER_MS,
): JobVerdict {
  const due = job.status === 'aggregating' ? Math.min(job.nextPollAt, job.deadlineAt) : (job.finishedAt ?? job.updatedAt);
  // Each re-drive of this step doubles the wait before the next.
  const redriven = job.redrive
    ? job.redrive.at + Math.min(stalledAfterMs * 2 ** (job.redrive.count - 1), MAX_REDRIVE_WAIT_MS)
    : Number.NEGATIVE_INFINITY;
  const late = now > Math.max(due + stalledAfterMs, redriven);
  if (job.status === 'aggregating') return late ? 'poll_lost' : 'polling';
  return late ? 'notification_lost' : 'notifying';
}

/** The longest the sweeper waits between two re-drives of one job's step or end. */
export const MAX_REDRIVE_WAIT_MS = 30 * 60_000;
