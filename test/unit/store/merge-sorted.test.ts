import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeSorted } from '../../../lib/store/merge-sorted.ts';

async function* readOf(items: readonly number[], reads: number[], index: number) {
  for (const item of items) {
    reads[index] = (reads[index] ?? 0) + 1;
    yield item;
  }
}

const take = async <T>(source: AsyncIterable<T>, n: number): Promise<T[]> => {
  const taken: T[] = [];
  if (n === 0) return taken;
  for await (const item of source) {
    taken.push(item);
    if (taken.length === n) break;
  }
  return taken;
};

describe('mergeSorted', () => {
  it('yields every item of sorted sequences in order, reading each only as far as taken', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.array(fc.integer({ min: 0, max: 50 })).map((a) => a.sort((x, y) => x - y)),
          { maxLength: 6 },
        ),
        fc.nat(40),
        async (sequences, n) => {
          const reads: number[] = [];
          const merged = await take(
            mergeSorted(
              sequences.map((items, i) => readOf(items, reads, i)),
              (a, b) => a - b,
            ),
            n,
          );
          const all = sequences.flat().sort((x, y) => x - y);
          expect(merged).toEqual(all.slice(0, n));
          // Each sequence read its taken items and at most one more (its head).
          const total = reads.reduce((sum, r) => sum + (r ?? 0), 0);
          expect(total).toBeLessThanOrEqual(merged.length + sequences.length);
        },
      ),
    );
  });

  it('closes every sequence when the reader stops early', async () => {
    const closed: number[] = [];
    const source = (i: number) =>
      (async function* () {
        try {
          yield i;
          yield i + 10;
        } finally {
          closed.push(i);
        }
      })();
    expect(
      await take(
        mergeSorted([source(1), source(2)], (a, b) => a - b),
        1,
      ),
    ).toEqual([1]);
    expect(closed.sort()).toEqual([1, 2]);
  });
});
