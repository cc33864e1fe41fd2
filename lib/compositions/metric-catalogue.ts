import { AGGREGATION_METRICS } from '../aggregation/aggregation-metrics.ts';
import { CONNECT_METRICS } from '../connect/connect-metrics.ts';
import { HTTP_METRICS } from '../http/http-metrics.ts';
import type { EmfMetrics } from '../metrics.ts';
import { MX_EVENTS_METRICS } from '../mx-events/mx-events-metrics.ts';
import { MX_METRICS } from '../mx/mx-metrics.ts';
import { NOTIFY_METRICS } from '../notify/notify-metrics.ts';
import { QUEUE_METRICS } from '../queue/queue-metrics.ts';
import { TRANSACTIONS_METRICS } from '../transactions/transactions-metrics.ts';

/** Every metric the relay emits: each slice's catalogue, one namespace (what infra/ alarms and charts read). */
export const METRICS = {
  ...AGGREGATION_METRICS,
  ...CONNECT_METRICS,
  ...HTTP_METRICS,
  ...MX_METRICS,
  ...MX_EVENTS_METRICS,
  ...NOTIFY_METRICS,
  ...QUEUE_METRICS,
  ...TRANSACTIONS_METRICS,
};

export type MetricName = keyof typeof METRICS;
export type RelayMetrics = EmfMetrics<typeof METRICS>;
