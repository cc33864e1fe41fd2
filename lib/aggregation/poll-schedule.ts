import type { DurationModel } from './duration-model.ts';

/** MX asks integrators not to poll a member more often than every 3 seconds. */
export const MIN_POLL_DELAY_SECONDS = 3;
const MIN_POLL_DELAY_MS = MIN_POLL_DELAY_SECONDS * 1000;
/** Poll spacing inside an institution's usual finishing window, and for a while after it (SQS delays round down). */
export const DENSE_INTERVAL_MS = 5_000;
/** The dense window opens a little before p10, so the fastest jobs do not wait for a poll at p10. */
const DENSE_START_OF_P10 = 0.85;
/** Past p90 the wait grows by this fraction of the time past p90. */
const TAIL_BACKOFF_FRACTION = 0.25;
/** With MX pushing, polls only guard against a push that never comes: the generic walk is stretched this many times. */
export const PUSH_COVERED_STRETCH = 4;

/** Without a model of the institution: a Fibonacci walk from 3 s, quick while short aggregations end, sparse for long ones. */
export function pollDelaySeconds(pollIndex: number, maxDelaySeconds: number): number {
  let [previous, current] = [MIN_POLL_DELAY_SECONDS, MIN_POLL_DELAY_SECONDS];
  for (let i = 1; i < pollIndex && current < maxDelaySeconds; i++) [previous, current] = [current, previous + current];
  return Math.max(MIN_POLL_DELAY_SECONDS, Math.min(current, maxDelaySeconds));
}

export interface ScheduleInput {
  now: number;
  /** Polls made so far. */
  pollIndex: number;
  startedAt: number;
  deadlineAt: number;
  maxDelaySeconds: number;
  model?: DurationModel;
  pushCovered?: boolean;
}

/**
 * When the next poll is due, in whole milliseconds: a fractional `due_at` would make the message unparseable. Never
 * sooner than MX's 3 s floor (which wins over the deadline), never past `maxDelaySeconds` or the deadline.
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
  return Math.ceil(Math.max(now + MIN_POLL_DELAY_MS, Math.min(planned, now + maxDelayMs, input.deadlineAt)));
}
