import { NexusRelayError } from '../errors.ts';

/** Every event type a subscription can ask for. Append here; filters and validation follow. */
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

/** Sent only by `POST /webhooks/{id}/test`, whatever the subscription's filters; never published. */
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

/** Standard Webhooks signs `{id}.{timestamp}.{body}`, so an id must not contain `.`; the rest keeps table keys tidy. */
export const EVENT_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

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
