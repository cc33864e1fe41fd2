import type { MetricCatalogue, MetricsSink } from '../metrics.ts';
import { JOB_KINDS, JOB_TRIGGERS } from './job.ts';

const JOB_OUTCOMES = ['succeeded', 'action_required', 'failed', 'timed_out'] as const;
/** What told the relay a job had ended: its scheduled poll, MX's push, the reconcile's member list, the sweeper. */
export const DETECTORS = ['poll', 'push', 'reconcile', 'sweeper'] as const;
export type Detector = (typeof DETECTORS)[number];
const SWEEP_ACTIONS = ['repolled', 'renotified', 'released', 'tracked', 'redelivered', 'resumed'] as const;
const DEFERRAL_REASONS = ['rate_capped', 'key_in_progress', 'member_busy', 'mx_rate_limited', 'mx_unavailable'] as const;

/** Jobs, what MX did on its own, the reconcile, and refresh requests: each metric's unit and the values each dimension may take (lib/metrics.ts). */
export const AGGREGATION_METRICS = {
  JobsStarted: { unit: 'Count', sum: true, dimensions: { trigger: JOB_TRIGGERS, kind: JOB_KINDS } },
  /** Jobs refused before asking MX. */
  JobsRefused: { unit: 'Count', sum: true, dimensions: { reason: ['no_pfm', 'not_supported'] as const } },
  JobsEnded: { unit: 'Count', sum: true, dimensions: { outcome: JOB_OUTCOMES, detected_by: DETECTORS, kind: JOB_KINDS } },
  JobDuration: { unit: 'Milliseconds', sum: false, dimensions: { outcome: JOB_OUTCOMES } },
  /** MX's own end of a successful aggregation (`successfully_aggregated_at`) → the relay knew. */
  DetectionLag: { unit: 'Milliseconds', sum: false, dimensions: { detected_by: DETECTORS } },
  PollsPerJob: { unit: 'Count', sum: false, dimensions: { outcome: JOB_OUTCOMES } },
  /** Job ends not yet added to the hour's counters (kept for the next invocation). */
  JobOutcomeFlushFailures: { unit: 'Count', sum: true, dimensions: {} },
  /**
   * MX's webhooks about members no job follows: `coalesced` joins a read already due, `held` waits for the user's
   * others of the night or its reconcile turn (MX_BACKGROUND_AT_TURN), `released` is the night's last (its read takes
   * them all now), `overflow` is a deletion past what the hints hold, `unplaced` a user guid never
   * seen, `unserved` a user no app is served (nothing read, made or recorded).
   */
  MemberReports: {
    unit: 'Count',
    sum: true,
    dimensions: {
      kind: ['aggregation', 'connection_status', 'transactions', 'member_deleted'] as const,
      outcome: ['hinted', 'held', 'released', 'coalesced', 'overflow', 'unplaced', 'unserved', 'not_held'] as const,
    },
  },
  /** Reads of MX confirming a user's hints. */
  MxHintReads: { unit: 'Count', sum: true, dimensions: {} },
  /** What MX's read made of each hint; `unconfirmed`: MX's answer does not show what the webhook said, so nothing was done. */
  MxHints: {
    unit: 'Count',
    sum: true,
    dimensions: {
      kind: ['aggregation', 'connection_status', 'transactions', 'member_deleted'] as const,
      outcome: [
        'opened',
        'joined',
        'known',
        'not_aggregated',
        'status',
        'member_gone',
        'removed',
        'unconfirmed',
        'not_syncing',
      ] as const,
    },
  },
  /** Work MX could not serve (5xx, 429, timeout, lost connection), sent back to wait on the poll queue. */
  MxUnavailableWaits: {
    unit: 'Count',
    sum: true,
    dimensions: { kind: ['member_report', 'mx_hints', 'reconcile', 'erasure'] as const },
  },
  /** `opened`: the reconcile found an aggregation no job had followed. */
  ReconcileReads: { unit: 'Count', sum: true, dimensions: { outcome: ['opened', 'unchanged'] as const } },
  /** Users put on the reconcile's schedule, or not (`failed`). One already on it is not counted: an EMF line a session. */
  ReconcileEnrolments: { unit: 'Count', sum: true, dimensions: { outcome: ['enrolled', 'failed'] as const } },
  ReconcileDispatched: { unit: 'Count', sum: true, dimensions: {} },
  /** Users taken off the reconcile: no app asked about them for RECONCILE_INACTIVE_DAYS. */
  ReconcileLeaves: { unit: 'Count', sum: true, dimensions: {} },
  /** Reconcile turns: the user's members read from MX, or skipped, and why. */
  ReconcileTurns: {
    unit: 'Count',
    sum: true,
    dimensions: {
      decision: ['read', 'skipped'] as const,
      reason: ['webhooks_off', 'needs_user', 'not_seen_aggregated', 'seen_aggregated'] as const,
    },
  },
  /** Turns that found hints held for them (MX_BACKGROUND_AT_TURN): `read`, or `waited` for MX's wave to end for the user. */
  HeldHintTurns: { unit: 'Count', sum: true, dimensions: { decision: ['read', 'waited'] as const } },
  /** The most overdue user a dispatcher run found: the reconcile's backlog. */
  ReconcileOverdue: { unit: 'Milliseconds', sum: false, dimensions: {} },
  MemberStatusChanges: { unit: 'Count', sum: true, dimensions: { action_required: ['yes', 'no'] as const } },
  /** `changed`: the user was made again at MX; `shared`: two users share one guid. */
  MxUserGuidConflicts: { unit: 'Count', sum: true, dimensions: { kind: ['changed', 'shared'] as const } },
  RefreshRequestsDeferred: { unit: 'Count', sum: true, dimensions: { reason: DEFERRAL_REASONS } },
  /** Erasures under way at the sweep, and the oldest one's age. */
  ErasuresUnderWay: { unit: 'Count', sum: false, dimensions: {} },
  ErasureAge: { unit: 'Milliseconds', sum: false, dimensions: {} },
  /** What the sweepers (jobs' and deliveries') recovered. */
  SweeperRecoveries: { unit: 'Count', sum: true, dimensions: { action: SWEEP_ACTIONS } },
} as const satisfies MetricCatalogue;

export type AggregationMetrics = MetricsSink<typeof AGGREGATION_METRICS>;
