import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundedCache } from '../../lib/bounded-cache.ts';
import { ManualClock } from '../../lib/clock.ts';

describe('boundedCache', () => {
  it('trusts an entry for ttlMs on the injected clock, and not a millisecond longer', () => {
    const clock = new ManualClock();
    const cache = boundedCache<string, number>({ max: 10, ttlMs: 60_000, clock });
    cache.set('a', 1);
    clock.advance(59_999);
    expect(cache.get('a')).toBe(1);
    clock.advance(1);
    expect(cache.get('a')).toBeUndefined();
  });

  it('holds at most max entries, dropping the least recently used', () => {
    const cache = boundedCache<string, number>({ max: 2 });
    cache.set('a', 1);
    cache.set('b', 2);
    cache.get('a');
    cache.set('c', 3);
    expect([...cache.keys()].sort()).toEqual(['a', 'c']);
  });

  it('holds the max keys most recently set or read, never more (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.tuple(fc.constantFrom('set', 'get'), fc.integer({ min: 0, max: 20 })), { maxLength: 200 }),
        (max, operations) => {
          const cache = boundedCache<number, number>({ max });
          // The model: keys held, least recently used first.
          const held: number[] = [];
          for (const [operation, key] of operations) {
            const at = held.indexOf(key);
            if (operation === 'set') {
              cache.set(key, key);
              if (at >= 0) held.splice(at, 1);
              held.push(key);
              if (held.length > max) held.shift();
            } else {
              expect(cache.get(key)).toBe(at >= 0 ? key : undefined);
              if (at >= 0) held.push(...held.splice(at, 1));
            }
            expect(cache.size).toBeLessThanOrEqual(max);
          }
          expect([...cache.keys()].sort((a, b) => a - b)).toEqual([...held].sort((a, b) => a - b));
        },
      ),
    );
  });

  it('takes no memory up front for the entries it may hold', () => {
    // Built at a cold start with a bound for the busiest container: a million-entry bound costs nothing until used.
    const started = process.memoryUsage().heapUsed;
    const caches = Array.from({ length: 5 }, () => boundedCache<string, number>({ max: 1_000_000 }));
    expect(process.memoryUsage().heapUsed - started).toBeLessThan(10 * 1024 ** 2);
    caches[0]!.set('a', 1);
    expect(caches[0]!.get('a')).toBe(1);
  });
});
