import * as z from '../../zod.ts';
import { connectionStatusChangedSchema } from '../../aggregation/member-watch.ts';
import { rejectedEventDataSchema } from '../../aggregation/refresh-requests.ts';
import { memberDeletedEventDataSchema } from '../../connect/members.ts';
import { userDeletedEventDataSchema } from '../../connect/user-erasure.ts';
import { EVENT_TYPES, type EventType, TEST_EVENT_TYPE } from '../../notify/events.ts';
import { syncUpdatesEventDataSchema } from '../../transactions/transaction-sync.ts';
import { responseSchemas } from './response-schemas.ts';

const { job } = responseSchemas;

/** The bodies nexus-relay POSTs to subscribed endpoints (the document's `webhooks`), one per event type. */
const instant = z.iso.datetime().check(z.describe('ISO 8601, UTC: when the event happened'));

const memberSnapshot = z
  .strictObject({
    guid: z.string(),
    connection_status: z.optional(z.nullable(z.string())),
    connection_status_id: z.optional(z.nullable(z.int())),
    connection_status_message: z.optional(z.nullable(z.string())),
    is_being_aggregated: z.optional(z.nullable(z.boolean())),
    aggregated_at: z.optional(z.nullable(z.string())),
    successfully_aggregated_at: z.optional(z.nullable(z.string())),
  })
  .check(
    z.meta({
      id: 'MemberSnapshot',
      description: 'The member as last read from MX; only `guid` before MX has been read for this job',
    }),
  );

const jobData = z.strictObject({ job, member: memberSnapshot });

const EVENTS: Record<EventType, { summary: string; data: z.ZodMiniType }> = {
  'aggregation.started': { summary: 'MX accepted the refresh; the job is aggregating', data: jobData },
  'aggregation.succeeded': { summary: 'The aggregation ended with the member CONNECTED', data: jobData },
  'aggregation.action_required': {
    summary: 'The member needs its user (MFA challenge, new credentials, …); see job.challenges',
    data: jobData,
  },
  'aggregation.failed': { summary: 'The aggregation ended in an error status', data: jobData },
  'aggregation.timed_out': { summary: 'The aggregation did not end before the deadline', data: jobData },
  'aggregation.rejected': {
    summary: 'A refresh asked for by an upstream system (not over HTTP) was refused by MX: no job was started',
    data: rejectedEventDataSchema,
  },
  'member.deleted': {
    summary: 'A member was deleted at MX through the relay; its active job, if any, ends aggregation.failed',
    data: memberDeletedEventDataSchema,
  },
  'member.connection_status_changed': {
    summary:
      "A member's connection status changed, seen by a job's end, MX's webhook or the reconcile; `action_required`: the user must act (open `reconnect` as a widget URL)",
    data: connectionStatusChangedSchema,
  },
  'user.deleted': {
    summary: 'A user was erased: deleted at MX, and nothing of the user left in the relay (this delivery aside)',
    data: userDeletedEventDataSchema,
  },
  'transactions.sync_updates_available': {
    summary:
      "An aggregation changed the transactions of a user who syncs them: call GET /users/{user_id}/transactions/sync (counts are what the relay's change log took in)",
    data: syncUpdatesEventDataSchema,
  },
};

const envelope = (type: string, data: z.ZodMiniType) => z.strictObject({ type: z.literal(type), timestamp: instant, data });

export interface WebhookEventDocs {
  summary: string;
  body: z.ZodMiniType;
}

export const WEBHOOK_EVENTS: Readonly<Record<string, WebhookEventDocs>> = {
  ...Object.fromEntries(
    EVENT_TYPES.map((type) => [type, { summary: EVENTS[type].summary, body: envelope(type, EVENTS[type].data) }]),
  ),
  [TEST_EVENT_TYPE]: {
    summary: 'Sent only by POST /webhooks/{webhook_id}/test, whatever the webhook’s event types',
    body: envelope(TEST_EVENT_TYPE, z.strictObject({ webhook_id: z.string() })),
  },
};
