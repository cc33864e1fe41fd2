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
 */
export function boundedCache<K extends {}, V extends {}>(options: BoundedCacheOptions): BoundedCache<K, V> {
  if (!('ttlMs' in options)) return new LRUCache<K, V>({ max: options.max });
  const { max, ttlMs, clock } = options;
  // lru-cache counts an entry stale once its age exceeds `ttl`; here it is trusted for `ttlMs` and stale from then on
  // (clocks count whole milliseconds).
  const ttl = Math.max(1, ttlMs - 1);
  return new LRUCache<K, V>({ max, ttl, ttlResolution: 0, ttlAutopurge: false, perf: { now: () => clock.now() } });
}
