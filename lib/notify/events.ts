import { randomBytes } from 'node:crypto';
import { NexusRelayError } from '../errors.ts';
import type { JobKind } from '../aggregation/job.ts';
import { jobViewSchema } from '../aggregation/job-view.ts';
import { memberSnapshotSchema } from '../aggregation/member-snapshot.ts';
import * as z from '../zod.ts';

/** The widget request that lets the user act on a member that needs them. */
export const reconnectSchema = z
  .strictObject({ widget_type: z.literal('connect_widget'), current_member_guid: z.string() })
  .check(z.describe('What to pass to POST /users/{user_id}/widget_urls to let the user act'));

export const reconnectOf = (memberGuid: string): z.output<typeof reconnectSchema> => ({
  widget_type: 'connect_widget',
  current_member_guid: memberGuid,
});

const jobData = z.strictObject({ job: jobViewSchema, member: memberSnapshotSchema });

const JOB_EVENT_STATUSES = ['started', 'succeeded', 'action_required', 'failed', 'timed_out'] as const;
type JobEventType<K extends JobKind> = `${K}.${(typeof JOB_EVENT_STATUSES)[number]}`;

/** `noun` names the job, `then` what to read once it succeeded. */
function jobEvents<K extends JobKind>(kind: K, noun: string, then = '') {
  const summaries = {
    started: `MX started the ${noun}; the job is aggregating`,
    succeeded: `The ${noun} ended with the member CONNECTED${then}`,
    action_required: 'The member needs its user (MFA challenge, new credentials, …); see job.challenges',
    failed: `The ${noun} ended in an error status`,
    timed_out: `The ${noun} did not end before the deadline`,
  };
  return Object.fromEntries(
    JOB_EVENT_STATUSES.map((status) => [`${kind}.${status}`, { summary: summaries[status], data: jobData }]),
  ) as Record<JobEventType<K>, { summary: string; data: typeof jobData }>;
}

/** Every event a webhook can ask for. Append here; filters, validation, types and the API document follow. */
export const EVENTS = {
  ...jobEvents('aggregation', 'aggregation'),
  ...jobEvents('verification', 'verification', ': read its account numbers (GET …/members/{member_guid}/account_numbers)'),
  ...jobEvents('identification', 'identification', ': read its account owners (GET …/members/{member_guid}/account_owners)'),
  ...jobEvents('history', 'extended history', ': up to 24 months of transactions are in the transaction reads'),
  'aggregation.rejected': {
    summary: 'A refresh asked for by an upstream system (not over HTTP) was refused by MX: no job was started',
    data: z.strictObject({
      request: z.strictObject({ user_id: z.string(), member_guid: z.string(), correlation_id: z.optional(z.string()) }),
      reason: z.literal('use_case_not_permitted'),
      mx_code: z.optional(z.int()),
    }),
  },
  'member.deleted': {
    summary: 'A member was deleted at MX through the relay; its active job, if any, ends failed (`{kind}.failed`)',
    data: z.strictObject({
      user_id: z.string(),
      member_guid: z.string(),
      deleted_at: z.iso.datetime().check(z.describe('When the relay deleted the member at MX')),
    }),
  },
  'member.connection_status_changed': {
    summary:
      "A member's connection status changed, seen by a job's end, MX's webhook or the reconcile; `action_required`: the user must act (open `reconnect` as a widget URL)",
    data: z.strictObject({
      user_id: z.string(),
      member_guid: z.string(),
      connection_status: z.string(),
      previous_connection_status: z
        .nullable(z.string())
        .check(z.describe('null when the relay first meets the member in a status that needs its user')),
      action_required: z.boolean().check(z.describe('The user must act: reconnect, fix credentials or answer MFA')),
      reconnect: z.optional(reconnectSchema),
    }),
  },
  'user.deleted': {
    summary: 'A user was erased: deleted at MX, and nothing of the user left in the relay (this delivery aside)',
    data: z.strictObject({
      user_id: z.string(),
      deleted_at: z.iso.datetime().check(z.describe('When the relay finished erasing the user')),
    }),
  },
  'transactions.sync_updates_available': {
    summary:
      "An aggregation changed the transactions of a user who syncs them: call GET /users/{user_id}/transactions/sync (counts are what the relay's change log took in)",
    data: z.strictObject({
      user_id: z.string(),
      member_guid: z.string(),
      job_id: z.string(),
      added: z.int().check(z.describe('Transactions new to the change log')),
      modified: z.int().check(z.describe('Transactions changed')),
      removed: z.int().check(z.describe('Transactions MX no longer has')),
      historical_update_complete: z
        .boolean()
        .check(z.describe('Whether an extended history of the member has ended: its transactions reach as far back as MX keeps')),
    }),
  },
} as const satisfies Record<string, { summary: string; data: z.ZodMiniType }>;

export type EventType = keyof typeof EVENTS;
export const EVENT_TYPES = Object.keys(EVENTS) as EventType[];

/** The user an event is about, as its data names it. */
export function userOfEvent(event: WebhookEvent): string | undefined {
  const data = event.data as { user_id?: unknown; job?: { user_id?: unknown }; request?: { user_id?: unknown } };
  const userId = data.user_id ?? data.job?.user_id ?? data.request?.user_id;
  return typeof userId === 'string' ? userId : undefined;
}
/** The `data` of an event of type `T`. */
export type EventData<T extends EventType> = z.output<(typeof EVENTS)[T]['data']>;

/** Sent only by `POST /webhooks/{id}/test`, whatever the webhook's filters; never published. */
export const TEST_EVENT_TYPE = 'webhook.test';

/** The bodies webhook endpoints receive, the test's included. */
export function webhookEventBodies(): Record<string, { summary: string; body: z.ZodMiniType }> {
  const instant = z.iso.datetime().check(z.describe('ISO 8601, UTC: when the event happened'));
  const envelope = (type: string, data: z.ZodMiniType) => z.strictObject({ type: z.literal(type), timestamp: instant, data });
  return {
    ...Object.fromEntries(
      Object.entries(EVENTS).map(([type, { summary, data }]) => [type, { summary, body: envelope(type, data) }]),
    ),
    [TEST_EVENT_TYPE]: {
      summary: 'Sent only by POST /webhooks/{webhook_id}/test, whatever the webhook’s event types',
      body: envelope(TEST_EVENT_TYPE, z.strictObject({ webhook_id: z.string() })),
    },
  };
}

/** `id` is the `webhook-id` and the delivery key: stable per occurrence, so republishing never reaches a receiver twice. */
export interface WebhookEvent<T extends EventType = EventType> {
  id: string;
  type: T;
  timestamp: string;
  data: EventData<T>;
}

/** Where the domain publishes its events. */
export interface EventSink {
  publish<T extends EventType>(event: WebhookEvent<T>): Promise<void>;
}

/** Standard Webhooks signs `{id}.{timestamp}.{body}`, so an id must not contain `.`; the rest keeps table keys tidy. */
export const EVENT_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/** Ids are deterministic, so one fact published twice is seen once. User ids only ever appear digested. */
export const eventIds = {
  started: (jobId: string) => `msg_${jobId}_started`,
  /** A job ends once, at one step. */
  ended: (jobId: string, step: number, status: string) => `msg_${jobId}_s${step}_${status}`,
  syncUpdates: (jobId: string) => `msg_${jobId}_sync_updates`,
  statusChanged: (memberGuid: string, seq: number, status: string) =>
    `msg_${memberGuid}_status_${seq}_${status.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 32)}`,
  memberDeleted: (memberGuid: string) => `msg_${memberGuid}_deleted`,
  /** A keyed digest: never the id, nor a guessable digest. */
  userDeleted: (userDigest: string) => `msg_user_${userDigest.slice(0, 32)}_deleted`,
  /** How every `aggregation.rejected` id of a user begins: an erasure deletes their deliveries by it. */
  rejectedOf: (userDigest: string) => `msg_refreq_${userDigest.slice(0, 16)}_`,
  /** From the idempotency key or the request's source id (keyed): a redelivered or deferred request is one event. */
  rejected: (userDigest: string, originDigest: string) =>
    `${eventIds.rejectedOf(userDigest)}${originDigest.slice(0, 32)}_rejected`,
  test: () => `msg_test_${randomBytes(12).toString('base64url')}`,
} as const;

/** For log lines about an event's deliveries. */
export const jobIdOfEventId = (eventId: string): string | undefined => /^msg_(job_[a-z0-9]{9}[0-9a-f]{16})_/.exec(eventId)?.[1];

export class InvalidEventError extends NexusRelayError {
  constructor(message: string) {
    super('NOTIFY_INVALID_EVENT', message);
    this.name = 'InvalidEventError';
  }
}

const isEventType = (value: string): value is EventType => (EVENT_TYPES as readonly string[]).includes(value);

/** Checks what the type system cannot. */
export function assertValidEvent(event: Pick<WebhookEvent, 'id' | 'timestamp'> & { type: string }): void {
  if (!EVENT_ID_PATTERN.test(event.id)) {
    throw new InvalidEventError(`Event id must match ${EVENT_ID_PATTERN}: got ${JSON.stringify(event.id)}.`);
  }
  if (!isEventType(event.type)) throw new InvalidEventError(`Unknown event type ${JSON.stringify(event.type)}.`);
  if (Number.isNaN(Date.parse(event.timestamp))) {
    throw new InvalidEventError(`Event timestamp must be ISO 8601: got ${JSON.stringify(event.timestamp)}.`);
  }
}

/** Serialised once, at publication: signatures cover these bytes. */
export const serializeEvent = (event: { type: string; timestamp: string; data: unknown }): string =>
  JSON.stringify({ type: event.type, timestamp: event.timestamp, data: event.data });
