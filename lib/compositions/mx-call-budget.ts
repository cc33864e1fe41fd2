import { MxCallBudget } from '../mx/call-budget.ts';
import { RateLimitRepository } from '../store/rate-limit-repo.ts';
import type { TableRef } from '../store/table.ts';
import type { Runtime } from './runtime.ts';

const budgets = new WeakMap<Runtime, MxCallBudget>();

/** The container's one share of the MX call budget every function spends, whichever of its MX clients calls. */
export function mxCallBudgetOf(runtime: Runtime, table: TableRef): MxCallBudget {
  let budget = budgets.get(runtime);
  if (!budget) {
    const { config, clock, log, metrics } = runtime;
    budget = new MxCallBudget({
      counter: new RateLimitRepository(table),
      perSecond: config.mx.callsPerSecond,
      clock,
      log,
      metrics,
    });
    budgets.set(runtime, budget);
  }
  return budget;
}
