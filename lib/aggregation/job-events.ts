import { eventIds } from '../events.ts';
import type { AggregationEvent } from './aggregation-events.ts';
import type { Job, TerminalStatus } from './job.ts';
import { jobView } from './job-view.ts';

export function startedEvent(job: Job, nowMs: number): AggregationEvent {
  return {
    id: eventIds.started(job.id),
    type: `${job.kind}.started`,
    timestamp: new Date(nowMs).toISOString(),
    data: eventData(job),
  };
}

/** The event of a job that has ended. */
export function terminalEvent(job: Job, nowMs: number): AggregationEvent {
  if (job.status === 'aggregating') throw new TypeError(`Job ${job.id} has not ended`);
  const status: TerminalStatus = job.status;
  return {
    id: eventIds.ended(job.id, job.step, status),
    type: `${job.kind}.${status}`,
    timestamp: new Date(nowMs).toISOString(),
    data: eventData(job),
  };
}

const eventData = (job: Job) => ({ job: jobView(job), member: job.member ?? { guid: job.memberGuid } });
