import type { Delivery } from '@nexus-relay/client';

/** One hour of webhook delivery attempts: answered 2xx, or not. */
export interface HourOfAttempts {
  /** The hour's start, ISO 8601 (UTC). */
  hour: string;
  delivered: number;
  failed: number;
}

const HOUR_MS = 3_600_000;

/** Attempts of `deliveries` in each of the last `hours` hours before `now`, oldest first. */
export function attemptsByHour(deliveries: readonly Delivery[], now: number, hours = 24): HourOfAttempts[] {
  const end = Math.floor(now / HOUR_MS) * HOUR_MS + HOUR_MS;
  const start = end - hours * HOUR_MS;
  const buckets = Array.from({ length: hours }, (_, i) => ({
    hour: new Date(start + i * HOUR_MS).toISOString(),
    delivered: 0,
    failed: 0,
  }));
  for (const attempt of deliveries.flatMap((delivery) => delivery.attempts)) {
    const at = Date.parse(attempt.at);
    if (!(at >= start && at < end)) continue;
    const bucket = buckets[Math.floor((at - start) / HOUR_MS)]!;
    const ok = attempt.status_code !== undefined && attempt.status_code >= 200 && attempt.status_code < 300;
    if (ok) bucket.delivered++;
    else bucket.failed++;
  }
  return buckets;
}
