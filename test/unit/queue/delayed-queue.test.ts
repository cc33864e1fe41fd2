import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hopDelaySeconds, isDue, MAX_SQS_DELAY_SECONDS } from '../../../lib/queue/delayed-queue.ts';

describe('hopDelaySeconds', () => {
  it('sends a 3 s hop computed a few milliseconds before the send as 3 s, not 2 s', () => {
    const computedAt = 1_000_000;
    expect(hopDelaySeconds(computedAt + 3_000, computedAt + 15)).toBe(3);
    expect(hopDelaySeconds(computedAt + 5_000, computedAt + 40)).toBe(5);
  });

  it('lands every hop within half a second of its due time, and the message counts as due on arrival', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2_000_000_000 }),
        fc.integer({ min: 0, max: MAX_SQS_DELAY_SECONDS * 1000 }),
        (now, wait) => {
          const due = now + wait;
          const delay = hopDelaySeconds(due, now);
          expect(Number.isInteger(delay)).toBe(true);
          expect(Math.abs(delay * 1000 - wait)).toBeLessThanOrEqual(500);
          expect(isDue({ due_at: due }, now + delay * 1000)).toBe(true);
        },
      ),
    );
  });

  it('never asks SQS for a negative delay or one above 15 minutes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2_000_000_000 }), fc.integer({ min: -10_000_000, max: 10_000_000 }), (now, wait) => {
        const delay = hopDelaySeconds(now + wait, now);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(MAX_SQS_DELAY_SECONDS);
      }),
    );
  });
});
