import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { durationModel, mxAggregationMs } from '../../../lib/aggregation/duration-model.ts';
import {
  DENSE_INTERVAL_MS,
  MIN_POLL_DELAY_SECONDS,
  nextPollAt,
  PUSH_COVERED_STRETCH,
  pollDelaySeconds,
  type ScheduleInput,
} from '../../../lib/aggregation/poll-schedule.ts';
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

  it('sleeps until just before the fastest tenth usually ends, polls every 5 s through the usual window, then backs off', () => {
    expect(model.p10Ms).toBeCloseTo(49_000);
    expect(model.p90Ms).toBeCloseTo(91_000);
    // 0.85 × p10 = 41.65 s: capped by the 900 s hop, not by the model.
    expect(schedule(3_000)).toBe(41_650);
    expect(schedule(42_000) - 42_000).toBe(DENSE_INTERVAL_MS);
    expect(schedule(60_000) - 60_000).toBe(DENSE_INTERVAL_MS);
    // Past p90 the dense spacing holds until p90 + 20 s, then grows by a quarter of the time past p90.
    expect(schedule(105_000) - 105_000).toBe(DENSE_INTERVAL_MS);
    expect(schedule(131_000) - 131_000).toBe(10_000);
    expect(schedule(191_000) - 191_000).toBe(25_000);
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
    expect(worstLag).toBeLessThanOrEqual(DENSE_INTERVAL_MS);
  });

  it('sees a finish between 0.85 × p10 and p90 + 20 s within 5 s, whatever the model', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1_000, max: 400_000 }), { minLength: 3, maxLength: 50 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (durations, where) => {
          const learned = durationModel(durations)!;
          const from = 0.85 * learned.p10Ms;
          const until = learned.p90Ms + 20_000;
          const finish = Math.max(3_000, from + where * (until - from));
          let now = 3_000;
          for (let index = 1; now < finish; index++) {
            now = nextPollAt({
              now,
              pollIndex: index,
              startedAt: 0,
              deadlineAt: 3_600_000,
              maxDelaySeconds: 900,
              model: learned,
            });
          }
          expect(now - finish).toBeLessThanOrEqual(DENSE_INTERVAL_MS);
        },
      ),
    );
  });
});

describe('poll schedule while MX pushes', () => {
  const model = durationModel([40, 50, 55, 60, 62, 65, 70, 80, 90, 100].map((s) => s * 1000))!;
  const delays = (count: number, maxDelaySeconds: number, withModel = false) => {
    const out: number[] = [];
    let now = 3_000;
    for (let index = 1; index <= count; index++) {
      const next = nextPollAt({
        now,
        pollIndex: index,
        startedAt: 0,
        deadlineAt: 3_600_000,
        maxDelaySeconds,
        pushCovered: true,
        ...(withModel ? { model } : {}),
      });
      out.push((next - now) / 1000);
      now = next;
    }
    return out;
  };

  it('stretches the generic walk four times, up to the longest delay', () => {
    expect(PUSH_COVERED_STRETCH).toBe(4);
    expect(delays(7, 900)).toEqual([12, 24, 36, 60, 96, 156, 252]);
    expect(delays(7, 30)).toEqual([12, 24, 30, 30, 30, 30, 30]);
  });

  it('for a model institution, checks nothing before its p90 (91 s here), then walks the stretched steps', () => {
    expect(model.p90Ms).toBe(91_000);
    expect(delays(4, 900, true)).toEqual([88, 24, 36, 60]);
    // The longest delay still bounds the wait for a push that never comes.
    expect(delays(4, 30, true)).toEqual([30, 30, 30, 30]);
  });

  it('for a model institution, reads far less than the dense schedule: the push ends the job', () => {
    const durations = [45, 52, 58, 61, 64, 66, 72, 79, 88, 97].map((s) => s * 1000);
    let covered = 0;
    let fixed = 0;
    for (const duration of durations) {
      let now = 3_000;
      for (let index = 1; now < duration; index++) {
        covered++;
        now = nextPollAt({
          now,
          pollIndex: index,
          startedAt: 0,
          deadlineAt: 1_200_000,
          maxDelaySeconds: 30,
          model,
          pushCovered: true,
        });
      }
      covered++; // the read the push asks for
      fixed += Math.ceil(duration / 3_000);
    }
    expect(covered).toBeLessThan(fixed * 0.3);
  });
});

/** Any schedule input: generic, learned or push-covered, at any point of any job. */
const scheduleInput = fc
  .record({
    startedAt: fc.integer({ min: 0, max: 2_000_000_000_000 }),
    elapsed: fc.integer({ min: 0, max: 7_200_000 }),
    pollIndex: fc.nat(500),
    deadlineIn: fc.integer({ min: -60_000, max: 86_400_000 }),
    maxDelaySeconds: fc.integer({ min: 3, max: 900 }),
    durations: fc.option(fc.array(fc.integer({ min: 500, max: 3_600_000 }), { minLength: 3, maxLength: 50 })),
    pushCovered: fc.boolean(),
  })
  .map(({ startedAt, elapsed, pollIndex, deadlineIn, maxDelaySeconds, durations, pushCovered }): ScheduleInput => ({
    now: startedAt + elapsed,
    pollIndex,
    startedAt,
    deadlineAt: startedAt + elapsed + deadlineIn,
    maxDelaySeconds,
    ...(durations ? { model: durationModel(durations) } : {}),
    pushCovered,
  }));

describe('poll schedule invariants', () => {
  it('is a whole millisecond, at least 3 s ahead, at most the longest delay (≤ 900 s) ahead, and not past a later deadline', () => {
    fc.assert(
      fc.property(scheduleInput, (input) => {
        const dueAt = nextPollAt(input);
        expect(Number.isInteger(dueAt)).toBe(true);
        expect(dueAt - input.now).toBeGreaterThanOrEqual(MIN_POLL_DELAY_SECONDS * 1000);
        expect(dueAt - input.now).toBeLessThanOrEqual(input.maxDelaySeconds * 1000);
        expect(dueAt - input.now).toBeLessThanOrEqual(900_000);
        if (input.deadlineAt >= input.now + MIN_POLL_DELAY_SECONDS * 1000) expect(dueAt).toBeLessThanOrEqual(input.deadlineAt);
      }),
    );
  });

  it('never polls sooner when MX pushes than without the push', () => {
    fc.assert(
      fc.property(scheduleInput, (input) => {
        const { model: _model, ...generic } = input;
        expect(nextPollAt({ ...input, pushCovered: true })).toBeGreaterThanOrEqual(
          nextPollAt({ ...generic, pushCovered: false }),
        );
      }),
    );
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
