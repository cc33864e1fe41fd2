import { ReconcileEnrolment } from '../aggregation/reconcile-enrolment.ts';
import { ReconcileRepository } from '../aggregation/reconcile-repo.ts';
import type { TableRef } from '../store/table.ts';
import type { Runtime } from './runtime.ts';

/**
 * The users apps are served, each noted on its reconcile item: what MX's webhooks are believed for (member-watch.ts).
 * Noted with RECONCILE_INTERVAL_MINUTES at 0 too, when no turn is dispatched.
 */
export function reconcileEnrolmentOf(runtime: Runtime, table: TableRef): ReconcileEnrolment {
  const { clock, log, metrics } = runtime;
  return new ReconcileEnrolment({ schedule: new ReconcileRepository(table), clock, log, metrics });
}
