import { LEASE_MS, MAX_BUDGET_WAIT_MS, QUEUED_BUDGET_WAIT_MS } from '../lib/mx/call-budget.ts';
import { APP_MAX_OPEN_MS, MAX_OPEN_MS } from '../lib/mx/circuit-breaker.ts';
import { OUTAGE_MS } from './capacity-outage.ts';
import type { OutageAtScaleFigures } from './outage-at-scale.ts';
import type { TargetCheck } from './support/report.ts';
import { fmt } from './support/stats.ts';

/** Issue 77's outage at scale: the backlog read within the hour, a refresh asked meanwhile at MX within 5 s p99. */
export const OUTAGE_AT_SCALE_TARGETS = { drainMs: 60 * 60_000, refreshP99Ms: 5_000 };
/** A probe: its wait for the budget (a period at most for queued work, 2 s for an app's) and MX's answer (a second). */
const PROBE_MS = { app: MAX_BUDGET_WAIT_MS + 1_000, queued: QUEUED_BUDGET_WAIT_MS + 1_000 };
const BOUND_MS = { app: APP_MAX_OPEN_MS + PROBE_MS.app, queued: MAX_OPEN_MS + PROBE_MS.queued };

const s = (ms: number) => `${fmt(ms / 1000, 1)} s`;
const users = (n: number) => (n >= 1e6 ? `${fmt(n / 1e6, 2)}M` : `${fmt(n / 1e3, 0)}k`);

/** Section 8's rows for the outage at scale, each saying what kind of figure it is. */
export function outageAtScaleChecks(f: OutageAtScaleFigures): TargetCheck[] {
  const { drainMs, refreshP99Ms } = OUTAGE_AT_SCALE_TARGETS;
  const lede = `MX down ${OUTAGE_MS / 3_600_000} h an hour into the nightly wave at ${users(f.users)} users`;
  const how = 'measured: a simulated clock, the measured handler times, the real budget, breakers and retries';
  const share = f.queuedCallsPerSecond / f.queuedPerSecond;
  const pace =
    share >= 0.9
      ? 'the budget set the pace'
      : `worker-poll's ${f.containers['member-reports (worker-poll)']} member-reports containers set the pace, not the budget`;
  return [
    {
      target: `${lede}: 0 lost, 0 dead-lettered, the backlog drained ≤ ${drainMs / 60_000} min after MX returns, within the budget (${how})`,
      measured:
        `${fmt(f.unread, 0)} lost of ${fmt(f.backlog, 0)} waiting, ${f.deadLettered} dead-lettered; ` +
        (f.drainedMs === undefined ? 'not drained within the run' : `drained in ${fmt(f.drainedMs / 60_000, 1)} min`) +
        ` at ${fmt(f.reportsPerSecond, 0)} reports/s (the wave's new ones among them); queued work's MX calls ${fmt(f.queuedCallsPerSecond, 0)}/s, ` +
        `${fmt(share * 100, 0)} % of the ${fmt(f.queuedPerSecond, 0)} it may take: ${pace} (${fmt(f.budgetWaits.queued.calls, 0)} calls waited for it, ` +
        `${fmt(f.budgetWaits.queued.meanMs, 0)} ms on average; ${fmt(f.budgetRefusals.queued, 0)} refused); worker-poll's longest batch ${s(f.longestBatchMs)} of its 30 s`,
      met:
        f.unread === 0 && f.deadLettered === 0 && f.drainedMs !== undefined && f.drainedMs <= drainMs && f.batchesTimedOut === 0,
    },
    {
      target: `${lede}: a refresh an app asks during the drain begins at MX (its aggregate call) within ${refreshP99Ms / 1000} s p99 (${how})`,
      measured:
        `${fmt(f.refreshes.p99Ms, 0)} ms p99, ${fmt(f.refreshes.p50Ms, 0)} ms p50, over ${fmt(f.refreshes.count, 0)} refreshes (${f.refreshes.refused} refused); ` +
        `apps' reads and syncs answered in ${fmt(f.reads.p99Ms, 0)} ms p99 (${f.reads.refused} of ${fmt(f.reads.count, 0)} refused)`,
      met: f.refreshes.p99Ms <= refreshP99Ms,
    },
    {
      target:
        `${lede}: breakers close together, each within its longest hold and a probe of MX's return (or of its first call after it): ` +
        `${s(BOUND_MS.app)} over apps' calls, ${s(BOUND_MS.queued)} over queued work (the bound: arithmetic on the breaker's and the budget's settings; ${how})`,
      measured:
        `apps' ${f.breakers.app.open} open breakers within ${s(f.breakers.app.closedWithinMs)}, queued work's ${f.breakers.queued.open} within ${s(f.breakers.queued.closedWithinMs)}; ` +
        `calls held after MX's return: ${fmt(f.breakers.app.held, 0)} of apps', ${fmt(f.breakers.queued.held, 0)} of queued work (sent back to wait on their queue)`,
      met: f.breakers.app.closedWithinMs <= BOUND_MS.app && f.breakers.queued.closedWithinMs <= BOUND_MS.queued,
    },
    {
      target: `${lede}: every ${LEASE_MS / 1000} s after MX returns sends at most the budget's ${fmt(f.periodCalls, 0)} calls (MX_CALLS_PER_SECOND ${fmt(f.perSecond, 0)}: a requirement on MX; measured)`,
      measured:
        `the busiest ${fmt(f.busiestPeriodCalls, 0)}; over the drain ${fmt(f.callsPerSecond, 0)} calls/s, ${fmt(f.lapsedShare * 100, 1)} % of what containers leased lapsed unspent, ` +
        `${fmt(f.writesPerContainerPeriod, 1)} counter writes a container a period`,
      met: f.busiestPeriodCalls <= f.periodCalls,
    },
  ];
}

/** The paragraph of section 8's method on it. */
export function outageAtScaleMethod(f: OutageAtScaleFigures): string {
  const containers = Object.entries(f.containers)
    .map(([fn, n]) => `${n} ${fn}`)
    .join(', ');
  return (
    `MX down ${OUTAGE_MS / 3_600_000} h at ${users(f.users)} users (\`bench/outage-at-scale.ts\`): a simulated clock from an hour into the wave (MX's reports of the wave, apps' refreshes, reads and syncs at the day's average, refreshes' poll steps, the reconcile's reads, each at the rate of this workload), ` +
    "every container with its own `CircuitBreaker` and `MxCallBudget` over one shared counter, each call retried by the `RetryPolicy`, each report MX did not serve sent back by worker-poll's `mxWaitMs`; each message takes worker-poll's measured batch time (its own part as measured with MX's calls held), each request its measured time, MX answering in it when up (its median: MX's p99 is not drawn) and failing each attempt with a 503 in its median latency when down; " +
    `queues at prod's concurrency, API functions up to their reservations (containers: ${containers}). Each report is read alone, as with MX_BACKGROUND_AT_TURN off (prod's reads of idle users' reports held and read together are fewer, and make fewer calls) and every call spends the data host's budget. ` +
    `The run took ${fmt(f.wallSeconds, 0)} s.`
  );
}
