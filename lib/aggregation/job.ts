import { randomBytes } from 'node:crypto';
import type { Challenge } from '../mx/challenge.ts';
import type { MemberSnapshot } from './member-snapshot.ts';

export const JOB_STATUSES = ['aggregating', 'succeeded', 'action_required', 'failed', 'timed_out'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export type TerminalStatus = Exclude<JobStatus, 'aggregating'>;

/** What started a job's aggregation; `mx` and `mx_background`: MX on its own accord. */
export const JOB_TRIGGERS = ['refresh', 'refresh_request', 'member_created', 'member_updated', 'mx', 'mx_background'] as const;
export type JobTrigger = (typeof JOB_TRIGGERS)[number];

/** The triggers of aggregations MX started without being asked by the relay. */
export const MX_STARTED_TRIGGERS = ['mx', 'mx_background'] as const satisfies readonly JobTrigger[];
export type MxStartedTrigger = (typeof MX_STARTED_TRIGGERS)[number];
export const isMxStarted = (trigger: JobTrigger): trigger is MxStartedTrigger =>
  (MX_STARTED_TRIGGERS as readonly string[]).includes(trigger);

/** MX's aggregation-type jobs. MX runs one at a time per member, and each is followed the same way. */
export const JOB_KINDS = ['aggregation', 'verification', 'identification', 'history', 'balance'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/** One tracked aggregation-type job of one member, as stored. Times are epoch milliseconds. */
export interface Job {
  id: string;
  userId: string;
  memberGuid: string;
  kind: JobKind;
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
  member?: MemberSnapshot;
  /** When the job ended `action_required` on a CHALLENGED member. */
  challenges?: Challenge[];
  /** The requester's own id for the refresh. */
  correlationId?: string;
  /** Once ended: MX answers an aggregate call inside its throttle window without aggregating. */
  mxAggregated?: boolean;
  /** The sweeper's re-drives of this job's step or end. */
  redrive?: { at: number; count: number };
}

/** Time-ordered, unguessable. */
export const newJobId = (nowMs: number): string => `job_${nowMs.toString(36).padStart(9, '0')}${randomBytes(8).toString('hex')}`;

/** When `newJobId` made `id` (epoch milliseconds). */
export const jobIdMadeAt = (id: string): number => Number.parseInt(id.slice(4, 13), 36);

export const JOB_ID_PATTERN = /^job_[a-z0-9]{9}[0-9a-f]{16}$/;
