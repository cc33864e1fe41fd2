import { type Job, jobView } from './job.ts';

/** Where job events go (the webhook publisher in production). */
export interface EventSink {
  publish(event: { id: string; type: string; timestamp: string; data: unknown }): Promise<void>;
}

/**
 * Event ids are deterministic, so publishing the same fact twice (a retried SQS message) yields the same
 * `webhook-id` and receivers, and our delivery log, see it once. Standard Webhooks ids must not contain `.`.
 */
export const startedEventId = (job: Job): string => `msg_${job.id}_started`;
export const terminalEventId = (job: Job): string => `msg_${job.id}_s${job.step}_${job.status}`;

/** The job an aggregation event's id names (`msg_<job id>_…`), for log lines about its deliveries. */
export const jobIdOfEventId = (eventId: string): string | undefined => /^msg_(job_[a-z0-9]{9}[0-9a-f]{16})_/.exec(eventId)?.[1];

export function startedEvent(job: Job, nowMs: number) {
  return { id: startedEventId(job), type: 'aggregation.started', timestamp: new Date(nowMs).toISOString(), data: eventData(job) };
}

export function terminalEvent(job: Job, nowMs: number) {
  return {
    id: terminalEventId(job),
    type: `aggregation.${job.status}`,
    timestamp: new Date(nowMs).toISOString(),
    data: eventData(job),
  };
}

const eventData = (job: Job) => ({ job: jobView(job), member: job.member ?? { guid: job.memberGuid } });
