import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ARRIVAL_ALLOWANCE_MS,
  LOOKAHEAD_WINDOWS,
  MAX_ATTEMPTS,
  MAX_LATENESS_MS,
  RateLimitExceededError,
  RateLimiter,
} from '../../../lib/aggregation/refresh-rate-limiter.ts';
import { ManualClock } from '../../../lib/clock.ts';
import type { WindowCounter } from '../../../lib/store/rate-limit-repo.ts';
import { maxInAnySpan } from './support/max-in-span.ts';

/** The DynamoDB counter's contract, in memory; counts its writes. */
class MemoryCounter implements WindowCounter {
  readonly windows = new Map<string, { taken: number; expiresAt: number }>();
  takes = 0;

  async take(name: string, windowStartMs: number, count: number, expiresAt: number): Promise<number> {
    this.takes += 1;
    const key = `${name}#${windowStartMs}`;
    const taken = this.windows.get(key)?.taken ?? 0;
    this.windows.set(key, { taken: taken + count, expiresAt });
    return taken;
  }
}

const WINDOW_MS = 1000 + ARRIVAL_ALLOWANCE_MS;

/** A limiter on a manual clock whose sleeps only note when the caller would wake (at its slot). */
function limiterAt(perSecond: number, counter = new MemoryCounter()) {
  const clock = new ManualClock(0);
  const wakes: number[] = [];
  const limiter = new RateLimiter({
    counter,
    name: 'refresh',
    perSecond,
    clock,
    sleep: async (ms) => void wakes.push(clock.now() + ms),
  });
  /** Asks for a permit at `time`: when its call starts, or undefined when refused. */
  const permitAt = async (time: number): Promise<number | undefined> => {
    clock.set(time);
    const before = wakes.length;
    try {
      await limiter.acquire();
      return wakes.length > before ? wakes.at(-1) : time;
    } catch (error) {
      expect(error).toBeInstanceOf(RateLimitExceededError);
      return undefined;
    }
  };
  return { limiter, clock, counter, permitAt };
}

describe('RateLimiter', () => {
  it('never lets more than the cap start in any second, even with each call reaching MX up to the allowance late', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 400 }),
        fc.infiniteStream(fc.integer({ min: 0, max: ARRIVAL_ALLOWANCE_MS - 1 })),
        async (perSecond, arrivals, lateness) => {
          const { permitAt } = limiterAt(perSecond);
          const starts: number[] = [];
          for (const time of arrivals.sort((a, b) => a - b)) {
            const start = await permitAt(time);
            if (start !== undefined) starts.push(start);
          }
          const reachedMx = starts.map((start) => start + lateness.next().value);
          expect(maxInAnySpan(reachedMx, 1000)).toBeLessThanOrEqual(perSecond);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('serves a burst of callers with one counter update per window, earliest first, and refuses what does not fit', async () => {
    const { limiter, counter, clock } = limiterAt(20);
    clock.set(5);
    const outcomes = await Promise.allSettled(Array.from({ length: 100 }, () => limiter.acquire()));
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(20 * LOOKAHEAD_WINDOWS);
    expect(counter.takes).toBe(LOOKAHEAD_WINDOWS + 1);
    const rejected = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(rejected.every((outcome) => outcome.reason instanceof RateLimitExceededError)).toBe(true);
    // The windows after the current one, their slots evenly spread over 1 s + the allowance.
    expect([...counter.windows.keys()].slice(0, LOOKAHEAD_WINDOWS)).toEqual(
      Array.from({ length: LOOKAHEAD_WINDOWS }, (_, i) => `refresh#${(i + 1) * WINDOW_MS}`),
    );
  });

  it('starts each permit at its own slot, spread evenly over the window', async () => {
    const { permitAt } = limiterAt(4);
    const starts = [];
    for (let i = 0; i < 4; i += 1) starts.push(await permitAt(10));
    expect(starts).toEqual([0, 1, 2, 3].map((i) => WINDOW_MS + (i * WINDOW_MS) / 4));
  });

  it('gives up a slot its caller woke too late for and takes another, refusing after MAX_ATTEMPTS misses', async () => {
    for (const [lateWakes, granted] of [
      [MAX_ATTEMPTS - 1, true],
      [MAX_ATTEMPTS, false],
    ] as const) {
      const clock = new ManualClock(0);
      const counter = new MemoryCounter();
      let wakes = 0;
      const limiter = new RateLimiter({
        counter,
        name: 'refresh',
        perSecond: 10,
        clock,
        sleep: async (ms) => clock.advance(ms + (++wakes <= lateWakes ? MAX_LATENESS_MS + 1 : MAX_LATENESS_MS)),
      });
      const acquired = limiter.acquire();
      if (granted) await expect(acquired).resolves.toBeUndefined();
      else await expect(acquired).rejects.toMatchObject({ code: 'RATE_LIMIT_EXCEEDED' });
      expect(counter.takes).toBe(Math.min(lateWakes + 1, MAX_ATTEMPTS));
    }
  });

  it('skips slots that went by while the counter answered, and looks for others in the next window', async () => {
    const counter = new MemoryCounter();
    const clock = new ManualClock(0);
    const slowFirstAnswer: WindowCounter = {
      async take(name, windowStartMs, count, expiresAt) {
        if (counter.takes === 0) clock.set(windowStartMs + WINDOW_MS / 2);
        return counter.take(name, windowStartMs, count, expiresAt);
      },
    };
    const wakes: number[] = [];
    const limiter = new RateLimiter({
      counter: slowFirstAnswer,
      name: 'refresh',
      perSecond: 10,
      clock,
      sleep: async (ms) => void wakes.push(clock.now() + ms),
    });
    await Promise.all(Array.from({ length: 10 }, () => limiter.acquire()));
    const slot = (window: number, index: number) => window * WINDOW_MS + (index * WINDOW_MS) / 10;
    // The first caller's slot in window 1 went by during the slow answer; it and the others get window 2.
    expect(wakes).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => slot(2, i)));
  });

  it('passes a failing counter on to every caller waiting on it', async () => {
    const broken: WindowCounter = { take: async () => Promise.reject(new Error('DynamoDB unavailable')) };
    const limiter = new RateLimiter({
      counter: broken,
      name: 'refresh',
      perSecond: 10,
      clock: new ManualClock(),
      sleep: async () => {},
    });
    const outcomes = await Promise.allSettled([limiter.acquire(), limiter.acquire()]);
    expect(outcomes.map((outcome) => outcome.status === 'rejected' && (outcome.reason as Error).message)).toEqual([
      'DynamoDB unavailable',
      'DynamoDB unavailable',
    ]);
  });

  it('keeps a window counter a minute past its window', async () => {
    const { counter, permitAt } = limiterAt(5);
    await permitAt(10_000);
    const [key, window] = [...counter.windows][0]!;
    const windowStart = Number(key.split('#')[1]);
    expect(windowStart).toBeGreaterThan(10_000);
    expect(window.expiresAt).toBe(Math.floor((windowStart + WINDOW_MS) / 1000) + 60);
  });
});
