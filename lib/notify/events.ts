import { AGGREGATION_EVENTS } from '../aggregation/aggregation-events.ts';
import { NexusRelayError } from '../errors.ts';
import { type CatalogueEvent, type CatalogueSink, EVENT_ID_PATTERN } from '../events.ts';
import * as z from '../zod.ts';

const { 'member.connection_status_changed': statusChanged, ...jobAndRejected } = AGGREGATION_EVENTS;

/**
 * Every event a webhook can ask for: aggregation's (lib/aggregation/aggregation-events.ts) and the relay's own. Append
 * here; filters, validation, types and the API document follow.
 */
export const EVENTS = {
  ...jobAndRejected,
  'member.deleted': {
    summary: 'A member was deleted at MX through the relay; its active job, if any, ends failed (`{kind}.failed`)',
    data: z.strictObject({
      user_id: z.string(),
      member_guid: z.string(),
      deleted_at: z.iso.datetime().check(z.describe('When the relay deleted the member at MX')),
    }),
  },
  'member.connection_status_changed': statusChanged,
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

/** An event of any type the webhooks serve. */
export type WebhookEvent<T extends EventType = EventType> = CatalogueEvent<typeof EVENTS, T>;

/** Where the relay publishes any of its events (lib/notify/publisher.ts). */
export type EventSink = CatalogueSink<typeof EVENTS>;

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
