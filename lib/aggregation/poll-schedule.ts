import type { DurationModel } from './duration-model.ts';

/** MX asks integrators not to poll a member more often than every 3 seconds. */
export const MIN_POLL_DELAY_SECONDS = 3;
const MIN_POLL_DELAY_MS = MIN_POLL_DELAY_SECONDS * 1000;
/**
 * Inside an institution's usual finishing window — and for a while after it — polls are this far apart, so a finish
 * there is seen within 5 s (SQS delays round down, never up).
 */
export const DENSE_INTERVAL_MS = 5_000;
/** The dense window opens a little before the institution's p10, so the fastest jobs do not wait for a poll at p10. */
const DENSE_START_OF_P10 = 0.85;
/** Past p90 the wait grows by a quarter of the time past p90 (5 s until p90 + 20 s, then 10 s at p90 + 40 s, …). */
const TAIL_BACKOFF_FRACTION = 0.25;
/**
 * With MX pushing (see PushCoverage), scheduled polls only guard against a push that never comes: the generic walk
 * stretched this many times (12, 24, 36, 60, … s apart, capped at `maxDelaySeconds`) — and, for an institution whose
 * durations are known, none before its p90, by when nine pushes in ten have come — while each push asks for a poll at
 * once.
 */
export const PUSH_COVERED_STRETCH = 4;

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
  /** MX pushes this deployment's aggregation ends (webhooks seen lately): polls are a sparse safety net. */
  pushCovered?: boolean;
}

/**
 * When the next poll is due, in whole milliseconds (it becomes the poll message's `due_at`, an integer: a fraction
 * would make the message unparseable, and the worker would drop it).
 * - Push-covered: the generic walk stretched `PUSH_COVERED_STRETCH` times, and never before the institution's p90
 *   when its model is known — the push, not the schedule, is what ends the job quickly; these polls only bound how
 *   late a missing push is noticed.
 * - With a model of the institution's durations: sleep until just before the fastest tenth of its jobs usually end
 *   (0.85 × p10), poll every 5 s until the slowest tenth have ended (p90) and on past it, backing off by a quarter
 *   of the time past p90 (so 5 s until p90 + 20 s).
 * - Without one: `pollDelaySeconds`.
 * Always: never sooner than 3 s, never more than `maxDelaySeconds` ahead, never past the deadline (but the 3 s floor
 * wins over the deadline).
 */
export function nextPollAt(input: ScheduleInput): number {
  const { now, startedAt, model } = input;
  const maxDelayMs = input.maxDelaySeconds * 1000;
  const elapsed = now - startedAt;
  let planned: number;
  if (input.pushCovered) {
    const stretched = now + PUSH_COVERED_STRETCH * pollDelaySeconds(input.pollIndex, input.maxDelaySeconds) * 1000;
    planned = model ? Math.max(stretched, startedAt + model.p90Ms) : stretched;
  } else if (!model) {
    planned = now + pollDelaySeconds(input.pollIndex, input.maxDelaySeconds) * 1000;
  } else if (elapsed < DENSE_START_OF_P10 * model.p10Ms) {
    planned = startedAt + DENSE_START_OF_P10 * model.p10Ms;
  } else if (elapsed < model.p90Ms) {
    planned = now + DENSE_INTERVAL_MS;
  } else {
    planned = now + Math.max(DENSE_INTERVAL_MS, (elapsed - model.p90Ms) * TAIL_BACKOFF_FRACTION);
  }
  // The model's quantiles are interpolated, so `planned` may carry a fraction of a millisecond.
  return Math.ceil(Math.max(now + MIN_POLL_DELAY_MS, Math.min(planned, now + maxDelayMs, input.deadlineAt)));
}
