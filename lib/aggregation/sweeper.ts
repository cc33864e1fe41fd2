import type { Clock } from '../clock.ts';
import type { Log } from '../logger.ts';
import { type MetricsSink, noMetrics } from '../metrics.ts';
import type { DelayedQueue } from '../queue/delayed-queue.ts';
import type { PollMessage } from '../queue/poll-message.ts';
import type { JobsRepository } from '../store/jobs-repo.ts';
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
    },
  ) {}

  async sweep(): Promise<SweepReport> {
    const { jobs, pollQueue, clock, log, metrics = noMetrics } = this.deps;
    const report: SweepReport = { active: 0, repolled: 0, renotified: 0, released: 0 };
    for await (const pointer of jobs.activeJobs()) {
      report.active++;
      const now = clock.now();
      const job = await jobs.get(pointer.jobId);
      const verdict = job && judgeJob(job, now);
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
      } else if (!job || (verdict === 'done' && pointer.expiresAt < now)) {
        await jobs.releaseActive(pointer.memberGuid, pointer.jobId);
        report.released++;
        metrics.add('SweeperRecoveries', 1, { action: 'released' });
      }
    }
    // Every minute or two, mostly with nothing found: at info only when the sweep did something.
    if (report.repolled + report.renotified + report.released > 0) log.info('sweep done', { ...report });
    else log.debug('sweep done', { ...report });
    return report;
  }
}

export type JobVerdict = 'polling' | 'poll_lost' | 'notifying' | 'notification_lost' | 'done';

/**
 * Where a job behind an active pointer stands: aggregating on time or overdue by STALLED_AFTER_MS; ended and its
 * terminal event being published, or ended STALLED_AFTER_MS ago without it; or ended and announced.
 */
export function judgeJob(
  job: Pick<Job, 'status' | 'nextPollAt' | 'deadlineAt' | 'finishedAt' | 'updatedAt' | 'notifiedAt'>,
  now: number,
): JobVerdict {
  if (job.status === 'aggregating') {
    return now > Math.min(job.nextPollAt, job.deadlineAt) + STALLED_AFTER_MS ? 'poll_lost' : 'polling';
  }
  if (job.notifiedAt !== undefined) return 'done';
  return now > (job.finishedAt ?? job.updatedAt) + STALLED_AFTER_MS ? 'notification_lost' : 'notifying';
}
