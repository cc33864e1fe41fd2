import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { JOB_KINDS, JOB_TRIGGERS } from './aggregation/job.ts';
import { QUEUE_NAMES } from './queue/queue-names.ts';

/** CloudWatch namespace of every nexus-relay metric; the environment is a dimension of each. */
export const METRIC_NAMESPACE = 'NexusRelay';

const JOB_OUTCOMES = ['succeeded', 'action_required', 'failed', 'timed_out'] as const;
/** What told the relay a job had ended. */
export const DETECTORS = ['poll', 'push', 'reconcile', 'sweeper'] as const;
export type Detector = (typeof DETECTORS)[number];
/** MX routes by what they do: one value per kind of call, never a concrete path. */
export const MX_ROUTE_CLASSES = [
  'sso',
  'users',
  'session',
  'aggregate',
  'premium_job',
  'member',
  'institution',
  'challenges',
  'resume',
  'read',
] as const;
/** The `route` dimension of MX's metrics, as each call states it (`MxCall.kind`). */
export type MxRouteClass = (typeof MX_ROUTE_CLASSES)[number];
const STATUS_CLASSES = ['2xx', '3xx', '4xx', '5xx', 'timeout', 'network', 'invalid'] as const;
const UPSTREAMS = ['mx-data', 'mx-sso', 'mx-realtime'] as const;
/** A 2xx, the status class of any other answer, or why there was none. */
const ATTEMPT_OUTCOMES = [
  'delivered',
  'http_3xx',
  'http_4xx',
  'http_5xx',
  'timeout',
  'dns',
  'connection',
  'tls',
  'blocked_address',
  'other',
] as const;
const DEAD_LETTER_REASONS = [
  'malformed',
  'invalid_json',
  'invalid_request',
  'idempotency_key_reused',
  'member_not_found',
  'upstream_rejected',
  'user_erased',
] as const;
const SWEEP_ACTIONS = ['repolled', 'renotified', 'released', 'tracked', 'redelivered', 'resumed'] as const;
const DEFERRAL_REASONS = ['rate_capped', 'key_in_progress', 'member_busy', 'mx_rate_limited', 'mx_unavailable'] as const;

type Unit = 'Count' | 'Milliseconds' | 'Seconds';

/**
 * Every metric, with its unit and every value each dimension may take; any other value is recorded as `other`, so no id
 * or URL can become a time series. `sum` metrics are added up within an invocation and written once.
 */
export const METRICS = {
  // Aggregation jobs
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
  // MX
  MxCalls: { unit: 'Count', sum: true, dimensions: { route: MX_ROUTE_CLASSES, status_class: STATUS_CLASSES } },
  MxCallLatency: { unit: 'Milliseconds', sum: false, dimensions: { route: MX_ROUTE_CLASSES, status_class: STATUS_CLASSES } },
  MxRetries: { unit: 'Count', sum: true, dimensions: { route: MX_ROUTE_CLASSES, status_class: STATUS_CLASSES } },
  MxThrottled: { unit: 'Count', sum: true, dimensions: { upstream: UPSTREAMS } },
  MxRetryAfter: { unit: 'Seconds', sum: false, dimensions: { upstream: UPSTREAMS } },
  MxSessionsCreated: { unit: 'Count', sum: true, dimensions: {} },
  MxSessionRecoveries: { unit: 'Count', sum: true, dimensions: {} },
  /** SSO answered 401/403: the partner credentials or the IP allow-list. */
  MxCredentialsRefused: { unit: 'Count', sum: true, dimensions: {} },
  /** Users made at MX when first needed: `existed` on a 409. */
  MxUserCreations: { unit: 'Count', sum: true, dimensions: { outcome: ['created', 'existed', 'refused'] as const } },
  // Connect
  WidgetUrlsIssued: { unit: 'Count', sum: true, dimensions: { widget_type: ['connect_widget', 'connections_widget'] as const } },
  MemberChanges: { unit: 'Count', sum: true, dimensions: { action: ['created', 'updated', 'deleted'] as const } },
  /** OAuth window URIs handed out (a new OAuth member's first, or a re-authorisation). */
  OAuthWindows: { unit: 'Count', sum: true, dimensions: {} },
  /** `repeated` when an erasure of the user was already under way. */
  Erasures: { unit: 'Count', sum: true, dimensions: { stage: ['begun', 'repeated'] as const } },
  ErasureSteps: { unit: 'Count', sum: true, dimensions: {} },
  ErasedItems: { unit: 'Count', sum: true, dimensions: {} },
  /** Erasures ended (`user.deleted` sent): `absent` when MX no longer had the user. */
  UsersErased: { unit: 'Count', sum: true, dimensions: { mx_user: ['deleted', 'absent'] as const } },
  ErasureDuration: { unit: 'Milliseconds', sum: false, dimensions: {} },
  /** Erasures under way at the sweep, and the oldest one's age. */
  ErasuresUnderWay: { unit: 'Count', sum: false, dimensions: {} },
  ErasureAge: { unit: 'Milliseconds', sum: false, dimensions: {} },
  // What MX did on its own
  /**
   * MX's webhooks about members no job follows: `coalesced` joins a read already due, `overflow` is a deletion past what the
   * hints hold, `unplaced` a user guid never seen, `unserved` a user no app is served (nothing read, made or recorded).
   */
  MemberReports: {
    unit: 'Count',
    sum: true,
    dimensions: {
      kind: ['aggregation', 'connection_status', 'transactions', 'member_deleted'] as const,
      outcome: ['hinted', 'coalesced', 'overflow', 'unplaced', 'unserved'] as const,
    },
  },
  /** Authenticated MX webhooks: `replayed` is a body seen within MX's retry horizon (nothing more done). */
  MxWebhooks: { unit: 'Count', sum: true, dimensions: { outcome: ['taken', 'replayed', 'ignored'] as const } },
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
  ReconcileEnrolments: { unit: 'Count', sum: true, dimensions: { outcome: ['enrolled', 'already', 'failed'] as const } },
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
  /** The most overdue user a dispatcher run found: the reconcile's backlog. */
  ReconcileOverdue: { unit: 'Milliseconds', sum: false, dimensions: {} },
  MemberStatusChanges: { unit: 'Count', sum: true, dimensions: { action_required: ['yes', 'no'] as const } },
  /** Calls refused because they name an erased user. */
  ErasedUserRefusals: { unit: 'Count', sum: true, dimensions: { at: ['api', 'mx_user'] as const } },
  /** `changed`: the user was made again at MX; `shared`: two users share one guid. */
  MxUserGuidConflicts: { unit: 'Count', sum: true, dimensions: { kind: ['changed', 'shared'] as const } },
  /** A container's MX circuit breaker moved: `open` means MX kept failing. */
  MxCircuitChanges: {
    unit: 'Count',
    sum: true,
    dimensions: { upstream: UPSTREAMS, state: ['open', 'half_open', 'closed'] as const },
  },
  MxCircuitRefusals: { unit: 'Count', sum: true, dimensions: { upstream: UPSTREAMS } },
  /** A container leased a block of the shared MX call budget: one table write each. */
  MxBudgetLeases: { unit: 'Count', sum: true, dimensions: { outcome: ['granted', 'short', 'failed'] as const } },
  /** How long a call waited for the budget, when it waited. */
  MxBudgetWait: { unit: 'Milliseconds', sum: false, dimensions: {} },
  /** MX calls not sent: the budget was spent for longer than a call waits. */
  MxBudgetRefusals: { unit: 'Count', sum: true, dimensions: {} },
  // Webhooks
  WebhookAttempts: { unit: 'Count', sum: true, dimensions: { outcome: ATTEMPT_OUTCOMES } },
  /** The event's creation → its first 2xx from the endpoint. */
  WebhookDeliveryLatency: { unit: 'Milliseconds', sum: false, dimensions: {} },
  WebhookEndpointsDisabled: { unit: 'Count', sum: true, dimensions: {} },
  WebhookBreakerChanges: { unit: 'Count', sum: true, dimensions: { to: ['open', 'closed'] as const } },
  WebhookDeliveriesHeld: { unit: 'Count', sum: true, dimensions: {} },
  WebhookSlowLaneMoves: { unit: 'Count', sum: true, dimensions: { reason: ['patience', 'known_slow', 'probe'] as const } },
  /** Attempts sent back to wait: their webhook's own rate (`max_deliveries_per_second`) was spent. */
  WebhookAttemptsPaced: { unit: 'Count', sum: true, dimensions: {} },
  /** Per sweep: the longest any endpoint's breaker has kept failing (0: none open). */
  WebhookBreakerOpenAge: { unit: 'Milliseconds', sum: false, dimensions: {} },
  // Queues and recovery
  MessagesDeadLettered: { unit: 'Count', sum: true, dimensions: { queue: QUEUE_NAMES, reason: DEAD_LETTER_REASONS } },
  SweeperRecoveries: { unit: 'Count', sum: true, dimensions: { action: SWEEP_ACTIONS } },
  RefreshRequestsDeferred: { unit: 'Count', sum: true, dimensions: { reason: DEFERRAL_REASONS } },
  // Transactions sync
  TransactionsSynced: { unit: 'Count', sum: true, dimensions: {} },
  /** Changes an ingest wrote to a user's change log; `window`: after an aggregation, also the days MX may still change. */
  TransactionChangesIngested: {
    unit: 'Count',
    sum: true,
    dimensions: { kind: ['full', 'window', 'incremental', 'webhook'] as const },
  },
  /** Batches of an inactive user's transactions deleted: `done` the last, `more` to come. */
  TransactionsForgotten: { unit: 'Count', sum: true, dimensions: { outcome: ['done', 'more'] as const } },
  /** Posted transactions linked to the pending one they replaced. */
  PendingTransactionsLinked: { unit: 'Count', sum: true, dimensions: {} },
  /** Transactions missing from a paged list that narrower reads could not confirm gone: left for a later read, not removed. */
  TransactionRemovalsUnconfirmed: { unit: 'Count', sum: true, dimensions: {} },
  // Access
  /** 403s by access rule; `idempotency_key` says whether the request carried one (a refused replay). */
  AccessRefused: {
    unit: 'Count',
    sum: true,
    dimensions: { rule: ['server_key', 'user'] as const, idempotency_key: ['present', 'absent'] as const },
  },
  KeyRequestsThrottled: { unit: 'Count', sum: true, dimensions: {} },
} as const satisfies Record<string, { unit: Unit; sum: boolean; dimensions: Record<string, readonly string[]> }>;

export type MetricName = keyof typeof METRICS;
export type DimensionsOf<N extends MetricName> = {
  [D in keyof (typeof METRICS)[N]['dimensions']]: (typeof METRICS)[N]['dimensions'][D] extends readonly (infer V)[] ? V : never;
};

/** What lib/ records metrics with. `add` never throws and never writes: values are written at the invocation's end. */
export interface MetricsSink {
  add<N extends MetricName>(name: N, value: number, dimensions: DimensionsOf<N>): void;
}

/** Records nothing. */
export const noMetrics: MetricsSink = { add() {} };

/** The given value when the catalogue lists it, `other` otherwise. */
export function dimensionValue(allowed: readonly string[], value: unknown): string {
  return typeof value === 'string' && allowed.includes(value) ? value : 'other';
}

interface Entry {
  name: MetricName;
  values: number[];
}

export interface EmfMetricsOptions {
  environment: string;
}

/** Records through Powertools (EMF). An EMF line has one value per dimension, so metrics are grouped by dimension values. */
export class EmfMetrics implements MetricsSink {
  /** Dimension values (as JSON) → metric name → what was recorded. */
  readonly #groups = new Map<string, Map<MetricName, Entry>>();
  readonly #metrics: Metrics;

  constructor(options: EmfMetricsOptions) {
    this.#metrics = new Metrics({
      namespace: METRIC_NAMESPACE,
      serviceName: 'nexus-relay',
      defaultDimensions: { environment: options.environment },
    });
  }

  add<N extends MetricName>(name: N, value: number, dimensions: DimensionsOf<N>): void {
    if (!Number.isFinite(value)) return;
    const given = dimensions as Record<string, unknown>;
    const recorded: Record<string, string> = {};
    for (const [dimension, allowed] of Object.entries(METRICS[name].dimensions) as [string, readonly string[]][]) {
      recorded[dimension] = dimensionValue(allowed, given[dimension]);
    }
    const key = JSON.stringify(recorded);
    let group = this.#groups.get(key);
    if (!group) this.#groups.set(key, (group = new Map()));
    const entry = group.get(name);
    if (!entry) group.set(name, { name, values: [value] });
    else if (METRICS[name].sum) entry.values[0]! += value;
    else entry.values.push(value);
  }

  /** Powertools' `ColdStart` metric (dimension `function_name`), once per container. */
  coldStart(functionName: string): void {
    try {
      this.#metrics.captureColdStartMetric(functionName);
    } catch {
      // A metric must never fail the invocation that recorded it.
    }
  }

  /** Publishes what was recorded since the last flush and forgets it. Never throws. */
  flush(): void {
    const groups = [...this.#groups];
    this.#groups.clear();
    for (const [key, entries] of groups) {
      try {
        const dimensions = JSON.parse(key) as Record<string, string>;
        let inLine = 0;
        const startLine = () => {
          if (Object.keys(dimensions).length > 0) this.#metrics.addDimensions(dimensions);
          inLine = 0;
        };
        startLine();
        for (const { name, values } of entries.values()) {
          for (const value of values) {
            if (inLine === VALUES_PER_LINE) {
              this.#metrics.publishStoredMetrics();
              startLine();
            }
            this.#metrics.addMetric(name, MetricUnit[METRICS[name].unit], value);
            inLine += 1;
          }
        }
      } catch {
        // What the group left behind must not join the next group's line.
        this.#discard();
        continue;
      }
      try {
        // Clears what it published, whether it wrote it or threw.
        this.#metrics.publishStoredMetrics();
      } catch {
        // As above.
      }
    }
  }

  #discard(): void {
    for (const clear of [() => this.#metrics.clearMetrics(), () => this.#metrics.clearDimensions()]) {
      try {
        clear();
      } catch {
        // As above.
      }
    }
  }
}

/** Powertools writes a line by itself at 100 values of a metric, clearing the dimensions the rest of the group needs. */
const VALUES_PER_LINE = 99;

/** `429` → `4xx`; no status: `timeout`, `network` or `invalid` from the MX error code. */
export function statusClass(status: number | undefined, errorCode?: string): (typeof STATUS_CLASSES)[number] {
  if (status !== undefined && status >= 200 && status < 600) return `${Math.floor(status / 100)}xx` as '2xx';
  if (errorCode === 'MX_TIMEOUT') return 'timeout';
  if (errorCode === 'MX_INVALID_RESPONSE') return 'invalid';
  return 'network';
}
