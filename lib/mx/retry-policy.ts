import { Deadline, monotonicTimer, type Timer } from './deadline.ts';
import { MxError } from './errors.ts';

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

/** Connection failures that happen before a byte of the request is sent. */
const NEVER_SENT_CAUSES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * Whether a failed MX call may be sent again. Any call may, when MX certainly did not act on it: it answered 429 or
 * 503, or the request never left. An idempotent call (a read) also may after a lost connection (reset, stale
 * keep-alive socket, drop), a timeout, 502 or 504 — where MX may have acted, but acting twice does no harm.
 */
export function isRetryableFailure(error: unknown, idempotent: boolean): boolean {
  if (!(error instanceof MxError)) return false;
  if (error.status === 429 || error.status === 503 || NEVER_SENT_CAUSES.has(causeCode(error))) return true;
  if (!idempotent) return false;
  return error.code === 'MX_NETWORK_ERROR' || error.code === 'MX_TIMEOUT' || error.status === 502 || error.status === 504;
}

function causeCode(error: MxError): string {
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : '';
}
