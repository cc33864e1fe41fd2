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
});
