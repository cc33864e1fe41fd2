import type { ActiveJobsRepository } from './active-jobs-repo.ts';
import type { AttentionRepository } from './attention-repo.ts';
import type { Job, JobStatus } from './job.ts';
import type { JobsRepository } from './jobs-repo.ts';

/** The overview lists jobs that ended in these, while they still are. */
const NEEDS_SOMEONE: ReadonlySet<JobStatus> = new Set(['failed', 'timed_out', 'action_required']);

export interface JobsAcrossUsersDeps {
  jobs: Pick<JobsRepository, 'getMany'>;
  pointers: Pick<ActiveJobsRepository, 'activeJobs'>;
  attention: Pick<AttentionRepository, 'markedByDay'>;
}

/** The operator's view of jobs across users, each found through a list kept for it, then read from the jobs. */
export class JobsAcrossUsers {
  constructor(private readonly deps: JobsAcrossUsersDeps) {}

  /** Newest first. */
  async running(limit: number): Promise<Job[]> {
    const ids: string[] = [];
    for await (const pointer of this.deps.pointers.activeJobs()) ids.push(pointer.jobId);
    const jobs = await this.deps.jobs.getMany([...new Set(ids)]);
    return jobs
      .filter((job) => job.status === 'aggregating')
      .sort((a, b) => b.createdAt - a.createdAt)
      .slice(0, limit);
  }

  /** Jobs that ended needing someone and still do, newest day first. */
  async needingAttention(request: { limit: number; now: number; days?: number }): Promise<Job[]> {
    const found: Job[] = [];
    if (request.limit <= 0) return found;
    for await (const ids of this.deps.attention.markedByDay(request)) {
      for (const job of await this.deps.jobs.getMany(ids))
        if (NEEDS_SOMEONE.has(job.status) && found.length < request.limit) found.push(job);
      if (found.length >= request.limit) break;
    }
    return found;
  }
}
