import type { MetricCatalogue, MetricsSink } from '../metrics.ts';

/** MX's webhooks as mx-events takes them: each metric's unit and the values each dimension may take (lib/metrics.ts). */
export const MX_EVENTS_METRICS = {
  /**
   * Authenticated MX webhooks: `replayed` is a body seen within MX's retry horizon (nothing more done), `ignored` one it
   * cannot read. MX's TRANSACTIONS created and updated, which the sync reads itself, are not counted.
   */
  MxWebhooks: { unit: 'Count', sum: true, dimensions: { outcome: ['taken', 'replayed', 'ignored'] as const } },
} as const satisfies MetricCatalogue;

export type MxEventsMetrics = MetricsSink<typeof MX_EVENTS_METRICS>;
