import { ReconcileEnrolment } from '../aggregation/reconcile-enrolment.ts';
import { ReconcileRepository } from '../aggregation/reconcile-repo.ts';
import type { TableRef } from '../store/table.ts';
import type { Runtime } from './runtime.ts';

/** Notes the users apps are served, whom MX's webhooks are believed for; even with the reconcile off. */
export function reconcileEnrolmentOf(runtime: Runtime, table: TableRef): ReconcileEnrolment {
  const { clock, log, metrics } = runtime;
  return new ReconcileEnrolment({ schedule: new ReconcileRepository(table), clock, log, metrics });
}
