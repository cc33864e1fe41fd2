import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MIN_POLL_DELAY_SECONDS, nextPollAt, pollDelaySeconds } from '../../../lib/aggregation/poll-schedule.ts';

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
    expect(nextPollAt(now, 6, now + 10_000, 30)).toBe(now + 10_000);
    expect(nextPollAt(now, 6, now + 1_000, 30)).toBe(now + 3_000);
    expect(nextPollAt(now, 0, now + 60_000, 30)).toBe(now + 3_000);
  });
});
