import { setTimeout as sleep } from 'node:timers/promises';
import { type Clock, toEpochSeconds } from '../clock.ts';
import type { Log } from '../logger.ts';
import type { MxMetrics, MxUpstream } from './mx-metrics.ts';
import type { WindowCounter } from '../store/rate-limit-repo.ts';

/** The budget is counted per lease period, across every container. */
export const LEASE_MS = 5_000;
/** An app's call waits at most this long for the next period's calls; longer, it is refused with the time to wait. */
export const MAX_BUDGET_WAIT_MS = 2_000;
/**
 * Queued work waits for the next period, however far (a period at most): refused, a member report would go back to
 * its queue for half a minute or more, as if MX had failed.
 */
export const QUEUED_BUDGET_WAIT_MS = LEASE_MS;

const MIN_LEASE = 8;
/**
 * Calls a container may spend in a period without a lease, while the table fails: a blip does not stop the relay, and
 * a table down for long lets through at most this many per container a period, never the whole lease it asked for.
 */
export const UNLEASED_RESERVE = MIN_LEASE;
/** No container leases more than this share of a period's calls at once, so a burst in one leaves some for the rest. */
const MAX_LEASE_SHARE = 1 / 4;
/** A pace is taken over this much of a period at least: a period's first few calls are not a pace. */
const MIN_PACE_WINDOW_MS = 1_000;
const COUNTER_RETENTION_SECONDS = 60;
/**
 * A period's calls are split over counter items of at most this many each: leases of 8 calls at least keep an item
 * under 5,000 ÷ 8 ÷ 5 s = 125 writes a second, an eighth of a DynamoDB partition's 1,000, whatever the budget.
 */
export const CALLS_PER_COUNTER = 5_000;
/**
 * The part of each period's calls queued work (poll steps, member reports, the reconcile, refresh requests) leaves to
 * what apps ask over HTTP: after an outage the backlog drains at the rest, and an app's refresh or read still goes.
 */
export const APP_SHARE = 0.2;

/** `app`: a call an app waits for over HTTP; `queued`: work waiting on a queue, which may wait longer. */
export type BudgetPriority = 'app' | 'queued';

/** One table item counting what containers leased of a period: `calls` at most. */
interface Counter {
  name: string;
  calls: number;
}

/** `calls` over items of at most CALLS_PER_COUNTER: `name`, `name/1`, … */
function pool(name: string, calls: number): Counter[] {
  const count = Math.max(1, Math.ceil(calls / CALLS_PER_COUNTER));
  return Array.from({ length: count }, (_, i) => ({
    name: i === 0 ? name : `${name}/${i}`,
    calls: Math.floor(calls / count) + (i < calls % count ? 1 : 0),
  }));
}

export interface MxCallBudgetOptions {
  /** Shared by every container of every function. */
  counter: WindowCounter;
  /** The MX host it budgets: one budget per host (its counters `mx-calls:mx-data`, …), so one host failing starves no other. */
  upstream: MxUpstream;
  /** For all functions together, on average over a lease period. */
  perSecond: number;
  /** Which counter a container leases from first (tests fix it); others follow when it runs dry. */
  random?: () => number;
  /** `app` (the default) leases from the shared part of a period, then from apps' own part; `queued` from the shared only. */
  priority?: BudgetPriority;
  clock: Clock;
  log: Log;
  metrics: MxMetrics;
  sleep?: (ms: number) => Promise<void>;
}

/** The period's calls are spent and the next period starts later than the call may wait. */
export class MxBudgetSpent extends Error {
  readonly code = 'MX_BUDGET_SPENT';
  constructor(readonly retryAfterMs: number) {
    super(`The MX call budget is spent until the next period, in ${Math.ceil(retryAfterMs / 1000)} s`);
    this.name = 'MxBudgetSpent';
  }
}

/**
 * One budget of calls to one MX host shared by every function, with no table write per call: a container leases blocks of
 * the period's calls, each what the rest of the period takes at its pace, and spends them from memory (decision 0022).
 * Unspent calls lapse: the budget is a ceiling.
 *
 * @example
 * const budget = new MxCallBudget({ counter: new RateLimitRepository(table), upstream: 'mx-data', perSecond: 100, clock, log, metrics });
 * await budget.take(); // throws MxBudgetSpent when the wait would be longer than its priority's (2 s for an app's call)
 */
export class MxCallBudget {
  readonly perPeriod: number;
  /** Whose calls it counts: an app's over HTTP, or queued work. */
  readonly priority: BudgetPriority;
  /** The MX host whose calls it counts. */
  readonly upstream: MxUpstream;
  readonly #options: MxCallBudgetOptions;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #maxLease: number;
  #period = Number.NaN;
  #left = 0;
  #spent = 0;
  #spentBefore = 0;
  /** Spent this period without a lease: at most UNLEASED_RESERVE. */
  #unleased = 0;
  /** The period's calls are all leased. */
  #drained = false;
  /** The counters it leases from, in order, each with its calls a period; the ones this container found spent. */
  readonly #pools: readonly (readonly Counter[])[];
  readonly #dry = new Set<string>();
  #leasing: Promise<void> | undefined;

  constructor(options: MxCallBudgetOptions) {
    this.#options = options;
    this.#sleep = options.sleep ?? ((ms) => sleep(ms));
    this.priority = options.priority ?? 'app';
    this.upstream = options.upstream;
    this.perPeriod = Math.round((options.perSecond * LEASE_MS) / 1000);
    const forApps = Math.floor(this.perPeriod * APP_SHARE);
    const name = `mx-calls:${options.upstream}`;
    const shared = pool(name, this.perPeriod - forApps);
    // An app's calls come from the shared part while it lasts, then from apps' own: queued work can never take that.
    this.#pools = this.priority === 'queued' ? [shared] : [shared, pool(`${name}:app`, forApps)];
    this.#maxLease = Math.max(1, Math.floor(Math.min(this.perPeriod * MAX_LEASE_SHARE, CALLS_PER_COUNTER)));
  }

  /** The counters this container leases from. */
  get counters(): number {
    return this.#pools.reduce((sum, counters) => sum + counters.length, 0);
  }

  /** Spends one attempt, leasing more or waiting for the next period as needed. */
  async take(): Promise<void> {
    const { clock, metrics } = this.#options;
    const maxWaitMs = this.priority === 'queued' ? QUEUED_BUDGET_WAIT_MS : MAX_BUDGET_WAIT_MS;
    const startedAt = clock.now();
    let waited = false;
    for (;;) {
      const now = clock.now();
      this.#roll(now);
      if (this.#left > 0) {
        this.#left -= 1;
        this.#spent += 1;
        const waitedMs = clock.now() - startedAt;
        if (waitedMs >= 1) metrics.add('MxBudgetWait', waitedMs, {});
        return;
      }
      if (!this.#drained) {
        this.#leasing ??= this.#lease().finally(() => (this.#leasing = undefined));
        await this.#leasing;
        continue;
      }
      const waitMs = (this.#period + 1) * LEASE_MS - now;
      // One wait at most: a clock that did not move refuses rather than waits again.
      if (waited || now - startedAt + waitMs > maxWaitMs) {
        metrics.add('MxBudgetRefusals', 1, { upstream: this.upstream });
        throw new MxBudgetSpent(waitMs);
      }
      waited = true;
      await this.#sleep(waitMs);
    }
  }

  #roll(now: number): void {
    const period = Math.floor(now / LEASE_MS);
    if (period === this.#period) return;
    this.#spentBefore = period === this.#period + 1 ? this.#spent : 0;
    this.#period = period;
    this.#left = 0;
    this.#spent = 0;
    this.#unleased = 0;
    this.#dry.clear();
    this.#drained = false;
  }

  /**
   * Leases from one counter, then the next while one runs dry, until the block is granted or every counter is spent.
   * Should the table fail, the container spends from its small reserve: a table failure slows MX calls, never unbounds them.
   */
  async #lease(): Promise<void> {
    const { counter, log, metrics, upstream, random = Math.random } = this.#options;
    const period = this.#period;
    const periodStart = period * LEASE_MS;
    const now = this.#options.clock.now();
    // What the rest of the period takes at this container's pace: the last period's, or this one's so far if faster.
    // A lease any bigger lapses unspent, and leaves other containers waiting for calls nobody sends.
    const pace = Math.max(this.#spentBefore / LEASE_MS, this.#spent / Math.max(now - periodStart, MIN_PACE_WINDOW_MS));
    const wanted = Math.min(this.#maxLease, Math.max(MIN_LEASE, Math.ceil(pace * (periodStart + LEASE_MS - now))));
    const expiresAt = toEpochSeconds(periodStart + LEASE_MS) + COUNTER_RETENTION_SECONDS;
    let granted = 0;
    try {
      for (const counters of this.#pools) {
        let at = Math.floor(random() * counters.length);
        for (let tried = 0; tried < counters.length && granted < wanted; tried += 1, at = (at + 1) % counters.length) {
          const { name: item, calls } = counters[at]!;
          if (this.#dry.has(item)) continue;
          const ask = wanted - granted;
          const first = await counter.take(item, periodStart, ask, expiresAt);
          if (period !== this.#period) return; // the period went by while the counter answered
          const got = Math.max(0, Math.min(ask, calls - first));
          if (got < ask) this.#dry.add(item);
          granted += got;
        }
      }
      metrics.add('MxBudgetLeases', 1, { upstream, outcome: granted === wanted ? 'granted' : 'short' });
    } catch (error) {
      const reserve = Math.max(0, Math.min(wanted - granted, UNLEASED_RESERVE - this.#unleased));
      granted += reserve;
      metrics.add('MxBudgetLeases', 1, { upstream, outcome: 'failed' });
      log.warn('mx budget: the lease failed; spending from the reserve', { error, upstream, granted: reserve });
      if (period === this.#period) this.#unleased += reserve;
      if (period === this.#period && this.#unleased >= UNLEASED_RESERVE) this.#drained = true;
    }
    if (period !== this.#period) return; // the period went by while the counter answered
    this.#left += granted;
    if (this.#dry.size === this.counters) this.#drained = true;
  }
}
