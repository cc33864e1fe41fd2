import { type BudgetPriority, MxCallBudget } from '../mx/call-budget.ts';
import type { CircuitBreakerOptions } from '../mx/circuit-breaker.ts';
import { RateLimitRepository } from '../store/rate-limit-repo.ts';
import type { TableRef } from '../store/table.ts';
import type { Runtime } from './runtime.ts';

type MxUpstream = CircuitBreakerOptions['upstream'];

const budgets = new WeakMap<Runtime, Map<string, MxCallBudget>>();

/**
 * The container's share of one MX host's call budget: each host has its own, so one host's outage spends none of another's;
 * queued work leaves a part of each period to apps.
 */
export function mxCallBudgetOf(
  runtime: Runtime,
  table: TableRef,
  upstream: MxUpstream,
  priority: BudgetPriority = 'app',
): MxCallBudget {
  let hosts = budgets.get(runtime);
  if (!hosts) budgets.set(runtime, (hosts = new Map()));
  let budget = hosts.get(`${upstream}:${priority}`);
  if (!budget) {
    const { config, clock, log, metrics } = runtime;
    budget = new MxCallBudget({
      counter: new RateLimitRepository(table),
      upstream,
      perSecond: config.mx.callsPerSecond,
      clock,
      log,
      metrics,
      priority,
    });
    hosts.set(`${upstream}:${priority}`, budget);
  }
  return budget;
}
