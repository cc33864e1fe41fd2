/** MX asks integrators not to poll a member more often than every 3 seconds. */
export const MIN_POLL_DELAY_SECONDS = 3;

/**
 * Seconds to wait before poll number `pollIndex` (0 = the first check after the refresh): a Fibonacci walk from
 * 3 s (3, 3, 6, 9, 15, 24, 39, …) — quick while short aggregations end, sparse for long ones — capped at
 * `maxDelaySeconds`.
 */
export function pollDelaySeconds(pollIndex: number, maxDelaySeconds: number): number {
  let [previous, current] = [MIN_POLL_DELAY_SECONDS, MIN_POLL_DELAY_SECONDS];
  for (let i = 1; i < pollIndex && current < maxDelaySeconds; i++) [previous, current] = [current, previous + current];
  return Math.max(MIN_POLL_DELAY_SECONDS, Math.min(current, maxDelaySeconds));
}

/** When the next poll is due: after the planned delay but not past the deadline, and never sooner than 3 s. */
export function nextPollAt(nowMs: number, pollIndex: number, deadlineAtMs: number, maxDelaySeconds: number): number {
  const planned = nowMs + pollDelaySeconds(pollIndex, maxDelaySeconds) * 1000;
  return Math.max(nowMs + MIN_POLL_DELAY_SECONDS * 1000, Math.min(planned, deadlineAtMs));
}
