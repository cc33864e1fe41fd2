import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { QUEUE_NAMES } from './queue/queue-names.ts';

/** CloudWatch namespace of every nexus-relay metric; the environment is a dimension of each. */
export const METRIC_NAMESPACE = 'NexusRelay';

const JOB_OUTCOMES = ['succeeded', 'action_required', 'failed', 'timed_out'] as const;
/** What told the relay a job had ended: its scheduled poll, MX's push, or the sweeper's re-drive. */
export const DETECTORS = ['poll', 'push', 'sweeper'] as const;
/** MX routes by what they do: one value per kind of call, never a concrete path. */
export const MX_ROUTE_CLASSES = ['sso', 'session', 'aggregate', 'member', 'challenges', 'resume', 'read'] as const;
const STATUS_CLASSES = ['2xx', '3xx', '4xx', '5xx', 'timeout', 'network', 'invalid'] as const;
const UPSTREAMS = ['mx-data', 'mx-sso'] as const;
/** A 2xx, the status class of any other answer, or why there was none (lib/notify/attempt.ts). */
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
] as const;
const SWEEP_ACTIONS = ['repolled', 'renotified', 'released', 'tracked', 'redelivered'] as const;
const DEFERRAL_REASONS = ['rate_capped', 'key_in_progress', 'member_busy', 'mx_rate_limited'] as const;
const REFRESH_TRIGGERS = ['api', 'event'] as const;

type Unit = 'Count' | 'Milliseconds' | 'Seconds';

/**
 * Every metric the relay emits, with its unit and, per dimension, every value it may take. A value outside its
 * list is recorded as `other`: dimensions stay low-cardinality by construction (no user id, member guid, job id
 * or URL can become a time series). `sum` metrics are added up within an invocation and written once.
 */
export const METRICS = {
  // Aggregation jobs
  JobsStarted: { unit: 'Count', sum: true, dimensions: { trigger: REFRESH_TRIGGERS } },
  JobsEnded: { unit: 'Count', sum: true, dimensions: { outcome: JOB_OUTCOMES, detected_by: DETECTORS } },
  JobDuration: { unit: 'Milliseconds', sum: false, dimensions: { outcome: JOB_OUTCOMES } },
  /** MX's own end of a successful aggregation (`successfully_aggregated_at`) → the relay knew. */
  DetectionLag: { unit: 'Milliseconds', sum: false, dimensions: { detected_by: DETECTORS } },
  PollsPerJob: { unit: 'Count', sum: false, dimensions: { outcome: JOB_OUTCOMES } },
  // MX
  MxCalls: { unit: 'Count', sum: true, dimensions: { route: MX_ROUTE_CLASSES, status_class: STATUS_CLASSES } },
  MxCallLatency: { unit: 'Milliseconds', sum: false, dimensions: { upstream: UPSTREAMS } },
  MxRetries: { unit: 'Count', sum: true, dimensions: { route: MX_ROUTE_CLASSES, status_class: STATUS_CLASSES } },
  MxThrottled: { unit: 'Count', sum: true, dimensions: { upstream: UPSTREAMS } },
  MxRetryAfter: { unit: 'Seconds', sum: false, dimensions: { upstream: UPSTREAMS } },
  MxSessionsCreated: { unit: 'Count', sum: true, dimensions: {} },
  MxSessionRecoveries: { unit: 'Count', sum: true, dimensions: {} },
  /** SSO answered 401/403: the partner credentials or the IP allow-list. */
  MxCredentialsRefused: { unit: 'Count', sum: true, dimensions: {} },
  /** Users the relay made at MX when it first needed them: `existed` when MX had it (409), `refused` when MX said no. */
  MxUserCreations: { unit: 'Count', sum: true, dimensions: { outcome: ['created', 'existed', 'refused'] as const } },
  // Connect
  /** Widget URLs handed to client apps, by widget (the Connect ones by name, any other as `other`). */
  WidgetUrlsIssued: { unit: 'Count', sum: true, dimensions: { widget_type: ['connect_widget', 'connections_widget'] as const } },
  // Webhooks
  WebhookAttempts: { unit: 'Count', sum: true, dimensions: { outcome: ATTEMPT_OUTCOMES } },
  /** The event's creation → its first 2xx from the endpoint. */
  WebhookDeliveryLatency: { unit: 'Milliseconds', sum: false, dimensions: {} },
  WebhookEndpointsDisabled: { unit: 'Count', sum: true, dimensions: {} },
  // Queues and recovery
  MessagesDeadLettered: { unit: 'Count', sum: true, dimensions: { queue: QUEUE_NAMES, reason: DEAD_LETTER_REASONS } },
  SweeperRecoveries: { unit: 'Count', sum: true, dimensions: { action: SWEEP_ACTIONS } },
  RefreshRequestsDeferred: { unit: 'Count', sum: true, dimensions: { reason: DEFERRAL_REASONS } },
  // Transactions sync
  /** Changes (added, modified, removed) handed to clients by transactions sync. */
  TransactionsSynced: { unit: 'Count', sum: true, dimensions: {} },
  /** Changes an ingest found in MX's lists and wrote to a user's change log; `kind` full (whole list) or incremental. */
  TransactionChangesIngested: { unit: 'Count', sum: true, dimensions: { kind: ['full', 'incremental'] as const } },
  // Access
  /**
   * A key refused by an operation's access rule (403): `user` for another user's data, `server_key` for a server-only
   * operation; `idempotency_key` says whether the request carried one (a refused replay).
   */
  AccessRefused: {
    unit: 'Count',
    sum: true,
    dimensions: { rule: ['server_key', 'user'] as const, idempotency_key: ['present', 'absent'] as const },
  },
  /** A request refused because its API key passed its per-minute limit (429). */
  KeyRequestsThrottled: { unit: 'Count', sum: true, dimensions: {} },
  // Lambda
  ColdStart: { unit: 'Count', sum: true, dimensions: { function_name: [] as readonly string[] } },
} as const satisfies Record<string, { unit: Unit; sum: boolean; dimensions: Record<string, readonly string[]> }>;

export type MetricName = keyof typeof METRICS;
export type DimensionsOf<N extends MetricName> = {
  [D in keyof (typeof METRICS)[N]['dimensions']]: (typeof METRICS)[N]['dimensions'][D] extends readonly (infer V)[] ? V : never;
};

/** What lib/ records metrics with. `add` never throws and never writes: values are written at the invocation's end. */
export interface MetricsSink {
  add<N extends MetricName>(name: N, value: number, dimensions: DimensionsOf<N>): void;
}

/** Records nothing (the default where a caller does not care). */
export const noMetrics: MetricsSink = { add() {} };

/** The value a dimension is recorded with: the given one when the catalogue lists it, `other` otherwise. */
export function dimensionValue(allowed: readonly string[], value: unknown): string {
  return typeof value === 'string' && allowed.includes(value) ? value : 'other';
}

/** Function names are a fixed, deployed set; anything not shaped like one is `other`. */
const FUNCTION_NAME = /^[a-z][a-z0-9-]{0,63}$/;

interface Entry {
  name: MetricName;
  dimensions: Record<string, string>;
  /** `dimensions` as JSON: the entries of one dimension set are one directive. */
  dimensionsKey: string;
  values: number[];
}

export interface EmfMetricsOptions {
  /** `dev`, `staging`, `prod` or `local`: the `environment` dimension of every metric. */
  environment: string;
  /** Where each EMF line goes; stdout by default, which Lambda sends to CloudWatch Logs (and so to CloudWatch). */
  write?: (line: string) => void;
}

/**
 * Metrics as CloudWatch Embedded Metric Format lines, serialized by Powertools Metrics: recorded in memory during an
 * invocation and written by `flush()` at its end (see `lib/compositions/observability.ts`), one directive per set of
 * dimension values, as few lines as their values allow. Locally the same lines go to the stack's output.
 */
export class EmfMetrics implements MetricsSink {
  readonly #entries = new Map<string, Entry>();
  readonly #metrics: Metrics;
  readonly #write: (line: string) => void;
  readonly #coldStarted = new Set<string>();

  constructor(options: EmfMetricsOptions) {
    this.#metrics = new Metrics({
      namespace: METRIC_NAMESPACE,
      serviceName: 'nexus-relay',
      defaultDimensions: { environment: options.environment },
    });
    this.#write = options.write ?? ((line) => process.stdout.write(`${line}\n`));
  }

  add<N extends MetricName>(name: N, value: number, dimensions: DimensionsOf<N>): void {
    if (!Number.isFinite(value)) return;
    const spec = METRICS[name];
    const given = dimensions as Record<string, unknown>;
    const recorded: Record<string, string> = {};
    for (const [dimension, allowed] of Object.entries(spec.dimensions) as [string, readonly string[]][]) {
      const raw = given[dimension];
      recorded[dimension] =
        dimension === 'function_name'
          ? typeof raw === 'string' && FUNCTION_NAME.test(raw)
            ? raw
            : 'other'
          : dimensionValue(allowed, raw);
    }
    const dimensionsKey = JSON.stringify(recorded);
    const key = `${name}|${dimensionsKey}`;
    const entry = this.#entries.get(key);
    if (!entry) this.#entries.set(key, { name, dimensions: recorded, dimensionsKey, values: [value] });
    else if (spec.sum) entry.values[0]! += value;
    else entry.values.push(value);
  }

  /** A `ColdStart` count the first time `functionName` flushes in this container. */
  coldStart(functionName: string): void {
    if (this.#coldStarted.has(functionName)) return;
    this.#coldStarted.add(functionName);
    this.add('ColdStart', 1, { function_name: functionName });
  }

  /**
   * Writes what was recorded since the last flush and forgets it. Never throws. Each dimension set is one EMF
   * directive, serialized by Powertools; directives whose root members agree share a line (EMF's CloudWatchMetrics is
   * an array of directives), so an invocation usually writes one line rather than one per dimension set.
   */
  flush(): void {
    if (this.#entries.size === 0) return;
    const groups = new Map<string, Entry[]>();
    for (const entry of this.#entries.values()) {
      const group = groups.get(entry.dimensionsKey);
      if (group) group.push(entry);
      else groups.set(entry.dimensionsKey, [entry]);
    }
    this.#entries.clear();
    const lines: EmfLine[] = [];
    for (const entries of groups.values()) {
      try {
        this.#metrics.addDimensions(entries[0]!.dimensions);
        for (const entry of entries) {
          const unit = MetricUnit[METRICS[entry.name].unit];
          // EMF takes at most 100 values per metric per line.
          for (const value of entry.values.slice(0, 100)) this.#metrics.addMetric(entry.name, unit, value);
        }
        addToLines(lines, this.#metrics.serializeMetrics() as EmfLine);
      } catch {
        // A metric must never fail the invocation that recorded it.
      } finally {
        this.#metrics.clearMetrics();
        this.#metrics.clearDimensions();
      }
    }
    for (const line of lines) {
      try {
        this.#write(JSON.stringify(line));
      } catch {
        // As above: never fail the invocation.
      }
    }
  }
}

/** One EMF document: `_aws` (the timestamp and the directives) and the root members the directives name. */
interface EmfLine {
  _aws: { Timestamp: number; CloudWatchMetrics: { Metrics: unknown[] }[] };
  [member: string]: unknown;
}

/** EMF allows at most 100 metric definitions per directive; a line here holds at most this many over its directives. */
const MAX_METRICS_PER_LINE = 100;

/**
 * Puts `document` into the first line whose root members it agrees with (a member both hold has the same value in
 * both: the environment, a shared dimension value) and whose metrics it does not push over the limit, or into a line
 * of its own. Two directives of the same metric with other dimension values never share a line: their values differ.
 */
function addToLines(lines: EmfLine[], document: EmfLine): void {
  const line = lines.find((candidate) => fits(candidate, document));
  if (!line) {
    lines.push(document);
    return;
  }
  line._aws = { ...line._aws, CloudWatchMetrics: [...line._aws.CloudWatchMetrics, ...document._aws.CloudWatchMetrics] };
  for (const member in document) if (member !== '_aws') line[member] = document[member];
}

function fits(line: EmfLine, document: EmfLine): boolean {
  if (metricCount(line) + metricCount(document) > MAX_METRICS_PER_LINE) return false;
  for (const member in document) {
    if (member !== '_aws' && member in line && !sameValue(line[member], document[member])) return false;
  }
  return true;
}

const metricCount = (line: EmfLine): number =>
  line._aws.CloudWatchMetrics.reduce((total, directive) => total + directive.Metrics.length, 0);

/** Root members are strings (dimensions) or numbers and arrays of numbers (metric values). */
const sameValue = (a: unknown, b: unknown): boolean =>
  a === b || (Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((value, index) => value === b[index]));

/** `/members/{member_guid}/aggregate` → `aggregate`: the route class of an MX route pattern. */
export function mxRouteClass(route: string): (typeof MX_ROUTE_CLASSES)[number] {
  // The SSO API's routes are under the partner's client id: API tokens, widget URLs, users.
  if (route.startsWith('/{client_id}/')) return 'sso';
  if (route === '/sessions') return 'session';
  // The member calls of the aggregation loop are under /members; the relayed reads are under /users/….
  const member = /^\/members\/[^/]+(?:\/(aggregate|resume|challenges))?$/.exec(route);
  if (member) return (member[1] as 'aggregate' | 'resume' | 'challenges' | undefined) ?? 'member';
  return 'read';
}

/** `429` → `4xx`; no status: `timeout`, `network` or `invalid` from the MX error code. */
export function statusClass(status: number | undefined, errorCode?: string): (typeof STATUS_CLASSES)[number] {
  if (status !== undefined && status >= 200 && status < 600) return `${Math.floor(status / 100)}xx` as '2xx';
  if (errorCode === 'MX_TIMEOUT') return 'timeout';
  if (errorCode === 'MX_INVALID_RESPONSE') return 'invalid';
  return 'network';
}
