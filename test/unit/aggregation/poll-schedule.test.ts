import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { durationModel, mxAggregationMs } from '../../../lib/aggregation/duration-model.ts';
import { MIN_POLL_DELAY_SECONDS, nextPollAt, pollDelaySeconds } from '../../../lib/aggregation/poll-schedule.ts';
import { pollMessageSchema } from '../../../lib/queue/poll-message.ts';

describe('poll schedule', () => {
  it('starts at 3 s and grows like Fibonacci up to the cap', () => {
    expect(Array.from({ length: 9 }, (_, i) => pollDelaySeconds(i, 30))).toEqual([3, 3, 6, 9, 15, 24, 30, 30, 30]);
    expect(pollDelaySeconds(20, 900)).toBe(900);
  });

  it('never polls faster than every 3 s nor waits longer than the cap or SQS allows', () => {
    fc.assert(
      fc.property(fc.nat(1000), fc.integer({ min: 3, max: 900 }), (index, cap) => {
        const delay = pollDelaySeconds(index, cap);
        expect(delay).toBeGreaterThanOrEqual(MIN_POLL_DELAY_SECONDS);
        expect(delay).toBeLessThanOrEqual(cap);
      }),
    );
  });

  it('is non-decreasing', () => {
    fc.assert(
      fc.property(fc.nat(200), fc.integer({ min: 3, max: 900 }), (index, cap) => {
        expect(pollDelaySeconds(index + 1, cap)).toBeGreaterThanOrEqual(pollDelaySeconds(index, cap));
      }),
    );
  });

  it('does not schedule past the deadline, but keeps the 3 s floor', () => {
    const now = 1_000_000;
    const at = (pollIndex: number, deadlineAt: number) =>
      nextPollAt({ now, pollIndex, startedAt: now, deadlineAt, maxDelaySeconds: 30 });
    expect(at(6, now + 10_000)).toBe(now + 10_000);
    expect(at(6, now + 1_000)).toBe(now + 3_000);
    expect(at(0, now + 60_000)).toBe(now + 3_000);
  });
});

describe('poll schedule with an institution model', () => {
  const model = durationModel([40, 50, 55, 60, 62, 65, 70, 80, 90, 100].map((s) => s * 1000))!;
  const schedule = (now: number) =>
    nextPollAt({ now, pollIndex: 1, startedAt: 0, deadlineAt: 1_200_000, maxDelaySeconds: 900, model });

  it('is a whole millisecond, as the poll message it becomes requires, whatever the quantiles', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1_000, max: 600_000 }), { minLength: 3, maxLength: 50 }),
        fc.integer({ min: 0, max: 1_200_000 }),
        (durations, elapsed) => {
          const dueAt = nextPollAt({
            now: 1_000_000 + elapsed,
            pollIndex: 3,
            startedAt: 1_000_000,
            deadlineAt: 2_200_000,
            maxDelaySeconds: 30,
            model: durationModel(durations),
          });
          expect(pollMessageSchema.safeParse({ job_id: 'job_1', step: 3, due_at: dueAt }).success).toBe(true);
        },
      ),
    );
  });

  it('sleeps until the fastest tenth usually ends, polls densely through the usual window, then backs off', () => {
    expect(model.p10Ms).toBeCloseTo(49_000);
    expect(schedule(3_000)).toBe(model.p10Ms);
    expect(schedule(60_000) - 60_000).toBe(4_200);
    expect(schedule(191_000) - 191_000).toBe(50_000);
  });

  it('for a model institution, needs far fewer reads than a fixed 3 s poller and detects the end within ~one dense interval', () => {
    const durations = [45, 52, 58, 61, 64, 66, 72, 79, 88, 97].map((s) => s * 1000);
    let ours = 0;
    let fixed = 0;
    let worstLag = 0;
    for (const duration of durations) {
      let now = 3_000;
      for (let index = 1; ; index++) {
        ours++;
        if (now >= duration) break;
        now = nextPollAt({ now, pollIndex: index, startedAt: 0, deadlineAt: 1_200_000, maxDelaySeconds: 900, model });
      }
      worstLag = Math.max(worstLag, now - duration);
      fixed += Math.ceil(duration / 3_000);
    }
    expect(ours).toBeLessThan(fixed * 0.5);
    expect(worstLag).toBeLessThanOrEqual(6_000);
  });
});

describe('durationModel', () => {
  it('needs three samples and interpolates quantiles', () => {
    expect(durationModel([1, 2])).toBeUndefined();
    expect(durationModel([10, 20, 30])).toEqual({ samples: 3, p10Ms: 12, p50Ms: 20, p90Ms: 28 });
  });

  it('reads MX’s own duration from its timestamps, refusing inconsistent ones', () => {
    expect(mxAggregationMs({ aggregated_at: '2026-01-01T00:00:00Z', successfully_aggregated_at: '2026-01-01T00:01:05Z' })).toBe(
      65_000,
    );
    expect(
      mxAggregationMs({ aggregated_at: '2026-01-01T00:01:00Z', successfully_aggregated_at: '2026-01-01T00:00:00Z' }),
    ).toBeUndefined();
    expect(mxAggregationMs({ aggregated_at: null, successfully_aggregated_at: '2026-01-01T00:00:00Z' })).toBeUndefined();
  });
});
