import type { MetricCatalogue, MetricsSink } from '../metrics.ts';

/** Access refused and keys throttled: each metric's unit and the values each dimension may take (lib/metrics.ts). */
export const HTTP_METRICS = {
  /** 403s by access rule; `idempotency_key` says whether the request carried one (a refused replay). */
  AccessRefused: {
    unit: 'Count',
    sum: true,
    dimensions: { rule: ['server_key', 'user'] as const, idempotency_key: ['present', 'absent'] as const },
  },
  KeyRequestsThrottled: { unit: 'Count', sum: true, dimensions: {} },
} as const satisfies MetricCatalogue;

export type HttpMetrics = MetricsSink<typeof HTTP_METRICS>;
