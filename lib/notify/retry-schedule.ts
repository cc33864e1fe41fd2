const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Wait after failed attempt n (index n − 1): Svix's schedule, about 27.5 h in all. */
export const RETRY_DELAYS_MS = [5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR] as const;

/**
 * A round is the first attempt plus one per retry delay (8); a round whose last attempt fails ends `failed`.
 * Replays and resumptions start new rounds; this bounds a delivery's attempts over all of them, which keeps its
 * attempt log (about 1.2 KB per attempt at most) well inside DynamoDB's 400 KB item limit.
 */
export const MAX_ATTEMPTS_PER_DELIVERY = 100;

/** ±10 %: spreads the retries of many deliveries that failed together (an endpoint outage). */
const RETRY_JITTER = 0.1;

/**
 * How long to wait after the round's attempt `failedAttempt` (1-based) failed, or undefined when it was the last.
 * `random` returns a number in [0, 1), like Math.random.
 */
export function retryDelayMs(failedAttempt: number, random: () => number = Math.random): number | undefined {
  const base = RETRY_DELAYS_MS[failedAttempt - 1];
  if (base === undefined) return undefined;
  return Math.round(base * (1 + RETRY_JITTER * (2 * random() - 1)));
}
