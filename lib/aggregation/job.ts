import { randomBytes } from 'node:crypto';
import type { Challenge } from '../mx/challenge.ts';
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

/**
 * MX's aggregation-type jobs: a standard aggregation, or a premium one — a verification (account and routing numbers),
 * an identification (account owners), an extended history (up to 24 months of transactions). MX runs one at a time
 * per member and follows each the same way (its member's `connection_status` and `is_being_aggregated`).
 */
export const JOB_KINDS = ['aggregation', 'verification', 'identification', 'history'] as const;
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
  /** The member as last read from MX (carried by events). */
  member?: MemberSnapshot;
  /** The MFA questions MX asked, when the job ended `action_required` on a CHALLENGED member. */
  challenges?: Challenge[];
  /** The requester's own id for the refresh (refresh-requests `correlation_id`), shown with the job and in its events. */
  correlationId?: string;
  /**
   * Once ended: whether MX aggregated for this job (lib/aggregation/member-ledger.ts → mxAggregatedFor). MX answers an
   * aggregate call inside its throttle window without aggregating.
   */
  mxAggregated?: boolean;
  /** The sweeper's re-drives of this job's step or end (its message lost, or late behind a backlog): the last, and how many. */
  redrive?: { at: number; count: number };
}

/** Time-ordered, unguessable: `job_` + 9 base36 chars of time + 16 hex chars of randomness. */
export const newJobId = (nowMs: number): string => `job_${nowMs.toString(36).padStart(9, '0')}${randomBytes(8).toString('hex')}`;

export const JOB_ID_PATTERN = /^job_[a-z0-9]{9}[0-9a-f]{16}$/;
