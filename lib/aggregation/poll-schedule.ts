import type { DurationModel } from './duration-model.ts';

/** MX asks integrators not to poll a member more often than every 3 seconds. */
export const MIN_POLL_DELAY_SECONDS = 3;
const MIN_POLL_DELAY_MS = MIN_POLL_DELAY_SECONDS * 1000;
/** Inside an institution's usual finishing window, poll at most this far apart (keeps detection lag ≈ 3 s). */
const MAX_DENSE_INTERVAL_MS = 6_000;

/**
 * Seconds to wait before poll number `pollIndex` (0 = the first check after the refresh) when nothing is known about
 * the institution: a Fibonacci walk from 3 s (3, 3, 6, 9, 15, 24, 39, …) — quick while short aggregations end,
 * sparse for long ones — capped at `maxDelaySeconds`.
 */
export function pollDelaySeconds(pollIndex: number, maxDelaySeconds: number): number {
  let [previous, current] = [MIN_POLL_DELAY_SECONDS, MIN_POLL_DELAY_SECONDS];
  for (let i = 1; i < pollIndex && current < maxDelaySeconds; i++) [previous, current] = [current, previous + current];
  return Math.max(MIN_POLL_DELAY_SECONDS, Math.min(current, maxDelaySeconds));
}

export interface ScheduleInput {
  now: number;
  /** Polls made so far (the next one is number `pollIndex`). */
  pollIndex: number;
  startedAt: number;
  deadlineAt: number;
  maxDelaySeconds: number;
  /** What this member's institution usually takes, once learned. */
  model?: DurationModel;
}

/**
 * When the next poll is due, in whole milliseconds (it becomes the poll message's `due_at`, an integer: a fraction
 * would make the message unparseable, and the worker would drop it). With a model of the institution's durations,
 * the loop sleeps until the fastest tenth of its jobs usually end, polls densely (every (p90 − p10)/10, 3–6 s) until
 * the slowest tenth have ended, then backs off in proportion to how late the job is. Without one, it follows
 * `pollDelaySeconds`. Never sooner than 3 s, never past the deadline.
 */
export function nextPollAt(input: ScheduleInput): number {
  const { now, startedAt, model } = input;
  const maxDelayMs = input.maxDelaySeconds * 1000;
  let planned: number;
  if (!model) {
    planned = now + pollDelaySeconds(input.pollIndex, input.maxDelaySeconds) * 1000;
  } else if (now < startedAt + model.p10Ms) {
    planned = startedAt + model.p10Ms;
  } else if (now < startedAt + model.p90Ms) {
    planned = now + clamp((model.p90Ms - model.p10Ms) / 10, MIN_POLL_DELAY_MS, MAX_DENSE_INTERVAL_MS);
  } else {
    planned = now + clamp((now - startedAt - model.p90Ms) / 2, MIN_POLL_DELAY_MS, maxDelayMs);
  }
  // The model's quantiles are interpolated, so `planned` may carry a fraction of a millisecond.
  return Math.ceil(Math.max(now + MIN_POLL_DELAY_MS, Math.min(planned, now + maxDelayMs, input.deadlineAt)));
}

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));
