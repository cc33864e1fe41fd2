import { describe, expect, it } from 'vitest';
import { assess } from '../../../bench/capacity-model.ts';
import { capacityReport } from '../../../bench/capacity-report.ts';
import type { OutageAtScaleFigures } from '../../../bench/outage-at-scale.ts';
import { WORKLOAD } from '../../../bench/workload.ts';
import { fmt } from '../../../bench/support/stats.ts';
import { ENVIRONMENTS } from '../../../infra/environments.ts';
import { measured } from './capacity-fixture.ts';

const breaker = { open: 1, closedWithinMs: 1_000, held: 1 };
const atScale: OutageAtScaleFigures = {
  users: 1_000_000,
  perSecond: 2_500,
  queuedPerSecond: 2_000,
  backlog: 900_000,
  unread: 0,
  deadLettered: 0,
  drainedMs: 45 * 60_000,
  reportsPerSecond: 330,
  callsPerSecond: 1_600,
  queuedCallsPerSecond: 1_400,
  lapsedShare: 0.1,
  writesPerContainerPeriod: 1.5,
  budgetWaits: { app: { calls: 0, meanMs: 0 }, queued: { calls: 0, meanMs: 0 } },
  budgetRefusals: { app: 0, queued: 0 },
  refreshes: { count: 1_000, p50Ms: 900, p99Ms: 1_000, refused: 0 },
  reads: { count: 10_000, p99Ms: 1_100, refused: 0 },
  breakers: { app: breaker, queued: breaker },
  busiestPeriodCalls: 8_000,
  periodCalls: 12_500,
  longestBatchMs: 6_000,
  batchesTimedOut: 0,
  containers: { 'member-reports (worker-poll)': 200 },
  wallSeconds: 1,
};

describe('capacityReport (BENCHMARKS.md section 8)', () => {
  const prod = ENVIRONMENTS.prod;
  const render = (settings = prod) =>
    capacityReport({
      prod: settings,
      on: assess(WORKLOAD, measured, settings),
      off: assess({ ...WORKLOAD, webhooks: 'off' }, measured, settings),
      measured,
      outage: {
        members: 100,
        reached: 100,
        deadLettered: 0,
        drainedMs: 60_000,
        busiestPeriodCalls: 10,
        periodCalls: 12_500,
        waits: 0,
      },
      atScale,
      fullCore: assess(WORKLOAD, measured, settings),
      onDemand: assess(WORKLOAD, measured, settings),
      other: assess(WORKLOAD, measured, { ...settings, mxBackgroundAtTurn: !settings.mxBackgroundAtTurn }),
    });

  it("shows prod's setting with the figure of the other beside, and every relay work of either webhook case", () => {
    for (const atTurn of [true, false]) {
      const settings = { ...prod, mxBackgroundAtTurn: atTurn };
      const { markdown, checks } = render(settings);
      const other = assess(WORKLOAD, measured, { ...settings, mxBackgroundAtTurn: !atTurn });
      const calls = checks.find((c) => c.target.startsWith('MX calls the relay makes on its own per user a day ≤'))!;
      expect(calls.measured).toContain(`(MX_BACKGROUND_AT_TURN ${atTurn ? 'off' : 'on'}: ${fmt(other.relayCallsPerUserDay, 1)})`);
      // The calls by cause: prod's works and those only MX's webhooks off makes, each once.
      const byCause = markdown.slice(markdown.indexOf('**MX calls per user a day, by cause**'), markdown.indexOf('**Idle users'));
      const works = [...byCause.matchAll(/^\| relay: ([^|]+) \|/gm)].map((match) => match[1]);
      expect(new Set(works).size).toBe(works.length);
      expect(works).toContain(atTurn ? 'nightly reports held, read together, syncing users' : 'nightly reports, syncing users');
      expect(works).toContain('nightly reports, syncing users');
      // Each consumer of the nightly reads in the components table, whichever way it runs.
      const components = markdown.slice(markdown.indexOf('**Idle users'), markdown.indexOf('**Per unit'));
      expect(components).toContain(
        "| worker-poll, nightly reports held and read with the night's last (concurrency 200), MX at 300 ms |",
      );
      expect(components).toContain('| worker-poll, nightly reports (concurrency 200), MX at 300 ms |');
    }
  });
});
