import { describe, expect, it } from 'vitest';
import { MxPush } from '../../../lib/mx-events/mx-push.ts';
import { COVERED_PUSH_RATIO, MIN_ENDS_FOR_COVERAGE, PushCoverage } from '../../../lib/aggregation/push-coverage.ts';
import { ManualClock } from '../../../lib/clock.ts';
import { noMetrics } from '../../../lib/metrics.ts';
import { silentLog } from '../../../lib/logger.ts';
import type { PushCounts } from '../../../lib/aggregation/mx-push-repo.ts';

/** A PushCoverage over in-memory hourly counters that counts its reads and writes. */
function setup(options: { failing?: boolean } = {}) {
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 4, 0));
  const store = { hours: new Map<string, PushCounts>(), reads: 0, writes: 0 };
  const coverage = new PushCoverage({
    pushes: {
      async add(hour, counts) {
        store.writes++;
        if (options.failing) throw new Error('DynamoDB is down');
        const current = store.hours.get(hour) ?? { pushes: 0, ends: 0, background: 0 };
        store.hours.set(hour, {
          pushes: current.pushes + counts.pushes,
          ends: current.ends + counts.ends,
          background: current.background + counts.background,
        });
      },
      async countsSince(since) {
        store.reads++;
        if (options.failing) throw new Error('DynamoDB is down');
        return [...store.hours.entries()]
          .filter(([hour]) => hour >= since)
          .reduce(
            (sum, [, c]) => ({
              pushes: sum.pushes + c.pushes,
              ends: sum.ends + c.ends,
              background: sum.background + c.background,
            }),
            { pushes: 0, ends: 0, background: 0 },
          );
      },
    },
    clock,
    log: silentLog,
  });
  /** `ends` job ends of which `pushed` were announced by MX, a minute apart (each container flush is then due). */
  const traffic = async (ends: number, pushed: number) => {
    for (let i = 0; i < ends; i++) {
      if (i < pushed) await coverage.recordPush();
      await coverage.recordEnd();
      clock.advance(60_000);
    }
  };
  return { clock, store, coverage, traffic };
}

describe('PushCoverage: measured, not assumed', () => {
  it('is not covered before enough ends are known, however many pushes came', async () => {
    const { coverage, traffic } = setup();
    await traffic(MIN_ENDS_FOR_COVERAGE - 1, MIN_ENDS_FOR_COVERAGE - 1);
    expect(await coverage.covered()).toBe(false);
  });

  it('is covered while MX announces (nearly) every end it documents a push for', async () => {
    const { coverage, traffic } = setup();
    await traffic(20, 20);
    expect(await coverage.covered()).toBe(true);
  });

  it('is not covered when MX pushes only on change and half the aggregations change nothing', async () => {
    const { coverage, traffic } = setup();
    await traffic(40, 20);
    expect(await coverage.covered()).toBe(false);
    expect(COVERED_PUSH_RATIO).toBeGreaterThan(0.5);
  });

  it('stops being covered within two hours once pushes stop', async () => {
    const { clock, coverage, traffic } = setup();
    await traffic(20, 20);
    expect(await coverage.covered()).toBe(true);
    clock.advance(2 * 3600_000);
    await traffic(12, 0);
    expect(await coverage.covered()).toBe(false);
  });

  it('reads the counters at most once a minute and adds to them at most once a minute per container', async () => {
    const { clock, store, coverage } = setup();
    for (let i = 0; i < 10; i++) {
      await coverage.recordPush();
      await coverage.recordEnd();
      await coverage.covered();
      clock.advance(5_000);
    }
    expect(store).toMatchObject({ reads: 1, writes: 1 });
    clock.advance(10_000);
    await coverage.recordEnd();
    await coverage.covered();
    expect(store).toMatchObject({ reads: 2, writes: 2 });
    expect([...store.hours.values()]).toEqual([{ pushes: 10, ends: 11, background: 0 }]);
  });

  it('never throws: failing counters mean "not covered" (dense polling), and the counts are kept for the next flush', async () => {
    const { coverage } = setup({ failing: true });
    await expect(coverage.recordPush()).resolves.toBeUndefined();
    await expect(coverage.recordEnd()).resolves.toBeUndefined();
    await expect(coverage.covered()).resolves.toBe(false);
  });
});

describe('MxPush records pushes', () => {
  const push = (memberGuid: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ type: 'AGGREGATION', action: 'member_data_updated', member_guid: memberGuid, job_guid: 'JOB-1', ...extra });

  it('tells the coverage of every push it could read, with or without an active job, background ones apart, not of garbage', async () => {
    const recorded: boolean[] = [];
    const service = new MxPush({
      memberJobs: { pollNow: async () => undefined },
      reports: { schedule: async () => {} },
      replays: { first: async () => true },
      clock: new ManualClock(),
      log: silentLog,
      metrics: noMetrics,
      coverage: { recordPush: async (background) => void recorded.push(background ?? false) },
    });
    await service.receive(push('MBR-1'));
    await service.receive(push('MBR-2', { is_background: false }));
    await service.receive(push('MBR-3', { is_background: true }));
    await service.receive('not json');
    await service.receive(JSON.stringify({ type: 'AGGREGATION' }));
    expect(recorded).toEqual([false, false, true]);
  });
});
