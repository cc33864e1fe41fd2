const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Wait after failed attempt n (index n − 1): Svix's schedule. */
export const RETRY_DELAYS_MS = [5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR] as const;

/** Across all rounds (replays, resumptions): keeps a delivery's attempt log well inside DynamoDB's item limit. */
export const MAX_ATTEMPTS_PER_DELIVERY = 100;

/** Spreads the retries of many deliveries that failed together. */
const RETRY_JITTER = 0.1;

/** The wait after the round's attempt `failedAttempt` (1-based), or undefined when it was the last. */
export function retryDelayMs(failedAttempt: number, random: () => number = Math.random): number | undefined {
  const base = RETRY_DELAYS_MS[failedAttempt - 1];
  if (base === undefined) return undefined;
  return Math.round(base * (1 + RETRY_JITTER * (2 * random() - 1)));
}
