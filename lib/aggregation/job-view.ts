import { challengeSchema } from '../mx/challenge.ts';
import * as z from '../zod.ts';
import { JOB_ID_PATTERN, JOB_KINDS, JOB_STATUSES, JOB_TRIGGERS, type Job } from './job.ts';

/** The job as the API shows it. */
export function jobView(job: Job) {
  return {
    id: job.id,
    user_id: job.userId,
    member_guid: job.memberGuid,
    kind: job.kind,
    status: job.status,
    trigger: job.trigger,
    connection_status: job.connectionStatus,
    created_at: new Date(job.createdAt).toISOString(),
    updated_at: new Date(job.updatedAt).toISOString(),
    finished_at: job.finishedAt === undefined ? null : new Date(job.finishedAt).toISOString(),
    polls: job.polls,
    ...(job.status === 'aggregating' || job.mxAggregated === undefined ? {} : { mx_aggregated: job.mxAggregated }),
    ...(job.correlationId === undefined ? {} : { correlation_id: job.correlationId }),
    ...(job.status === 'action_required' && job.challenges ? { challenges: job.challenges } : {}),
  };
}
export type JobView = ReturnType<typeof jobView>;

const instant = z.iso.datetime().check(z.describe('ISO 8601, UTC'));

export const challengeViewSchema = challengeSchema.check(
  z.meta({
    id: 'Challenge',
    description: "One of MX's MFA questions; answer it with PUT …/resume. MX's other fields are passed through.",
  }),
);

/** The job as the API and its events show it (jobView). */
export const jobViewSchema = z
  .strictObject({
    id: z.string().check(z.regex(JOB_ID_PATTERN)),
    user_id: z.string(),
    member_guid: z.string(),
    kind: z
      .enum(JOB_KINDS)
      .check(
        z.describe(
          "MX's job: an aggregation, a verification (account and routing numbers), an identification (account owners), an extended history (up to 24 months of transactions) or a balance check (balances only)",
        ),
      ),
    status: z
      .enum(JOB_STATUSES)
      .check(z.describe('`aggregating` while MX runs the job, whatever its kind (MX: `is_being_aggregated`), then how it ended')),
    trigger: z
      .enum(JOB_TRIGGERS)
      .check(
        z.describe(
          'What started the aggregation: a refresh, a refresh request from another system, MX on a member created or updated through the relay, or MX on its own (`mx_background`: its daily aggregation; `mx`: any other, e.g. the Connect widget or a change the reconcile found)',
        ),
      ),
    connection_status: z.nullable(z.string()).check(z.describe("The member's MX connection status when last read")),
    created_at: instant,
    updated_at: instant,
    finished_at: z.nullable(instant),
    polls: z.int().check(z.nonnegative(), z.describe('How many times the service has read the member from MX for this job')),
    mx_aggregated: z
      .optional(z.boolean())
      .check(
        z.describe(
          'Once the job has ended: whether MX aggregated (its `aggregated_at` moved). False when MX answered without aggregating — inside its throttle window, about 3 h after a successful aggregation — so `succeeded` brought nothing new',
        ),
      ),
    correlation_id: z
      .optional(z.string())
      .check(z.describe("The requester's id from a refresh request (refresh-requests queue)")),
    challenges: z
      .optional(z.array(challengeViewSchema))
      .check(z.describe('Present when the job is action_required on a CHALLENGED member')),
  })
  .check(z.meta({ id: 'Job', description: 'One tracked aggregation-type job of one member' }));

/** The answer that carries one job. */
export const jobAnswerSchema = z.strictObject({ job: jobViewSchema });
