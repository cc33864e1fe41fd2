import { LRUCache } from 'lru-cache';
import type { Clock } from './clock.ts';

export type BoundedCache<K extends {}, V extends {}> = LRUCache<K, V>;

export type BoundedCacheOptions =
  /** The least recently used leave first. */
  | { max: number }
  /** Also how long an entry is trusted, on the injected clock. */
  | { max: number; ttlMs: number; clock: Clock };

/**
 * The one way a per-container cache is made (decision 0016). Bounded by `maxSize`, not lru-cache's `max`, which would
 * allocate every entry's storage at a cold start.
 */
export function boundedCache<K extends {}, V extends {}>(options: BoundedCacheOptions): BoundedCache<K, V> {
  const bound = { maxSize: options.max, sizeCalculation: () => 1 };
  if (!('ttlMs' in options)) return new LRUCache<K, V>(bound);
  const { ttlMs, clock } = options;
  // lru-cache is stale only once age exceeds `ttl`; here an entry is stale from `ttlMs` on.
  const ttl = Math.max(1, ttlMs - 1);
  return new LRUCache<K, V>({ ...bound, ttl, ttlResolution: 0, ttlAutopurge: false, perf: { now: () => clock.now() } });
}
