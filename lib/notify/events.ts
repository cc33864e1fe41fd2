import { randomBytes } from 'node:crypto';
import { NexusRelayError } from '../errors.ts';
import { sha256Hex } from '../hash.ts';

/** Every event type a webhook can ask for. Append here; filters and validation follow. */
export const EVENT_TYPES = [
  'aggregation.started',
  'aggregation.succeeded',
  'aggregation.action_required',
  'aggregation.failed',
  'aggregation.timed_out',
  /** A refresh asked for by an upstream system (not over HTTP) that MX refused: no job was started. */
  'aggregation.rejected',
  /** A member was deleted at MX through the relay; its active job, if any, ends `failed`. */
  'member.deleted',
  /** A member's settled connection status differs from the last the relay recorded (whoever saw it). */
  'member.connection_status_changed',
  /** A user was erased (DELETE /users/{user_id}): at MX and in the relay. */
  'user.deleted',
  /** An aggregation changed the transactions of a user who syncs them: `GET …/transactions/sync` has them. */
  'transactions.sync_updates_available',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** Sent only by `POST /webhooks/{id}/test`, whatever the webhook's filters; never published. */
export const TEST_EVENT_TYPE = 'webhook.test';

/**
 * An event to publish. `id` becomes the `webhook-id` header and the delivery key, so it must be stable for one
 * occurrence (e.g. `msg_<job>_succeeded`): publishing the same id again never reaches a receiver twice.
 */
export interface WebhookEvent<Data = unknown> {
  id: string;
  type: EventType;
  /** ISO 8601, when the event happened. */
  timestamp: string;
  data: Data;
}

/** Where the domain publishes its events (lib/notify/publisher.ts). */
export interface EventSink {
  publish(event: WebhookEvent): Promise<void>;
}

/** Standard Webhooks signs `{id}.{timestamp}.{body}`, so an id must not contain `.`; the rest keeps table keys tidy. */
export const EVENT_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * Every event's id, in one place. Ids are deterministic, so publishing the same fact twice (a retried SQS message)
 * yields the same `webhook-id`, which receivers and the delivery log see once. User ids only ever appear digested.
 */
export const eventIds = {
  started: (jobId: string) => `msg_${jobId}_started`,
  /** A job's end, by the poll step that saw it: a job ends once, at one step. */
  ended: (jobId: string, step: number, status: string) => `msg_${jobId}_s${step}_${status}`,
  syncUpdates: (jobId: string) => `msg_${jobId}_sync_updates`,
  /** One per change of one member: the count of changes so far and the status it changed to. */
  statusChanged: (memberGuid: string, seq: number, status: string) =>
    `msg_${memberGuid}_status_${seq}_${status.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 32)}`,
  memberDeleted: (memberGuid: string) => `msg_${memberGuid}_deleted`,
  userDeleted: (userId: string) => `msg_user_${sha256Hex(userId).slice(0, 32)}_deleted`,
  /** How every `aggregation.rejected` id of a user begins: an erasure deletes their deliveries by it. */
  rejectedOf: (userId: string) => `msg_refreq_${sha256Hex(userId).slice(0, 16)}_`,
  /** From the idempotency key, or else the request's source id: a redelivered or deferred request is one event. */
  rejected: (userId: string, origin: string) => `${eventIds.rejectedOf(userId)}${sha256Hex(origin).slice(0, 32)}_rejected`,
  /** A test delivery is its own occurrence each time it is asked for. */
  test: () => `msg_test_${randomBytes(12).toString('base64url')}`,
} as const;

/** The job an aggregation event's id names (`msg_<job id>_…`), for log lines about its deliveries. */
export const jobIdOfEventId = (eventId: string): string | undefined => /^msg_(job_[a-z0-9]{9}[0-9a-f]{16})_/.exec(eventId)?.[1];

export class InvalidEventError extends NexusRelayError {
  constructor(message: string) {
    super('NOTIFY_INVALID_EVENT', message);
    this.name = 'InvalidEventError';
  }
}

const isEventType = (value: string): value is EventType => (EVENT_TYPES as readonly string[]).includes(value);

export function assertValidEvent(event: WebhookEvent): void {
  if (!EVENT_ID_PATTERN.test(event.id)) {
    throw new InvalidEventError(`Event id must match ${EVENT_ID_PATTERN}: got ${JSON.stringify(event.id)}.`);
  }
  if (!isEventType(event.type)) throw new InvalidEventError(`Unknown event type ${JSON.stringify(event.type)}.`);
  if (Number.isNaN(Date.parse(event.timestamp))) {
    throw new InvalidEventError(`Event timestamp must be ISO 8601: got ${JSON.stringify(event.timestamp)}.`);
  }
}

/** The exact body every attempt sends. Serialised once, at publication: signatures cover these bytes. */
export const serializeEvent = (event: Pick<WebhookEvent, 'timestamp' | 'data'> & { type: string }): string =>
  JSON.stringify({ type: event.type, timestamp: event.timestamp, data: event.data });
