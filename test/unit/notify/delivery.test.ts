import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveAttempt } from '../../../lib/notify/delivery.ts';
import { MAX_ATTEMPTS_PER_DELIVERY } from '../../../lib/notify/retry-schedule.ts';

const NOW = Date.parse('2026-11-24T06:00:00Z');

describe('where an attempt leaves a pending delivery', () => {
  it('delivered on a 2xx, kept for its endpoint on 410, otherwise a later attempt until the schedule runs out (property)', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.integer({ min: 100, max: 599 }),
        fc.integer({ min: 1, max: MAX_ATTEMPTS_PER_DELIVERY }),
        fc.integer({ min: 0, max: MAX_ATTEMPTS_PER_DELIVERY }),
        (ok, statusCode, attempt, before) => {
          const attemptsBeforeRound = Math.min(before, attempt - 1);
          const resolution = resolveAttempt({ ok, statusCode, latencyMs: 1 }, attempt, attemptsBeforeRound, NOW, () => 0.5);
          if (ok) expect(resolution).toEqual({ status: 'delivered' });
          else if (statusCode === 410) expect(resolution).toEqual({ status: 'pending_endpoint' });
          else if (resolution.status === 'pending') {
            expect(attempt).toBeLessThan(MAX_ATTEMPTS_PER_DELIVERY);
            expect(resolution.nextAttemptAt).toBeGreaterThan(NOW);
          } else {
            expect(resolution).toEqual({ status: 'failed', reason: 'attempts_exhausted' });
          }
        },
      ),
    );
  });

  it('a new round starts the retry schedule again: the first retry of a replay comes as soon as the first ever did', () => {
    const failed = { ok: false, statusCode: 500, latencyMs: 1 } as const;
    const first = resolveAttempt(failed, 1, 0, NOW, () => 0.5);
    const firstOfReplay = resolveAttempt(failed, 9, 8, NOW, () => 0.5);
    expect(firstOfReplay).toEqual(first);
  });
});
