import { Deadline, monotonicTimer, type Timer } from './deadline.ts';
import { MxError } from './errors.ts';
import { networkErrorCode, neverSent } from '../network-error.ts';

export interface RetryPolicyOptions {
  /** Total time one logical call may take, attempts and waits included (config `mx.retryBudgetMs`). */
  budgetMs: number;
  /** The wait before retry n is uniform in [0, min(maxDelayMs, baseDelayMs · 2^(n-1))): "full jitter". */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /**
   * A retry starts only if at least this much budget is left for it after its wait: a shorter attempt would mostly
   * be cut off, and its timeout would replace the failure worth reporting. Waits are shortened to leave it.
   */
  minAttemptMs?: number;
  /** Uniform in [0, 1). */
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

/** How long MX calls are retried, and how long to wait between attempts. Shared by every MX call of a container. */
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

  /** Full-jitter exponential backoff before the `retry`-th retry (1-based). */
  backoffMs(retry: number): number {
    const ceiling = Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** (retry - 1));
    return this.#random() * ceiling;
  }

  /**
   * The wait before the `retry`-th retry after `error`, when `roomMs` is what may still be spent waiting; undefined
   * when no retry fits. Never sooner than MX asked (Retry-After), which must fit whole; our own backoff is cut to fit.
   */
  nextDelayMs(retry: number, error: unknown, roomMs: number): number | undefined {
    const retryAfterMs = error instanceof MxError && error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1000 : 0;
    if (roomMs <= 0 || retryAfterMs > roomMs) return undefined;
    return Math.max(retryAfterMs, Math.min(this.backoffMs(retry), roomMs));
  }

  /** Runs `operation` until it succeeds, fails in a way not worth retrying, or the deadline leaves no room; throws its last error. */
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

/**
 * What a failed MX call tells about whether MX acted on it. MX documents no 5xx semantics for Nexus (its error page
 * lists 4xx codes only: https://docs.mx.com/api-reference/nexus/overview/errors), so the 5xx kinds follow HTTP (RFC 9110 §15.6).
 */
export type FailureKind =
  /** 429: MX refused the call unread; Retry-After, when sent, is honoured. */
  | 'rate-limited'
  /** 503: MX (or its load balancer) could not take the call now, by definition before acting on it. */
  | 'unavailable'
  /** Refused connection, failed DNS lookup, connect timeout: not a byte of the request left. */
  | 'never-sent'
  /** 500: MX failed somewhere while handling the call — possibly after acting on it, possibly only for now. */
  | 'server-error'
  /** 502, 504: a proxy in front of MX lost or timed out on MX's answer; MX may have acted. */
  | 'gateway-failure'
  /** The connection dropped after the request was (maybe) sent: reset, closed socket, stale keep-alive. */
  | 'lost-connection'
  /** The attempt ran out of time (headers or body late): MX may still be acting. */
  | 'attempt-timeout'
  /**
   * An answer that will not change when asked again: every other 4xx (401 is the session manager's business), the 5xx
   * that state a lasting condition (501 Not Implemented, 505 HTTP Version Not Supported, 506–511) or that HTTP does not
   * define, a 1xx/3xx or a malformed 2xx, and anything that is not an MxError (a bug).
   */
  | 'final';

export interface RetryRule {
  /** Retried for a call MX may receive twice without harm (a read: GET, unless marked otherwise). */
  idempotent: boolean;
  /** Retried for any other call (aggregate, resume, create member, POST /sessions). */
  nonIdempotent: boolean;
}

/**
 * The one retry decision, by failure kind × method class; waits, budget and Retry-After are RetryPolicy's.
 * - A call that is not idempotent is sent again only when MX certainly did not act on it: a replayed aggregate would
 *   start a second job (and MX suppresses background aggregation 20 h after a manual one), a replayed resume would
 *   answer MFA twice. An ambiguous failure — 500, 502, 504, a lost connection, a timeout — is thrown to the caller.
 * - A read may be sent again after any failure that may pass, 500 included: HTTP lets a client repeat an idempotent
 *   request automatically (RFC 9110 §9.2.2), reading twice does no harm, and the budget bounds a 500 that persists.
 * - Session creation (SessionManager) is not replayed as such: POST /sessions spends its one-time API token. The
 *   session manager starts the whole exchange over with a fresh API token instead, under the idempotent column —
 *   at worst MX keeps an unused session until it expires.
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

/** Which kind of failure `error` is (see FailureKind). */
export function classifyFailure(error: unknown): FailureKind {
  if (!(error instanceof MxError)) return 'final';
  if (neverSent(networkErrorCode(error.cause))) return 'never-sent';
  if (error.code === 'MX_TIMEOUT') return 'attempt-timeout';
  // Held by the breaker (MX is failing, as a 503 would say) or the budget: not sent, and not to be sent again now.
  if (error.code === 'MX_CIRCUIT_OPEN' || error.code === 'MX_BUDGET_SPENT') return 'unavailable';
  if (error.code === 'MX_NETWORK_ERROR') return 'lost-connection';
  return (error.status !== undefined && KIND_BY_STATUS.get(error.status)) || 'final';
}

/** Whether a failed MX call may be sent again, by RETRY_RULES. */
export function isRetryableFailure(error: unknown, idempotent: boolean): boolean {
  const rule = RETRY_RULES[classifyFailure(error)];
  return idempotent ? rule.idempotent : rule.nonIdempotent;
}
