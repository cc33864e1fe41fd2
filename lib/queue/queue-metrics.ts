import type { MetricCatalogue, MetricsSink } from '../metrics.ts';
import { QUEUE_NAMES } from './queue-names.ts';

const DEAD_LETTER_REASONS = [
  'malformed',
  'invalid_json',
  'invalid_request',
  'idempotency_key_reused',
  'member_not_found',
  'upstream_rejected',
  'user_erased',
] as const;

/** Queue messages dead-lettered: each metric's unit and the values each dimension may take (lib/metrics.ts). */
export const QUEUE_METRICS = {
  MessagesDeadLettered: { unit: 'Count', sum: true, dimensions: { queue: QUEUE_NAMES, reason: DEAD_LETTER_REASONS } },
} as const satisfies MetricCatalogue;

export type QueueMetrics = MetricsSink<typeof QUEUE_METRICS>;
