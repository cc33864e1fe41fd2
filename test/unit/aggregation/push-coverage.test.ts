import { describe, expect, it } from 'vitest';
import { MxPush } from '../../../lib/aggregation/mx-push.ts';
import { PUSH_COVERAGE_WINDOW_MS, PushCoverage } from '../../../lib/aggregation/push-coverage.ts';
import { ManualClock } from '../../../lib/clock.ts';
import { silentLog } from '../../../lib/logger.ts';

/** A PushCoverage over an in-memory "last push" item that counts its reads and writes. */
function setup(options: { failing?: boolean } = {}) {
  const clock = new ManualClock();
  const store = { last: undefined as number | undefined, reads: 0, writes: 0 };
  const coverage = new PushCoverage({
    pushes: {
      async lastPushAt() {
        store.reads++;
        if (options.failing) throw new Error('DynamoDB is down');
        return store.last;
      },
      async recordPush(now) {
        store.writes++;
        if (options.failing) throw new Error('DynamoDB is down');
        store.last = Math.max(store.last ?? 0, now);
      },
    },
    clock,
    log: silentLog,
  });
  return { clock, store, coverage };
}

describe('PushCoverage', () => {
  it('is not covered before MX has pushed, and covered once it has', async () => {
    const { clock, coverage } = setup();
    expect(await coverage.covered()).toBe(false);
    await coverage.recordPush();
    clock.advance(60_000);
    expect(await coverage.covered()).toBe(true);
  });

  it('stops being covered once pushes have stopped for the window', async () => {
    const { clock, coverage } = setup();
    await coverage.recordPush();
    clock.advance(PUSH_COVERAGE_WINDOW_MS);
    expect(await coverage.covered()).toBe(true);
    clock.advance(60_001);
    expect(await coverage.covered()).toBe(false);
  });

  it('reads the item at most once a minute and records at most once a minute per container', async () => {
    const { clock, store, coverage } = setup();
    for (let i = 0; i < 10; i++) {
      await coverage.recordPush();
      await coverage.covered();
      clock.advance(5_000);
    }
    expect(store).toMatchObject({ reads: 1, writes: 1 });
    clock.advance(10_000);
    await coverage.recordPush();
    await coverage.covered();
    expect(store).toMatchObject({ reads: 2, writes: 2 });
  });

  it('never throws: a failing table means "not covered" (dense polling) and a lost record', async () => {
    const { coverage } = setup({ failing: true });
    await expect(coverage.recordPush()).resolves.toBeUndefined();
    await expect(coverage.covered()).resolves.toBe(false);
  });
});

describe('MxPush records pushes', () => {
  const push = (memberGuid: string) =>
    JSON.stringify({ type: 'AGGREGATION', action: 'member_data_updated', member_guid: memberGuid, job_guid: 'JOB-1' });

  it('tells the coverage of every push it could read, with or without an active job, and not of garbage', async () => {
    let recorded = 0;
    const service = new MxPush({
      jobs: { activeJobId: async () => undefined, get: async () => undefined },
      pollQueue: { schedule: async () => {} },
      clock: new ManualClock(),
      log: silentLog,
      coverage: { recordPush: async () => void recorded++ },
    });
    expect(await service.receive(push('MBR-1'))).toEqual({ kind: 'no_active_job', memberGuid: 'MBR-1' });
    expect(recorded).toBe(1);
    expect((await service.receive('{"not":"a webhook"}')).kind).toBe('ignored');
    expect(recorded).toBe(1);
  });
});
