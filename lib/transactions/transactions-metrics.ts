import type { MetricCatalogue, MetricsSink } from '../metrics.ts';

/** Transactions sync: each metric's unit and the values each dimension may take (lib/metrics.ts). */
export const TRANSACTIONS_METRICS = {
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
} as const satisfies MetricCatalogue;

export type TransactionsMetrics = MetricsSink<typeof TRANSACTIONS_METRICS>;
