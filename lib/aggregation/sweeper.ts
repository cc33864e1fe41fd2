import type { Clock } from '../clock.ts';
import type { Log } from '../logger.ts';
import type { DelayedQueue } from '../queue/delayed-queue.ts';
import type { PollMessage } from '../queue/poll-message.ts';
import type { JobsRepository } from '../store/jobs-repo.ts';

/** A poll this late has lost its message (SQS is never this late); the sweeper sends it again. */
export const STALLED_AFTER_MS = 2 * 60_000;

export interface SweepReport {
  active: number;
  repolled: number;
  released: number;
}

/**
 * Finds work the poll loop lost — a poll message sent to the dead-letter queue, a send that failed after the job
 * advanced, a terminal event never published — and puts it back on the loop. It only ever schedules the job's
 * current step, so the loop's own step rules make a needless re-poll harmless. Scheduled every few minutes, it
 * keeps any job from staying `aggregating` past its deadline by more than the schedule period plus STALLED_AFTER_MS.
 */
export class Sweeper {
  constructor(private readonly deps: { jobs: JobsRepository; pollQueue: DelayedQueue<PollMessage>; clock: Clock; log: Log }) {}

  async sweep(): Promise<SweepReport> {
    const { jobs, pollQueue, clock, log } = this.deps;
    const report: SweepReport = { active: 0, repolled: 0, released: 0 };
    for await (const pointer of jobs.activeJobs()) {
      report.active++;
      const now = clock.now();
      const job = await jobs.get(pointer.jobId);
      const lost =
        job &&
        ((job.status === 'aggregating' && now > Math.min(job.nextPollAt, job.deadlineAt) + STALLED_AFTER_MS) ||
          (job.status !== 'aggregating' && job.notifiedAt === undefined));
      if (lost) {
        log.warn('sweeper: re-polling a stalled job', { job_id: job.id, status: job.status, step: job.step });
        await pollQueue.schedule({ job_id: job.id, step: job.step, due_at: now });
        report.repolled++;
      } else if (!job || (job.status !== 'aggregating' && pointer.expiresAt < now)) {
        await jobs.releaseActive(pointer.memberGuid, pointer.jobId);
        report.released++;
      }
    }
    log.info('sweep done', { ...report });
    return report;
  }
}
