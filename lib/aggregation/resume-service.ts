import { ConflictError, NotFoundError } from '../errors.ts';
import type { Clock } from '../clock.ts';
import type { Log } from '../logger.ts';
import type { ChallengeAnswer, NexusClient } from '../mx/nexus-client.ts';
import type { DelayedQueue } from '../queue/delayed-queue.ts';
import type { PollMessage } from '../queue/poll-message.ts';
import type { ActiveJobsRepository } from './active-jobs-repo.ts';
import type { JobsRepository } from './jobs-repo.ts';
import { ACTIVE_POINTER_GRACE_MS } from './refresh-service.ts';
import type { Job } from './job.ts';
import { MIN_POLL_DELAY_SECONDS } from './poll-schedule.ts';

export interface ResumeDeps {
  jobs: JobsRepository;
  pointers: ActiveJobsRepository;
  nexus: Pick<NexusClient, 'resumeAggregation'>;
  pollQueue: DelayedQueue<PollMessage>;
  clock: Clock;
  log: Log;
  deadlineSeconds: number;
}

/** MFA: passes the answers to MX and puts the challenged job back into the poll loop, to end once more with its own event. */
export class ResumeService {
  constructor(private readonly deps: ResumeDeps) {}

  async resume(request: { userId: string; memberGuid: string; answers: ChallengeAnswer[] }): Promise<Job> {
    const { jobs, pointers, clock } = this.deps;
    const job = await jobs.latestForMember(request.memberGuid, clock.now());
    if (!job || job.userId !== request.userId) throw new NotFoundError('This member has no aggregation job to resume.');
    if (job.status !== 'action_required' || job.connectionStatus !== 'CHALLENGED') {
      throw new ConflictError(
        `The member's latest job is ${job.status} (${job.connectionStatus ?? 'no status'}), not waiting for MFA answers.`,
      );
    }

    const now = clock.now();
    const deadlineAt = now + this.deps.deadlineSeconds * 1000;
    if (!(await pointers.claimActive(job, job.id, deadlineAt + ACTIVE_POINTER_GRACE_MS, now))) {
      throw new ConflictError('Another aggregation of this member is running.');
    }
    try {
      await this.deps.nexus.resumeAggregation(request.userId, request.memberGuid, request.answers);
    } catch (error) {
      await pointers.releaseActive(job, job.id);
      throw error;
    }

    const resumed: Job = {
      ...job,
      status: 'aggregating',
      step: job.step + 1,
      deadlineAt,
      nextPollAt: now + MIN_POLL_DELAY_SECONDS * 1000,
      updatedAt: now,
      finishedAt: undefined,
      challenges: undefined,
    };
    if (!(await jobs.reopen(job.id, job.step, { deadlineAt, nextPollAt: resumed.nextPollAt, now }))) {
      throw new ConflictError('The job changed while the answers were sent; read it again.');
    }
    await this.deps.pollQueue.schedule({ job_id: job.id, step: resumed.step, due_at: resumed.nextPollAt });
    this.deps.log.info('aggregation resumed', { job_id: job.id, step: resumed.step });
    return resumed;
  }
}
