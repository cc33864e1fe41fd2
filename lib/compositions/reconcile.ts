import { ReconcileEnrolment } from '../aggregation/reconcile-enrolment.ts';
import { ReconcileRepository } from '../aggregation/reconcile-repo.ts';
import type { TableRef } from '../store/table.ts';
import type { Runtime } from './runtime.ts';

/** The users the relay serves, put on the reconcile's schedule (none when RECONCILE_INTERVAL_MINUTES is 0: it is off). */
export function reconcileEnrolmentOf(
  runtime: Runtime,
  table: TableRef,
  { servesApps, schedule = new ReconcileRepository(table) }: { servesApps: boolean; schedule?: ReconcileRepository },
): ReconcileEnrolment | undefined {
  const { config, clock, log, metrics } = runtime;
  if (config.aggregation.reconcileIntervalMinutes <= 0) return undefined;
  return new ReconcileEnrolment({ schedule, servesApps, clock, log, metrics });
}
