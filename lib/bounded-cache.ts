import { LRUCache } from 'lru-cache';
import type { Clock } from './clock.ts';

export type BoundedCache<K extends {}, V extends {}> = LRUCache<K, V>;

export type BoundedCacheOptions =
  /** Entries held at once; the least recently used leave first. */
  | { max: number }
  /** Also: how long an entry is trusted after it is set, on the injected clock (tests pass a ManualClock). */
  | { max: number; ttlMs: number; clock: Clock };

/**
 * The one way a per-container cache is made: bounded in entries, and in age when given a TTL. The TTL is read from
 * the clock on every access (`ttlResolution: 0`), so a test that moves its clock sees entries expire at once.
 *
 * The bound is lru-cache's `maxSize` with every entry of size 1, not its `max`: `max` allocates storage for that many
 * entries when the cache is built, and the caches are built at a cold start, sized for the busiest container. With
 * `maxSize` the storage grows with the entries held.
 */
export function boundedCache<K extends {}, V extends {}>(options: BoundedCacheOptions): BoundedCache<K, V> {
  const bound = { maxSize: options.max, sizeCalculation: () => 1 };
  if (!('ttlMs' in options)) return new LRUCache<K, V>(bound);
  const { ttlMs, clock } = options;
  // lru-cache counts an entry stale once its age exceeds `ttl`; here it is trusted for `ttlMs` and stale from then on
  // (clocks count whole milliseconds).
  const ttl = Math.max(1, ttlMs - 1);
  return new LRUCache<K, V>({ ...bound, ttl, ttlResolution: 0, ttlAutopurge: false, perf: { now: () => clock.now() } });
}
