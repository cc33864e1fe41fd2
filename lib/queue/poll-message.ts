import { mxGuid, params } from '../identifiers.ts';
import * as z from '../zod.ts';

/** One step of one aggregation's poll loop. Applied only when the job is still at `step` (see PollService). */
export const pollMessageSchema = z.object({
  job_id: z.string().check(z.minLength(1), z.maxLength(64)),
  step: z.int().check(z.minimum(0)),
  due_at: z.int().check(z.minimum(0)),
  /** What sent it, when not the loop itself; the job's end is counted under it. */
  detected_by: z.optional(z.enum(['push', 'reconcile', 'sweeper'])),
});
export type PollMessage = z.infer<typeof pollMessageSchema>;

/** A member MX reported on without a job following it: a hint until MX confirms it. The user may be named by MX's guid only. */
export const memberReportSchema = z.object({
  member_report: z.object({
    kind: z.enum(['aggregation', 'connection_status', 'transactions', 'member_deleted']),
    member_guid: params.memberGuid,
    user_id: z.optional(params.userId),
    user_guid: z.optional(mxGuid('USR')),
    is_background: z.optional(z.boolean()),
    transaction: z.optional(z.object({ guid: mxGuid('TRN'), action: z.enum(['deleted']) })),
  }),
  due_at: z.int().check(z.minimum(0)),
  /** How many times MX could not serve it: its next wait doubles. */
  mx_waits: z.optional(z.int().check(z.minimum(1))),
});
export type MemberReport = z.infer<typeof memberReportSchema>;

/** The one read of MX that confirms a user's hints, scheduled by the first hint of a window. */
export const mxHintsMessageSchema = z.object({
  mx_hints: z.object({ user_id: params.userId }),
  due_at: z.int().check(z.minimum(0)),
  mx_waits: z.optional(z.int().check(z.minimum(1))),
});
export type MxHintsMessage = z.infer<typeof mxHintsMessageSchema>;

/** A user's reconcile turn, from the dispatcher. */
export const reconcileMessageSchema = z.object({
  reconcile: z.object({
    user_id: params.userId,
    /** The user's last read (or enrolment): a member first seen aggregated since is news. */
    since: z.optional(z.int().check(z.minimum(0))),
    /** Whether MX pushed lately. Absent: the turn reads. */
    webhooks_on: z.optional(z.boolean()),
    /** The user left the reconcile: instead of a turn, its transactions are forgotten, a batch a message. */
    left: z.optional(z.literal(true)),
    /** A later batch: only what lies at or below this is deleted. */
    reset_seq: z.optional(z.int().check(z.minimum(1))),
  }),
  due_at: z.int().check(z.minimum(0)),
  mx_waits: z.optional(z.int().check(z.minimum(1))),
});
export type ReconcileMessage = z.infer<typeof reconcileMessageSchema>;

/** The next step of a user's erasure. */
export const erasureMessageSchema = z.object({
  erase: z.object({ user_id: params.userId }),
  due_at: z.int().check(z.minimum(0)),
  mx_waits: z.optional(z.int().check(z.minimum(1))),
});
export type ErasureMessage = z.infer<typeof erasureMessageSchema>;

/** What worker-poll's queues carry, each kind on its own queue; any kind is handled from any of them. */
export const pollQueueMessageSchema = z.union([
  pollMessageSchema,
  memberReportSchema,
  mxHintsMessageSchema,
  reconcileMessageSchema,
  erasureMessageSchema,
]);
export type PollQueueMessage = z.infer<typeof pollQueueMessageSchema>;

/** What a message's log lines name. */
export const logKeysOf = (message: PollQueueMessage): Record<string, string> =>
  'member_report' in message
    ? { member_guid: message.member_report.member_guid }
    : 'reconcile' in message
      ? { user_id: message.reconcile.user_id }
      : 'mx_hints' in message
        ? { user_id: message.mx_hints.user_id }
        : 'erase' in message
          ? { user_id: message.erase.user_id }
          : { job_id: message.job_id };
