import type { ConnectionStatusName } from './connection-statuses.ts';

/** An MFA question the scripted aggregation stops at; only TEXT challenges are simulated. */
export interface ChallengeScript {
  label: string;
  answer: string;
}

/** How a member's aggregations play out; set per member through the control API. */
export interface AggregationScript {
  /** Time from the aggregate call to the final status (or to the challenge). */
  durationMs: number;
  /** Where an aggregation without a challenge ends. With a challenge, the answer decides: CONNECTED or REJECTED. */
  finalStatus: ConnectionStatusName;
  challenge: ChallengeScript | null;
  /**
   * What each successful run changes: `add` new (PENDING) transactions, `update` existing ones of the member, `post`
   * its oldest PENDING ones — deleted and re-created POSTED under a new guid, as MX most often does (see
   * TransactionLedger); MX's AGGREGATION webhook counts them (`transactions_created_count`, `…_updated_count`).
   */
  transactions: { add: number; update: number; post: number };
}

export const DEFAULT_AGGREGATION_SCRIPT: AggregationScript = {
  durationMs: 2000,
  finalStatus: 'CONNECTED',
  challenge: null,
  transactions: { add: 0, update: 0, post: 0 },
};

export interface RunChallenge extends ChallengeScript {
  guid: string;
}

/**
 * One aggregation of a member. Only the events that happened are stored (start, answer); the status at any moment is
 * derived from them and the clock, so a ManualClock fully determines what a poll sees.
 */
/** MX's aggregation-type jobs: a standard aggregation or a premium one (verify, identify, extend history). */
export const RUN_KINDS = ['AGGREGATION', 'VERIFICATION', 'IDENTIFICATION', 'HISTORY', 'BALANCE'] as const;
export type RunKind = (typeof RUN_KINDS)[number];

export interface AggregationRun {
  jobGuid: string;
  kind: RunKind;
  /** A verification's accounts: whose numbers it gathers (its VERIFICATION webhook lists them). */
  accounts?: string[];
  startedAt: number;
  /** Started by MX itself (its background aggregation), not by an aggregate call: the AGGREGATION webhook says so. */
  background: boolean;
  script: AggregationScript;
  challenge: RunChallenge | null;
  answer: { at: number; accepted: boolean } | null;
}

export interface RunProgress {
  status: ConnectionStatusName;
  isBeingAggregated: boolean;
  /** When the run finished CONNECTED, once it has. */
  succeededAt: number | null;
}

/** The share of the duration spent in the opening status (RECONNECTED, or RESUMED after an MFA answer). */
const openingPhaseMs = (script: AggregationScript): number => Math.floor(script.durationMs / 4);

export function progressAt(run: AggregationRun, now: number): RunProgress {
  if (run.answer) return progressAfterAnswer(run.answer, run.script, now);

  const elapsed = now - run.startedAt;
  if (elapsed < openingPhaseMs(run.script)) return aggregating('RECONNECTED');
  if (elapsed < run.script.durationMs) return aggregating('CONNECTED');
  if (run.challenge) return settled('CHALLENGED');
  if (run.script.finalStatus !== 'CONNECTED') return settled(run.script.finalStatus);
  return { status: 'CONNECTED', isBeingAggregated: false, succeededAt: run.startedAt + run.script.durationMs };
}

function progressAfterAnswer(answer: { at: number; accepted: boolean }, script: AggregationScript, now: number) {
  if (!answer.accepted) return settled('REJECTED');
  const doneAt = answer.at + openingPhaseMs(script);
  if (now < doneAt) return aggregating('RESUMED');
  return { status: 'CONNECTED', isBeingAggregated: false, succeededAt: doneAt } satisfies RunProgress;
}

/**
 * When the run stops aggregating as things stand: at the end of its duration (CHALLENGED when it has a challenge),
 * or, once the challenge is answered, at the end of RESUMED (right) or at once (wrong). A later answer moves it.
 */
export function settlesAt(run: AggregationRun): number {
  if (!run.answer) return run.startedAt + run.script.durationMs;
  return run.answer.accepted ? run.answer.at + openingPhaseMs(run.script) : run.answer.at;
}

const aggregating = (status: ConnectionStatusName): RunProgress => ({ status, isBeingAggregated: true, succeededAt: null });
const settled = (status: ConnectionStatusName): RunProgress => ({ status, isBeingAggregated: false, succeededAt: null });

/** The challenge waiting for an answer at `now`, if any. */
export function pendingChallengeAt(run: AggregationRun, now: number): RunChallenge | null {
  return run.challenge && progressAt(run, now).status === 'CHALLENGED' ? run.challenge : null;
}
