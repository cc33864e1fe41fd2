import { beforeAll, describe, expect, it } from 'vitest';
import { NO_COST, type Unit, type UnitCost, UNITS } from '../../../bench/capacity-unit-costs.ts';
import { type OutageAtScaleFigures, simulateOutageAtScale } from '../../../bench/outage-at-scale.ts';
import { outageAtScaleChecks } from '../../../bench/outage-at-scale-report.ts';
import { WORKLOAD } from '../../../bench/workload.ts';
import { ENVIRONMENTS } from '../../../infra/environments.ts';
import { LEASE_MS, QUEUED_BUDGET_WAIT_MS } from '../../../lib/mx/call-budget.ts';
import { APP_MAX_OPEN_MS, MAX_OPEN_MS } from '../../../lib/mx/circuit-breaker.ts';

const calls = (over: Partial<UnitCost['mxCalls']> = {}) => ({ session: 0, transactions: 0, job: 0, read: 0, ...over });
const unit = (lambdaMs: number, mxCalls = calls()): UnitCost => ({ function: 'worker-poll', ...NO_COST, lambdaMs, mxCalls });
const units = Object.fromEntries(UNITS.map((name) => [name, unit(10)])) as Record<Unit, UnitCost>;
// Round figures near the last capacity run's.
Object.assign(units, {
  report: unit(200, calls({ session: 2, read: 1, transactions: 2 })),
  'report-unsynced': unit(120, calls({ session: 2, read: 1 })),
  refresh: unit(1_050, calls({ session: 2, job: 1, read: 1, transactions: 1.5 })),
  'refresh-unsynced': unit(900, calls({ session: 2, job: 1, read: 1 })),
  poll: unit(50, calls({ read: 1 })),
  sync: unit(950, calls({ session: 2, transactions: 1 })),
  read: unit(300, calls({ read: 1 })),
  'read-lapsed': unit(950, calls({ session: 2, read: 1 })),
});
const prod = ENVIRONMENTS.prod;

/**
 * 20,000 users, their queues and API functions at a few containers each, and a budget of 60 calls a second: what queued
 * work may take of it (48/s) is what the backlog drains at, well under what member-reports' six containers could send.
 */
async function smallOutage(): Promise<OutageAtScaleFigures> {
  return simulateOutageAtScale({
    workload: { ...WORKLOAD, users: 20_000 },
    measured: {
      units: { units },
      week: { readsPerUserDay: 0.33 },
      usual: { latencyMs: 300, pollBatchMs: 350, reportBatchMs: 1_900, heldBatchMs: 60 },
    },
    settings: {
      mx: { callsPerSecond: 60 },
      queueConcurrency: { ...prod.queueConcurrency, 'member-reports': 6, poll: 2, reconcile: 1 },
      // api-read at 4 throttles about one read in 3,000 in the burst of retries at MX's return (seeds 3, 4, 6, 8 of 10).
      reservedConcurrency: { 'api-refresh': 2, 'api-read': 6, 'mx-events': 1 },
    },
  });
}

describe('MX down 2 h in the nightly wave (bench/outage-at-scale.ts, small)', () => {
  let f: OutageAtScaleFigures;
  beforeAll(async () => {
    f = await smallOutage();
  });

  it('loses nothing and dead-letters nothing: the backlog is read within the hour, no batch near its timeout', () => {
    expect(f.backlog).toBeGreaterThan(15_000);
    expect(f).toMatchObject({ unread: 0, deadLettered: 0, batchesTimedOut: 0 });
    expect(f.drainedMs).toBeLessThanOrEqual(60 * 60_000);
  });

  it('drains at the budget: queued work waits for its next period and sends nearly all it may, never more', () => {
    expect(f.budgetWaits.queued.calls).toBeGreaterThan(0);
    expect(f.queuedCallsPerSecond).toBeGreaterThan(0.85 * f.queuedPerSecond);
    expect(f.busiestPeriodCalls).toBeLessThanOrEqual(f.periodCalls);
    // Leases sized by each container's pace: little of what is leased lapses, in a couple of writes a period.
    expect(f.lapsedShare).toBeLessThan(0.1);
    expect(f.writesPerContainerPeriod).toBeLessThan(2.5);
  });

  it('serves what apps ask first: a refresh asked during the drain begins at MX within 5 s p99, none refused', () => {
    expect(f.refreshes.count).toBeGreaterThan(100);
    expect(f.refreshes.p99Ms).toBeLessThanOrEqual(5_000);
    expect(f.refreshes.refused + f.reads.refused + f.budgetRefusals.app).toBe(0);
  });

  it('closes every breaker within its longest hold and a probe of MX’s return: 5 s over apps’ calls, a minute over queued work', () => {
    expect(f.breakers.app.open).toBeGreaterThan(0);
    expect(f.breakers.queued.open).toBeGreaterThan(0);
    expect(f.breakers.app.closedWithinMs).toBeLessThanOrEqual(APP_MAX_OPEN_MS + LEASE_MS);
    expect(f.breakers.queued.closedWithinMs).toBeLessThanOrEqual(MAX_OPEN_MS + QUEUED_BUDGET_WAIT_MS + 1_000);
  });

  it('gives section 8 its rows, each met here and saying what kind of figure it is', () => {
    const checks = outageAtScaleChecks(f);
    expect(checks.map((check) => check.met)).toEqual([true, true, true, true]);
    for (const { target } of checks) expect(target).toMatch(/\((measured|the bound: arithmetic|.*a requirement on MX)/);
    expect(checks[0]!.measured).toContain('the budget set the pace');
  });
});
