import { describe, expect, it } from 'vitest';
import { blockCosts } from '../../../bench/scale/cost-blocks.ts';
import { scaleCost } from '../../../bench/scale/cost.ts';
import { type JobCounters, newCounters } from '../../../bench/scale/meters.ts';

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
    expect(first).toBeCloseTo(alone, 9);
    expect(second).toBeCloseTo(alone, 9);
    // The last tenth spent twice the CPU, more receives and invocations a job: it costs more.
    expect(third).toBeGreaterThan(alone);
  });

  it('leaves out a block no job ended in', () => {
    expect(blockCosts([at(0, 0, 0, 0), at(0, 5, 5, 1_000)], [job])).toEqual([]);
  });
});
