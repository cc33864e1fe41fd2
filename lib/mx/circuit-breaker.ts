import type { Clock } from '../clock.ts';
import type { Log } from '../logger.ts';
import type { BudgetPriority } from './call-budget.ts';
import type { MxMetrics, MxUpstream } from './mx-metrics.ts';

/** Calls in a row MX could not serve, retries spent, that open the breaker. */
export const FAILURES_TO_OPEN = 5;
/** The first time the breaker stays open; each failed probe doubles it, up to MAX_OPEN_MS (APP_MAX_OPEN_MS for apps). */
export const FIRST_OPEN_MS = 15_000;
/**
 * A minute, over queued work's calls: each container's breaker closes within a minute (and a probe) of MX answering
 * again, however long the outage, at the cost of one probe a container a minute to an MX that is down.
 */
export const MAX_OPEN_MS = 60_000;
/**
 * A breaker over an app's calls holds them this long at most: an app waiting over HTTP is served within seconds of MX's
 * return, not a minute later, at the cost of a probe every 5 s from each API container that takes calls meanwhile.
 */
export const APP_MAX_OPEN_MS = 5_000;
/** While the probe is out, other calls are told to come back this much later. */
const PROBE_WAIT_MS = 1_000;

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface CircuitBreakerOptions {
  upstream: MxUpstream;
  /** Whose calls it holds (its budget's priority): an app's, APP_MAX_OPEN_MS at most; otherwise MAX_OPEN_MS. */
  priority?: BudgetPriority;
  clock: Clock;
  log: Log;
  metrics: MxMetrics;
}

/**
 * One container's circuit breaker over one MX upstream, in memory (decision 0021). Open, calls are refused at once with the
 * time left; then one probe goes (half-open): an answer closes it, a failure reopens it for twice as long.
 *
 * @example
 * const wait = breaker.admit();
 * if (wait > 0) throw new MxError('MX_CIRCUIT_OPEN', …, { retryAfterSeconds: Math.ceil(wait / 1000) });
 * breaker.record(served);
 */
export class CircuitBreaker {
  #state: BreakerState = 'closed';
  #failures = 0;
  #openUntil = 0;
  readonly #maxOpenMs: number;
  #openMs: number;
  #probing = false;

  constructor(private readonly options: CircuitBreakerOptions) {
    this.#maxOpenMs = options.priority === 'app' ? APP_MAX_OPEN_MS : MAX_OPEN_MS;
    this.#openMs = Math.min(FIRST_OPEN_MS, this.#maxOpenMs);
  }

  get state(): BreakerState {
    return this.#state;
  }

  /** 0 when a call may go now; otherwise how many ms until one may. */
  admit(): number {
    if (this.#state === 'closed') return 0;
    const now = this.options.clock.now();
    if (this.#state === 'open') {
      if (now < this.#openUntil) return this.#openUntil - now;
      this.#move('half_open');
    }
    if (this.#probing) return PROBE_WAIT_MS;
    this.#probing = true;
    return 0;
  }

  /** An admitted call never reached MX (the budget refused it): a half-open probe is free for the next. */
  release(): void {
    if (this.#state === 'half_open') this.#probing = false;
  }

  /** `served`: MX answered with anything but 5xx or 429. */
  record(served: boolean): void {
    if (this.#state === 'half_open') this.#probing = false;
    if (served) {
      this.#failures = 0;
      this.#openMs = Math.min(FIRST_OPEN_MS, this.#maxOpenMs);
      if (this.#state !== 'closed') this.#move('closed');
      return;
    }
    this.#failures++;
    if (this.#state === 'half_open') {
      this.#openMs = Math.min(this.#openMs * 2, this.#maxOpenMs);
      this.#open();
    } else if (this.#state === 'closed' && this.#failures >= FAILURES_TO_OPEN) this.#open();
  }

  #open(): void {
    this.#openUntil = this.options.clock.now() + this.#openMs;
    this.#move('open');
  }

  #move(state: BreakerState): void {
    const previous = this.#state;
    this.#state = state;
    this.options.metrics.add('MxCircuitChanges', 1, { upstream: this.options.upstream, state });
    const fields = { upstream: this.options.upstream, state, previous_state: previous, failures: this.#failures };
    if (state === 'open')
      this.options.log.warn('MX circuit open: calls refused until a probe succeeds', { ...fields, open_ms: this.#openMs });
    else this.options.log.info('MX circuit changed', fields);
  }
}
