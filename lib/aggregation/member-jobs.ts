import type { Clock } from '../clock.ts';
import type { DelayedQueue } from '../queue/delayed-queue.ts';
import type { PollMessage } from '../queue/poll-message.ts';
import type { Job } from './job.ts';
import type { ActiveJobsRepository } from './active-jobs-repo.ts';
import type { JobsRepository } from './jobs-repo.ts';
import type { MemberStatesRepository } from './member-states-repo.ts';

export interface MemberJobsDeps {
  jobs: Pick<JobsRepository, 'get' | 'markPushed'>;
  pointers: Pick<ActiveJobsRepository, 'activeJobId' | 'activeJobIdsOfMember'>;
  states: Pick<MemberStatesRepository, 'gone'>;
  pollQueue: Pick<DelayedQueue<PollMessage>, 'schedule'>;
  clock: Clock;
}

/** What the other slices ask of aggregation about one member, its repositories kept behind it. */
export class MemberJobs {
  constructor(private readonly deps: MemberJobsDeps) {}

  /**
   * A poll of the current step now: a nudge never ends a job by itself, and a duplicate or late one changes nothing. A
   * push nudges a job once per step (`coalesced` after).
   */
  async pollNow(
    member: { memberGuid: string; userId?: string },
    detectedBy?: PollMessage['detected_by'],
  ): Promise<(Job & { coalesced?: true }) | undefined> {
    const { jobs, pointers, pollQueue, clock } = this.deps;
    const now = clock.now();
    const ids =
      member.userId === undefined
        ? await pointers.activeJobIdsOfMember(member.memberGuid, now)
        : [await pointers.activeJobId({ userId: member.userId, memberGuid: member.memberGuid }, now)].filter(
            (id): id is string => id !== undefined,
          );
    let job: Job | undefined;
    for (const id of ids) {
      const found = await jobs.get(id);
      if (found?.status === 'aggregating') job = found;
    }
    if (job && detectedBy === 'push' && !(await jobs.markPushed(job.id, job.step))) return { ...job, coalesced: true };
    if (job)
      await pollQueue.schedule({
        job_id: job.id,
        step: job.step,
        due_at: now,
        ...(detectedBy ? { detected_by: detectedBy } : {}),
      });
    return job;
  }

  /** A member deleted through the relay: no longer listed as needing its user. */
  async gone(userId: string, memberGuid: string): Promise<void> {
    await this.deps.states.gone(userId, memberGuid);
  }
}
