import { type CatalogueEvent, type CatalogueSink, eventCatalogue } from '../events.ts';
import * as z from '../zod.ts';
import type { JobKind } from './job.ts';
import { jobViewSchema } from './job-view.ts';
import { memberSnapshotSchema } from './member-snapshot.ts';

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

/** The events aggregation publishes: its jobs', a refused refresh request's, a member's changed status. */
export const AGGREGATION_EVENTS = eventCatalogue({
  ...jobEvents('aggregation', 'aggregation'),
  ...jobEvents('verification', 'verification', ': read its account numbers (GET …/members/{member_guid}/account_numbers)'),
  ...jobEvents('identification', 'identification', ': read its account owners (GET …/members/{member_guid}/account_owners)'),
  ...jobEvents('history', 'extended history', ': up to 24 months of transactions are in the transaction reads'),
  ...jobEvents('balance', 'balance check', ': read the balances (GET …/members/{member_guid}/accounts)'),
  'aggregation.rejected': {
    summary: 'A refresh asked for by an upstream system (not over HTTP) was refused by MX: no job was started',
    data: z.strictObject({
      request: z.strictObject({ user_id: z.string(), member_guid: z.string(), correlation_id: z.optional(z.string()) }),
      reason: z.literal('use_case_not_permitted'),
      mx_code: z.optional(z.int()),
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
});

export type AggregationEvent<T extends keyof typeof AGGREGATION_EVENTS & string = keyof typeof AGGREGATION_EVENTS & string> =
  CatalogueEvent<typeof AGGREGATION_EVENTS, T>;
export type AggregationEvents = CatalogueSink<typeof AGGREGATION_EVENTS>;
