import { sum } from '../support/stats.ts';
import { type CategoryCounters, type JobCounters, newCounters } from './meters.ts';

/** The run's outcome per job: what each completed job cost, and what went wrong. */
export interface JobFigures {
  /**
   * The counters of each job that got its terminal webhook, its member's calls (made before the job id was known)
   * included: the per-job figures and the costs are over these.
   */
  perJob: JobCounters[];
  /** Completed jobs: `perJob.length`. */
  jobs: number;
  /** Jobs started without a terminal webhook. */
  lost: number;
  /** Jobs with more than one terminal event. */
  duplicateJobs: number;
  /** Webhook-ids delivered more than once. */
  redelivered: number;
}

export function jobFigures(
  byOwner: ReadonlyMap<string, JobCounters>,
  jobOfMember: ReadonlyMap<string, string>,
  received: { terminalByJob: ReadonlyMap<string, ReadonlySet<string>>; deliveriesById: ReadonlyMap<string, number> },
): JobFigures {
  const { terminalByJob, deliveriesById } = received;
  const perJob: JobCounters[] = [];
  for (const [guid, jobId] of jobOfMember) {
    if (!terminalByJob.has(jobId)) continue;
    const job = { ...(byOwner.get(jobId) ?? newCounters()) };
    const member = byOwner.get(guid);
    if (member) for (const key of Object.keys(job) as (keyof JobCounters)[]) job[key] += member[key];
    perJob.push(job);
  }
  return {
    perJob,
    jobs: perJob.length,
    lost: [...jobOfMember.values()].filter((id) => !terminalByJob.has(id)).length,
    duplicateJobs: [...terminalByJob.values()].filter((ids) => ids.size > 1).length,
    redelivered: [...deliveriesById.values()].filter((n) => n > 1).length,
  };
}

/** One counter summed over the calls no job names. */
export const sharedTotal = (unattributed: ReadonlyMap<string, CategoryCounters>, key: keyof JobCounters): number =>
  sum([...unattributed.values()].map((c) => c[key]));
