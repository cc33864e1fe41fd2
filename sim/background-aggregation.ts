import { HOUR_MS } from './calendar.ts';
import type { Clock } from './clock.ts';
import type { ConnectionStatusName } from './connection-statuses.ts';
import type { GuidFactory } from './identifiers.ts';
import { type MemberRegistry, type SimMember, mayAggregate, memberStateAt, startAggregation, throttledAt } from './members.ts';
import type { TransactionLedger } from './transaction-ledger.ts';
import type { WebhookPusher } from './webhook-pusher.ts';

/** MX's background aggregation leaves a member alone when it was aggregated in the last 20 hours (reference §8). */
export const BACKGROUND_SKIP_MS = 20 * HOUR_MS;

/** The statuses MX aggregates in the background (reference §8). A member never aggregated reads CONNECTED here. */
const BACKGROUND_STATUSES: readonly ConnectionStatusName[] = ['CONNECTED', 'CREATED', 'UPDATED'];

/**
 * Whether a background round at `now`, run every `intervalMs`, aggregates the member: one MX may aggregate (its use
 * cases), CONNECTED (or CREATED, UPDATED), not aggregating, not aggregated (a run started) within the last
 * min(20 h, interval), and not inside MX's throttle window after its last success (`throttleMs`, 0 = none).
 */
export function dueForBackgroundAggregation(
  member: SimMember,
  now: number,
  { intervalMs, throttleMs }: { intervalMs: number; throttleMs: number },
): boolean {
  if (intervalMs <= 0 || !mayAggregate(member)) return false;
  const state = memberStateAt(member, now);
  if (state.isBeingAggregated || !BACKGROUND_STATUSES.includes(state.status)) return false;
  if (state.aggregatedAt !== null && now - state.aggregatedAt < Math.min(BACKGROUND_SKIP_MS, intervalMs)) return false;
  return !throttledAt(member, now, throttleMs);
}

export type BackgroundStart = 'started' | 'already-running' | 'not-aggregatable';

export interface BackgroundAggregationOptions {
  clock: Clock;
  members: MemberRegistry;
  newGuid: GuidFactory;
  /** Settled before a run starts, so the run it replaces has changed the transactions it was scripted to. */
  transactions: TransactionLedger;
  /** Told of each run started, to push its webhook when it ends. */
  webhooks: WebhookPusher;
  /** True: rounds run on real timers (system clock). False: only `runDue()` runs them (a ManualClock). */
  realTimers: boolean;
  /** Aborted when the simulator closes: the timer is cleared. */
  shutdown: AbortSignal;
  /** MX's throttle window as set at the moment of a round, in ms (0: none). */
  throttleMs: () => number;
}

/**
 * MX's own aggregations: a run started on demand (`start`, the control API) or, every interval, a round that starts
 * one for each member due (`dueForBackgroundAggregation`). Such runs follow the member's script like an aggregate
 * call's (a new job, the transactions it changes, the webhook at its end) and are marked background; they are no
 * MX-side call, so the call stats never see them.
 */
export class BackgroundAggregation {
  #intervalMs = 0;
  #nextRoundAt: number | null = null;
  #timer?: NodeJS.Timeout;

  constructor(private readonly options: BackgroundAggregationOptions) {
    options.shutdown.addEventListener('abort', () => clearTimeout(this.#timer), { once: true });
  }

  /** Starts a background run of the member now, unless one is running or MX may not aggregate it (its use cases). */
  start(member: SimMember): BackgroundStart {
    if (!mayAggregate(member)) return 'not-aggregatable';
    const now = this.options.clock.now();
    this.options.transactions.settle(now);
    const outcome = startAggregation(member, now, this.options.newGuid, { background: true });
    if (outcome === 'started') this.options.webhooks.runChanged(member);
    return outcome === 'busy' ? 'already-running' : outcome;
  }

  /**
   * Sets the interval between rounds (0: no rounds). A new interval restarts the schedule: the first round comes
   * one interval from now.
   */
  configure(intervalMs: number): void {
    if (intervalMs === this.#intervalMs) return;
    clearTimeout(this.#timer);
    this.#intervalMs = intervalMs;
    this.#nextRoundAt = intervalMs > 0 ? this.options.clock.now() + intervalMs : null;
    if (this.options.realTimers) this.#arm();
  }

  /**
   * Runs the round due at the clock's now, if one is (a single round however many intervals passed); returns the
   * members it started. How rounds happen under a ManualClock.
   */
  runDue(): string[] {
    const now = this.options.clock.now();
    if (this.#nextRoundAt === null || now < this.#nextRoundAt || this.options.shutdown.aborted) return [];
    const intervals = Math.floor((now - this.#nextRoundAt) / this.#intervalMs) + 1;
    this.#nextRoundAt += intervals * this.#intervalMs;
    const timing = { intervalMs: this.#intervalMs, throttleMs: this.options.throttleMs() };
    const due = this.options.members.all().filter((member) => dueForBackgroundAggregation(member, now, timing));
    for (const member of due) this.start(member);
    return due.map((member) => member.guid);
  }

  /** A timer for the next round (unref'd: it never holds the process open), re-armed after each. */
  #arm(): void {
    if (this.#nextRoundAt === null || this.options.shutdown.aborted) return;
    const wait = Math.max(0, this.#nextRoundAt - this.options.clock.now());
    this.#timer = setTimeout(() => {
      this.runDue();
      this.#arm();
    }, wait);
    this.#timer.unref();
  }
}
