import { randomBytes } from 'node:crypto';
import { type Challenge, challengeSchema } from '../mx/challenge.ts';
import * as z from '../zod.ts';
import type { MemberSnapshot } from './member-snapshot.ts';

export const JOB_STATUSES = ['aggregating', 'succeeded', 'action_required', 'failed', 'timed_out'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export type TerminalStatus = Exclude<JobStatus, 'aggregating'>;

/**
 * What started a job's aggregation: a refresh over HTTP, a refresh request from an upstream system (the
 * refresh-requests queue), MX itself on a member created or updated (with credentials) through the relay, or MX
 * on its own — its daily background aggregation (`mx_background`) or any other it reports (`mx`: the Connect widget,
 * a change found by the reconcile).
 */
export const JOB_TRIGGERS = ['refresh', 'refresh_request', 'member_created', 'member_updated', 'mx', 'mx_background'] as const;
export type JobTrigger = (typeof JOB_TRIGGERS)[number];

/** The triggers of aggregations MX started without being asked by the relay. */
export const MX_STARTED_TRIGGERS = ['mx', 'mx_background'] as const satisfies readonly JobTrigger[];
export type MxStartedTrigger = (typeof MX_STARTED_TRIGGERS)[number];
export const isMxStarted = (trigger: JobTrigger): trigger is MxStartedTrigger =>
  (MX_STARTED_TRIGGERS as readonly string[]).includes(trigger);

/** One tracked aggregation of one member, as stored. Times are epoch milliseconds. */
export interface Job {
  id: string;
  userId: string;
  memberGuid: string;
  status: JobStatus;
  trigger: JobTrigger;
  connectionStatus: string | null;
  /** Poll-loop position: a poll message applies only when it names the current step. */
  step: number;
  polls: number;
  /** MX errors met while polling (the loop rides them out until the deadline). */
  pollErrors: number;
  createdAt: number;
  updatedAt: number;
  finishedAt?: number;
  deadlineAt: number;
  nextPollAt: number;
  /** The member as last read from MX (carried by events). */
  member?: MemberSnapshot;
  /** The MFA questions MX asked, when the job ended `action_required` on a CHALLENGED member. */
  challenges?: Challenge[];
  /** The requester's own id for the refresh (refresh-requests `correlation_id`), shown with the job and in its events. */
  correlationId?: string;
  /**
   * Once ended: whether MX aggregated for this job (lib/aggregation/member-watch.ts → aggregatedFor). MX answers an
   * aggregate call inside its throttle window without aggregating.
   */
  mxAggregated?: boolean;
}

/** Time-ordered, unguessable: `job_` + 9 base36 chars of time + 16 hex chars of randomness. */
export const newJobId = (nowMs: number): string => `job_${nowMs.toString(36).padStart(9, '0')}${randomBytes(8).toString('hex')}`;

export const JOB_ID_PATTERN = /^job_[a-z0-9]{9}[0-9a-f]{16}$/;

/** The job as the API shows it. */
export function jobView(job: Job) {
  return {
    id: job.id,
    user_id: job.userId,
    member_guid: job.memberGuid,
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
    status: z.enum(JOB_STATUSES),
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
  .check(z.meta({ id: 'Job', description: 'One tracked aggregation of one member' }));
