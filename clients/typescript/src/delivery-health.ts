import type { Attempt, Delivery } from './types.ts';

/** How a webhook's endpoint is doing, read from its recent deliveries (newest first, as the log lists them). */
export interface DeliveryHealth {
  /** Attempts of those deliveries, and the share (%) the endpoint answered 2xx; undefined when none was attempted. */
  attempts: number;
  successRate?: number;
  /** The latest attempt that failed: when, what came back (`HTTP 400`, `timeout`…), and the start of the answer. */
  lastFailure?: { at: string; outcome: string; responseExcerpt?: string };
  /** The soonest retry scheduled among them. */
  nextAttemptAt?: string;
}

const succeeded = (attempt: Attempt): boolean =>
  attempt.status_code !== undefined && attempt.status_code >= 200 && attempt.status_code < 300;

/** What a failed attempt got: the endpoint's status, or why there was none. */
export const attemptOutcome = (attempt: Attempt): string =>
  attempt.status_code === undefined ? (attempt.error ?? 'no answer') : `HTTP ${attempt.status_code}`;

/**
 * A webhook's health from a page of its delivery log: every attempt counts (an endpoint that answers 400 to
 * every retry is at 0 %, not "no deliveries ended yet"), the latest failure says what came back, and the soonest
 * scheduled retry says when the relay tries again.
 */
export function deliveryHealth(deliveries: readonly Delivery[]): DeliveryHealth {
  const attempts = deliveries.flatMap((delivery) => delivery.attempts);
  const ok = attempts.filter(succeeded).length;
  const failures = attempts.filter((attempt) => !succeeded(attempt)).sort((a, b) => b.at.localeCompare(a.at));
  const retries = deliveries
    .filter((delivery) => delivery.status === 'pending' && delivery.next_attempt_at !== undefined)
    .map((delivery) => delivery.next_attempt_at!)
    .sort();
  const last = failures[0];
  return {
    attempts: attempts.length,
    ...(attempts.length > 0 ? { successRate: Math.round((100 * ok) / attempts.length) } : {}),
    ...(last
      ? {
          lastFailure: {
            at: last.at,
            outcome: attemptOutcome(last),
            ...(last.response_excerpt === undefined ? {} : { responseExcerpt: last.response_excerpt }),
          },
        }
      : {}),
    ...(retries.length > 0 ? { nextAttemptAt: retries[0] } : {}),
  };
}
