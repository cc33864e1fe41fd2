import { describe, expect, it } from 'vitest';
import { JobOutcomeCounts } from '../../../lib/aggregation/job-outcome-counts.ts';
import type { OutcomeCounts } from '../../../lib/aggregation/job-outcomes-repo.ts';
import { ManualClock } from '../../../lib/clock.ts';
import { silentLog } from '../../../lib/logger.ts';
import type { MetricsSink } from '../../../lib/metrics.ts';

const T = Date.parse('2026-11-24T19:59:00Z');

function setup(failures = 0) {
  const writes: [string, Partial<OutcomeCounts>][] = [];
  const metrics: string[] = [];
  let failing = failures;
  const counts = new JobOutcomeCounts({
    outcomes: {
      async add(hour, added) {
        if (failing-- > 0) throw new Error('throttled');
        writes.push([hour, { ...added }]);
      },
    },
    clock: new ManualClock(T),
    log: silentLog,
    metrics: { add: (name: string) => void metrics.push(name) } as MetricsSink,
  });
  return { counts, writes, metrics };
}

describe('JobOutcomeCounts', () => {
  it('writes an invocation’s ends once per hour, however many, and nothing when none ended', async () => {
    const { counts, writes } = setup();
    await counts.flush();
    expect(writes).toEqual([]);
    for (let i = 0; i < 7; i++) counts.count('succeeded', T);
    counts.count('failed', T);
    counts.count('action_required', T + 2 * 60_000); // the next hour
    await counts.flush();
    expect(writes).toEqual([
      ['2026-11-24T19', { succeeded: 7, failed: 1 }],
      ['2026-11-24T20', { action_required: 1 }],
    ]);
    await counts.flush();
    expect(writes).toHaveLength(2);
  });

  it('keeps the counts of a failed write for the next flush, and says so in a metric', async () => {
    const { counts, writes, metrics } = setup(1);
    counts.count('succeeded', T);
    await counts.flush();
    expect(writes).toEqual([]);
    expect(metrics).toEqual(['JobOutcomeFlushFailures']);
    counts.count('succeeded', T);
    await counts.flush();
    expect(writes).toEqual([['2026-11-24T19', { succeeded: 2 }]]);
  });
});
