import type { MetricCatalogue, MetricsSink } from '../metrics.ts';

/** A 2xx, the status class of any other answer, or why there was none (attempt.ts). */
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

/** Webhook deliveries: each metric's unit and the values each dimension may take (lib/metrics.ts). */
export const NOTIFY_METRICS = {
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
} as const satisfies MetricCatalogue;

export type NotifyMetrics = MetricsSink<typeof NOTIFY_METRICS>;
