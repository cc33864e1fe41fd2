import { Deadline, monotonicTimer, type Timer } from './deadline.ts';
import { MxError } from './errors.ts';
import { networkErrorCode, neverSent } from '../network-error.ts';

export interface RetryPolicyOptions {
  /** Total time one logical call may take, attempts and waits included. */
  budgetMs: number;
  /** Full jitter: the wait before retry n is uniform in [0, min(maxDelayMs, baseDelayMs · 2^(n-1))). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A retry needs this much budget left after its wait: a shorter attempt's timeout would hide the failure worth reporting. */
  minAttemptMs?: number;
  random?: () => number;
  timer?: Timer;
}

export interface RetryRun {
  deadline: Deadline;
  isRetryable(error: unknown): boolean;
  /** Called before each wait; `attempt` is the one that just failed. */
  onRetry?(error: unknown, attempt: number, delayMs: number): void;
}

const DEFAULT_BASE_DELAY_MS = 100;
const DEFAULT_MAX_DELAY_MS = 2_000;
const DEFAULT_MIN_ATTEMPT_MS = 100;

/** How long MX calls are retried and how long to wait between attempts. Shared by every MX call of a container. */
export class RetryPolicy {
  readonly timer: Timer;
  readonly #budgetMs: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #minAttemptMs: number;
  readonly #random: () => number;

  constructor(options: RetryPolicyOptions) {
    this.timer = options.timer ?? monotonicTimer;
    this.#budgetMs = options.budgetMs;
    this.#baseDelayMs = options.baseDelayMs ?? DEFAULT_BASE_DELAY_MS;
    this.#maxDelayMs = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
    this.#minAttemptMs = options.minAttemptMs ?? DEFAULT_MIN_ATTEMPT_MS;
    this.#random = options.random ?? Math.random;
  }

  /** The deadline of a logical call starting now. */
  newDeadline(): Deadline {
    return new Deadline(this.timer, this.#budgetMs);
  }

  /** Full-jitter backoff before the `retry`-th retry (1-based). */
  backoffMs(retry: number): number {
    const ceiling = Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** (retry - 1));
    return this.#random() * ceiling;
  }

  /** The wait within `roomMs`, or undefined when none fits. Never sooner than MX's Retry-After, which must fit whole. */
  nextDelayMs(retry: number, error: unknown, roomMs: number): number | undefined {
    const retryAfterMs = error instanceof MxError && error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1000 : 0;
    if (roomMs <= 0 || retryAfterMs > roomMs) return undefined;
    return Math.max(retryAfterMs, Math.min(this.backoffMs(retry), roomMs));
  }

  /** Runs `operation` until it succeeds, fails for good, or the deadline leaves no room; throws its last error. */
  async run<T>(operation: (attempt: number) => Promise<T>, run: RetryRun): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await operation(attempt);
      } catch (error) {
        if (!run.isRetryable(error)) throw error;
        const delayMs = this.nextDelayMs(attempt, error, run.deadline.remainingMs() - this.#minAttemptMs);
        if (delayMs === undefined) throw error;
        run.onRetry?.(error, attempt, delayMs);
        await this.timer.sleep(delayMs);
      }
    }
  }
}

/** What a failed MX call tells about whether MX acted on it. MX documents no 5xx semantics, so those follow RFC 9110 §15.6. */
export type FailureKind =
  /** 429: refused unread. */
  | 'rate-limited'
  /** 503: refused before acting on it. */
  | 'unavailable'
  /** Not a byte of the request left (refused connection, DNS, connect timeout). */
  | 'never-sent'
  /** 500: possibly after acting on it, possibly only for now. */
  | 'server-error'
  /** 502, 504: a proxy lost MX's answer; MX may have acted. */
  | 'gateway-failure'
  /** Dropped after the request was maybe sent. */
  | 'lost-connection'
  /** MX may still be acting. */
  | 'attempt-timeout'
  /** Will not change when asked again: other 4xx and 5xx, 1xx/3xx, a malformed 2xx, and anything not an MxError. */
  | 'final';

export interface RetryRule {
  idempotent: boolean;
  nonIdempotent: boolean;
}

/**
 * The one retry decision. A non-idempotent call is resent only when MX certainly did not act on it (a replayed aggregate
 * starts a second job, a resume answers MFA twice); a read may be resent after any failure that may pass, 500 included.
 */
export const RETRY_RULES: Readonly<Record<FailureKind, Readonly<RetryRule>>> = {
  'rate-limited': { idempotent: true, nonIdempotent: true },
  unavailable: { idempotent: true, nonIdempotent: true },
  'never-sent': { idempotent: true, nonIdempotent: true },
  'server-error': { idempotent: true, nonIdempotent: false },
  'gateway-failure': { idempotent: true, nonIdempotent: false },
  'lost-connection': { idempotent: true, nonIdempotent: false },
  'attempt-timeout': { idempotent: true, nonIdempotent: false },
  final: { idempotent: false, nonIdempotent: false },
};

const KIND_BY_STATUS: ReadonlyMap<number, FailureKind> = new Map<number, FailureKind>([
  [429, 'rate-limited'],
  [500, 'server-error'],
  [502, 'gateway-failure'],
  [503, 'unavailable'],
  [504, 'gateway-failure'],
]);

/** Which kind of failure `error` is. */
export function classifyFailure(error: unknown): FailureKind {
  if (!(error instanceof MxError)) return 'final';
  if (neverSent(networkErrorCode(error.cause))) return 'never-sent';
  if (error.code === 'MX_TIMEOUT') return 'attempt-timeout';
  // Held by the breaker or the budget: never sent, like a 503.
  if (error.code === 'MX_CIRCUIT_OPEN' || error.code === 'MX_BUDGET_SPENT') return 'unavailable';
  if (error.code === 'MX_NETWORK_ERROR') return 'lost-connection';
  return (error.status !== undefined && KIND_BY_STATUS.get(error.status)) || 'final';
}

/** Whether a failed MX call may be sent again, by RETRY_RULES. */
export function isRetryableFailure(error: unknown, idempotent: boolean): boolean {
  const rule = RETRY_RULES[classifyFailure(error)];
  return idempotent ? rule.idempotent : rule.nonIdempotent;
}
