import type { AttemptError, AttemptOutcome } from './attempt.ts';
import { MAX_ATTEMPTS_PER_DELIVERY, retryDelayMs } from './retry-schedule.ts';

/**
 * A delivery: one event for one webhook, across all of its attempts. DELIVERY_MOVES lists the states each move may start
 * from; deliveries-repo.ts makes each move a conditional write from those states.
 */

/** Deliveries are the delivery log, kept this long after creation or their last round. */
export const DELIVERY_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

/** `pending_endpoint`: kept while the webhook is disabled; `delivered` and `failed` are final until a replay. */
export const DELIVERY_STATUSES = ['pending', 'pending_endpoint', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
export type DeliveryFailureReason = 'attempts_exhausted' | 'webhook_deleted';

/** Each move of a delivery, with the states it may start from. */
export const DELIVERY_MOVES = {
  /** An attempt claimed, recorded or given its due time. */
  attempt: ['pending'],
  webhookDeleted: ['pending', 'pending_endpoint'],
  keptForEndpoint: ['pending'],
  /** A new round: the retry schedule from its start. */
  replay: ['delivered', 'failed'],
  /** Its webhook enabled again: a new round. */
  resume: ['pending_endpoint'],
} as const satisfies Readonly<Record<string, readonly DeliveryStatus[]>>;

export type DeliveryMove = keyof typeof DELIVERY_MOVES;

/** The states `M` may start from. */
export type MoveFrom<M extends DeliveryMove> = (typeof DELIVERY_MOVES)[M][number];

/** Whether `move` may start from `status`. */
export const canMove = <M extends DeliveryMove>(move: M, status: DeliveryStatus): status is MoveFrom<M> =>
  (DELIVERY_MOVES[move] as readonly DeliveryStatus[]).includes(status);

export interface AttemptRecord {
  at: string;
  statusCode?: number;
  latencyMs: number;
  error?: AttemptError;
  responseExcerpt?: string;
}

/** One event for one webhook, across all of its attempts. */
export interface Delivery {
  webhookId: string;
  msgId: string;
  eventType: string;
  /** The exact body every attempt sends. */
  payload: string;
  status: DeliveryStatus;
  attemptCount: number;
  /** A replay or a resumption starts the retry schedule again. */
  attemptsBeforeRound: number;
  attempts: AttemptRecord[];
  /** While pending after a failed attempt. */
  nextAttemptAt?: number;
  failureReason?: DeliveryFailureReason;
  createdAt: string;
  updatedAt: string;
}

export interface NewDelivery {
  msgId: string;
  eventType: string;
  payload: string;
}

/** Where a recorded attempt leaves the delivery. */
export type AttemptResolution =
  | { status: 'delivered' }
  | { status: 'pending'; nextAttemptAt: number }
  | { status: 'pending_endpoint' }
  | { status: 'failed'; reason: DeliveryFailureReason };

/** A delivery whose attempt is overdue. */
export interface OverdueDelivery {
  webhookId: string;
  msgId: string;
  attemptCount: number;
  dueAt: string;
  /** While an attempt is under way. */
  leaseUntil?: number;
}

/** What `createdBetween` found, and where a window cut short by its limit stopped. */
export interface CreatedDeliveries {
  deliveries: { msgId: string; status: DeliveryStatus; createdAt: string; hasDueKey: boolean }[];
  /** When the window held more than the limit: the log position of the last one read. */
  last?: string;
}

/** A delivery waiting for its webhook to be enabled again. */
export interface PendingEndpointDelivery {
  msgId: string;
  attemptCount: number;
}

/** `since` inclusive, `until` exclusive (ISO 8601 as toIso writes it). */
export interface DeliveryFilter {
  status?: DeliveryStatus;
  since?: string;
  until?: string;
}

/** Where an attempt's outcome leaves a pending delivery. */
export function resolveAttempt(
  outcome: AttemptOutcome,
  attempt: number,
  attemptsBeforeRound: number,
  now: number,
  random?: () => number,
): AttemptResolution {
  if (outcome.ok) return { status: 'delivered' };
  // 410 Gone: the receiver asks us to stop (Standard Webhooks); the webhook is disabled and the event kept.
  if (outcome.statusCode === 410) return { status: 'pending_endpoint' };
  const delayMs = attempt < MAX_ATTEMPTS_PER_DELIVERY ? retryDelayMs(attempt - attemptsBeforeRound, random) : undefined;
  if (delayMs === undefined) return { status: 'failed', reason: 'attempts_exhausted' };
  return { status: 'pending', nextAttemptAt: now + delayMs };
}
