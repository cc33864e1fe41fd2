import { MxCallBudget } from '../mx/call-budget.ts';
import type { CircuitBreakerOptions } from '../mx/circuit-breaker.ts';
import { RateLimitRepository } from '../store/rate-limit-repo.ts';
import type { TableRef } from '../store/table.ts';
import type { Runtime } from './runtime.ts';

type MxUpstream = CircuitBreakerOptions['upstream'];

const budgets = new WeakMap<Runtime, Map<MxUpstream, MxCallBudget>>();

/**
 * The container's share of the budget of calls to one MX host, which every function spends (MX_CALLS_PER_SECOND per
 * host): the data host, SSO and MDX Real Time each have their own, so a data-host outage spends none of user creation's.
 */
export function mxCallBudgetOf(runtime: Runtime, table: TableRef, upstream: MxUpstream): MxCallBudget {
  let hosts = budgets.get(runtime);
  if (!hosts) budgets.set(runtime, (hosts = new Map()));
  let budget = hosts.get(upstream);
  if (!budget) {
    const { config, clock, log, metrics } = runtime;
    budget = new MxCallBudget({
      counter: new RateLimitRepository(table),
      name: `mx-calls:${upstream}`,
      perSecond: config.mx.callsPerSecond,
      clock,
      log,
      metrics,
    });
    hosts.set(upstream, budget);
  }
  return budget;
}
