import { describe, expect, it, vi } from 'vitest';
import { blockCosts, recordCostBlocks } from '../../../bench/scale/cost-blocks.ts';
import { scaleCost } from '../../../bench/scale/cost.ts';
import { type Counted, type JobCounters, newCounters } from '../../../bench/scale/meters.ts';

const job: JobCounters = { ...newCounters(), wru: 12, rru: 1, sqsSent: 3 };
const fn = (invocations: number, waitingMs: number) => ({
  invocations,
  ms: [1],
  dynamo: 0,
  sqs: 0,
  mx: 0,
  webhooks: 0,
  waitingMs,
});
const logs = (bytes: number) => ({ bytes, emfBytes: bytes, emfLines: 1, emfSingleMetricBytes: bytes, accessLogBytes: 0 });
const at = (notified: number, invocations: number, receives: number, cpuUs: number) => ({
  notified,
  functions: new Map([['api-refresh' as const, fn(invocations, invocations * 300)]]),
  unattributed: new Map([['ReceiveMessage (poll)', { ...newCounters(), calls: receives }]]),
  logs: logs(invocations * 1_000),
  cpu: { user: cpuUs, system: 0 },
});

describe('blockCosts (the scale cost’s interval)', () => {
  it('prices each block’s own stretch of the run, its jobs at the run’s mean', () => {
    const snapshots = [at(0, 0, 0, 0), at(100, 100, 50, 3_000_000), at(200, 200, 100, 6_000_000), at(300, 320, 190, 12_000_000)];
    const [first, second, third] = blockCosts(snapshots, Array(300).fill(job));
    const alone = scaleCost(
      {
        functions: new Map([['api-refresh', fn(100, 30_000)]]),
        unattributed: new Map([['ReceiveMessage (poll)', { ...newCounters(), calls: 50 }]]),
        logs: logs(100_000),
      },
      Array(100).fill(job),
      { user: 3_000_000, system: 0 },
    ).total;
    expect(first!.usd).toBeCloseTo(alone, 9);
    expect(first!.jobs).toBe(100);
    expect(second!.usd).toBeCloseTo(alone, 9);
    // The last tenth spent twice the CPU, more receives and invocations a job: it costs more.
    expect(third!.usd).toBeGreaterThan(alone);
  });

  it('leaves out a block no job ended in', () => {
    expect(blockCosts([at(0, 0, 0, 0), at(0, 5, 5, 1_000)], [job])).toEqual([]);
  });

  it('ends one block where the run passed several tenths between two looks, and the next at the tenth after', () => {
    vi.useFakeTimers();
    try {
      const counted = { functions: new Map(), unattributed: new Map(), logs: logs(0) } as unknown as Counted;
      let notified = 0;
      const blocks = recordCostBlocks(counted, () => notified, 100);
      for (const done of [35, 35, 41, 100]) {
        notified = done;
        vi.advanceTimersByTime(100);
      }
      expect(blocks.stop().map((s) => s.notified)).toEqual([0, 35, 41, 100]);
    } finally {
      vi.useRealTimers();
    }
  });
});
