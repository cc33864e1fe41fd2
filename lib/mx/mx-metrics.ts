import type { MetricCatalogue, MetricsSink } from '../metrics.ts';

/** What an MX call does, as each call states it (`MxCall.kind`): one value per kind of call, never a concrete path. */
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
  'write',
] as const;
export type MxRouteClass = (typeof MX_ROUTE_CLASSES)[number];
const STATUS_CLASSES = ['2xx', '3xx', '4xx', '5xx', 'timeout', 'network', 'invalid'] as const;
/** MX's hosts: each with its own breaker and call budget in a container. */
export const MX_UPSTREAMS = ['mx-data', 'mx-sso', 'mx-realtime'] as const;
export type MxUpstream = (typeof MX_UPSTREAMS)[number];

/** `429` → `4xx`; no status: `timeout`, `network` or `invalid` from the MX error code. */
export function statusClass(status: number | undefined, errorCode?: string): (typeof STATUS_CLASSES)[number] {
  if (status !== undefined && status >= 200 && status < 600) return `${Math.floor(status / 100)}xx` as '2xx';
  if (errorCode === 'MX_TIMEOUT') return 'timeout';
  if (errorCode === 'MX_INVALID_RESPONSE') return 'invalid';
  return 'network';
}

/** MX's calls, sessions, breakers and budget: each metric's unit and the values each dimension may take (lib/metrics.ts). */
export const MX_METRICS = {
  /** One value a call: its SampleCount is the calls (no count metric beside it: a custom metric each dimension pair). */
  MxCallLatency: { unit: 'Milliseconds', sum: false, dimensions: { route: MX_ROUTE_CLASSES, status_class: STATUS_CLASSES } },
  MxRetries: { unit: 'Count', sum: true, dimensions: { route: MX_ROUTE_CLASSES, status_class: STATUS_CLASSES } },
  MxThrottled: { unit: 'Count', sum: true, dimensions: { upstream: MX_UPSTREAMS } },
  MxRetryAfter: { unit: 'Seconds', sum: false, dimensions: { upstream: MX_UPSTREAMS } },
  MxSessionsCreated: { unit: 'Count', sum: true, dimensions: {} },
  MxSessionRecoveries: { unit: 'Count', sum: true, dimensions: {} },
  /**
   * The fleet's session data key of an hour as a container took it: made (and stored for the others), opened, or `own`:
   * the stored one did not open or was gone, so the container sealed under a key of its own.
   */
  SessionDataKeys: { unit: 'Count', sum: true, dimensions: { outcome: ['made', 'opened', 'own'] as const } },
  /** SSO answered 401/403: the partner credentials or the IP allow-list. */
  MxCredentialsRefused: { unit: 'Count', sum: true, dimensions: {} },
  /** A container's MX circuit breaker moved: `open` means MX kept failing. */
  MxCircuitChanges: {
    unit: 'Count',
    sum: true,
    dimensions: { upstream: MX_UPSTREAMS, state: ['open', 'half_open', 'closed'] as const },
  },
  MxCircuitRefusals: { unit: 'Count', sum: true, dimensions: { upstream: MX_UPSTREAMS } },
  /** A container leased a block of the shared MX call budget: one table write each. */
  MxBudgetLeases: {
    unit: 'Count',
    sum: true,
    dimensions: { upstream: MX_UPSTREAMS, outcome: ['granted', 'short', 'failed'] as const },
  },
  /** How long a call waited for the budget, when it waited. */
  MxBudgetWait: { unit: 'Milliseconds', sum: false, dimensions: {} },
  /** MX calls not sent: the budget was spent for longer than a call waits. */
  MxBudgetRefusals: { unit: 'Count', sum: true, dimensions: { upstream: MX_UPSTREAMS } },
} as const satisfies MetricCatalogue;

export type MxMetrics = MetricsSink<typeof MX_METRICS>;
