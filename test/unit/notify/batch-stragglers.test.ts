import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BatchStragglers, STRAGGLER_MIN_MS } from '../../../lib/notify/batch-stragglers.ts';

type Outcome = { latencyMs: number; slow?: true };

/** An attempt that answers when `answer` is called, or ends `slow` when given up. */
function attempt() {
  let answer!: (outcome: Outcome) => void;
  const send = (giveUp: AbortSignal) =>
    new Promise<Outcome>((resolve) => {
      answer = resolve;
      giveUp.addEventListener('abort', () => resolve({ latencyMs: 0, slow: true }));
    });
  return { send, answer: (latencyMs: number) => answer({ latencyMs }) };
}

describe('BatchStragglers', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] }));
  afterEach(() => vi.useRealTimers());

  it('gives up an attempt still waiting once the rest of its batch is done, after the least wait', async () => {
    const batch = new BatchStragglers();
    const [fast, other, dead] = [attempt(), attempt(), attempt()];
    const results = [fast, other, dead].map(({ send }, i) => batch.run(() => batch.answer(`endpoint-${i}`, send)));
    fast.answer(10);
    other.answer(20);
    await Promise.all(results.slice(0, 2));
    await vi.advanceTimersByTimeAsync(STRAGGLER_MIN_MS - 1);
    expect(await Promise.race([results[2], 'waiting'])).toBe('waiting');
    await vi.advanceTimersByTimeAsync(1);
    expect(await results[2]).toEqual({ latencyMs: 0, slow: true });
  });

  it('waits 4 times the slowest answer of its batch-mates when that is longer', async () => {
    const batch = new BatchStragglers();
    const [slowish, dead] = [attempt(), attempt()];
    const results = [slowish, dead].map(({ send }, i) => batch.run(() => batch.answer(`endpoint-${i}`, send)));
    await vi.advanceTimersByTimeAsync(100);
    slowish.answer(100);
    await results[0];
    await vi.advanceTimersByTimeAsync(4 * 100 - 100 - 1);
    expect(await Promise.race([results[1], 'waiting'])).toBe('waiting');
    await vi.advanceTimersByTimeAsync(1);
    expect(await results[1]).toMatchObject({ slow: true });
  });

  it('leaves to the patience attempts alone in their batch, or all waiting together', async () => {
    const batch = new BatchStragglers();
    const together = [attempt(), attempt()];
    const results = together.map(({ send }, i) => batch.run(() => batch.answer(`endpoint-${i}`, send)));
    await vi.advanceTimersByTimeAsync(10 * STRAGGLER_MIN_MS);
    expect(await Promise.race([Promise.all(results), 'waiting'])).toBe('waiting');
    together.forEach(({ answer }) => answer(2_500));
    expect(await Promise.all(results)).toEqual([{ latencyMs: 2_500 }, { latencyMs: 2_500 }]);

    // The batch is over: the next one starts with nothing done.
    const alone = attempt();
    const result = batch.run(() => batch.answer('endpoint-0', alone.send));
    await vi.advanceTimersByTimeAsync(10 * STRAGGLER_MIN_MS);
    alone.answer(2_500);
    expect(await result).toEqual({ latencyMs: 2_500 });
  });

  it('leaves to the patience an attempt whose endpoint answered another attempt of the batch: it is alive', async () => {
    const batch = new BatchStragglers();
    const [first, second] = [attempt(), attempt()];
    const results = [first, second].map(({ send }) => batch.run(() => batch.answer('same-endpoint', send)));
    first.answer(10);
    await results[0];
    await vi.advanceTimersByTimeAsync(10 * STRAGGLER_MIN_MS);
    expect(await Promise.race([results[1], 'waiting'])).toBe('waiting');
    second.answer(2_000);
    expect(await results[1]).toEqual({ latencyMs: 2_000 });
  });
});
