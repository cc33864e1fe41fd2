import { setTimeout as sleep } from 'node:timers/promises';
import { type Clock, toEpochSeconds } from '../clock.ts';
import { NexusRelayError } from '../errors.ts';
import type { WindowCounter } from '../store/rate-limit-repo.ts';

/** Room between a permit's slot and MX receiving the call (late wake-ups, transit, clock skew). */
export const ARRIVAL_ALLOWANCE_MS = 200;
/** A caller waking later than this after its slot gives the permit up, keeping half the allowance for the call. */
export const MAX_LATENESS_MS = ARRIVAL_ALLOWANCE_MS / 2;
/** How many windows ahead a caller may be given a slot; past them it is refused. */
export const LOOKAHEAD_WINDOWS = 2;
/** Slots a caller may miss by waking late before it is refused. */
export const MAX_ATTEMPTS = 2;
const COUNTER_RETENTION_SECONDS = 60;

export class RateLimitExceededError extends NexusRelayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('RATE_LIMIT_EXCEEDED', message, options);
    this.name = 'RateLimitExceededError';
  }
}

/** Whether `error`, or anything that caused it, is a refused permit. */
export function isRateLimited(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof RateLimitExceededError) return true;
  }
  return false;
}

export interface RateLimiterOptions {
  counter: WindowCounter;
  /** Names the counters: limiters with different names do not share a cap. */
  name: string;
  perSecond: number;
  clock: Clock;
  sleep?: (ms: number) => Promise<void>;
}

interface Waiter {
  resolve(slotAt: number): void;
  reject(error: unknown): void;
}

/**
 * At most `perSecond` permits in any one-second span, across containers. Permits are evenly spaced slots in windows of a
 * second plus the allowance, so any `perSecond + 1` span more than a second (a counter per second alone would let twice
 * the cap through across a boundary). A container's waiters share one counter update per window.
 */
export class RateLimiter {
  readonly windowMs: number;
  readonly slotMs: number;
  /** The longest `acquire` waits for its slots, beyond the counter's own answers. */
  readonly maxWaitMs: number;
  readonly #options: RateLimiterOptions;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #waiting: Waiter[] = [];
  #reserving = false;

  constructor(options: RateLimiterOptions) {
    this.#options = options;
    this.#sleep = options.sleep ?? ((ms) => sleep(ms));
    this.windowMs = 1000 + ARRIVAL_ALLOWANCE_MS;
    this.slotMs = this.windowMs / options.perSecond;
    this.maxWaitMs = MAX_ATTEMPTS * (LOOKAHEAD_WINDOWS + 1) * this.windowMs;
  }

  /** Waits for a permit's slot; a caller that wakes too late gives it up and asks again. Throws when the windows are full. */
  async acquire(): Promise<void> {
    const { clock, name } = this.#options;
    for (let attempt = 1; ; attempt += 1) {
      const slotAt = await new Promise<number>((resolve, reject) => {
        this.#waiting.push({ resolve, reject });
        void this.#serveWaiting();
      });
      const waitMs = slotAt - clock.now();
      if (waitMs > 0) await this.#sleep(waitMs);
      if (clock.now() <= slotAt + MAX_LATENESS_MS) return;
      if (attempt === MAX_ATTEMPTS) throw new RateLimitExceededError(`${name}: woke too late for its slot ${attempt} times`);
    }
  }

  /** One reservation at a time: callers arriving meanwhile are served together by the next. */
  async #serveWaiting(): Promise<void> {
    if (this.#reserving) return;
    this.#reserving = true;
    try {
      while (this.#waiting.length > 0) {
        const waiters = this.#waiting.splice(0);
        let slots: number[];
        try {
          slots = await this.#reserve(waiters.length);
        } catch (error) {
          for (const waiter of waiters) waiter.reject(error);
          continue;
        }
        const full = new RateLimitExceededError(`${this.#options.name}: the next ${LOOKAHEAD_WINDOWS} windows are full`);
        waiters.forEach((waiter, i) => (i < slots.length ? waiter.resolve(slots[i]!) : waiter.reject(full)));
      }
    } finally {
      this.#reserving = false;
    }
  }

  async #reserve(wanted: number): Promise<number[]> {
    const { counter, name, perSecond, clock } = this.#options;
    const slots: number[] = [];
    const nextWindow = Math.floor(clock.now() / this.windowMs) + 1;
    for (let window = nextWindow; window < nextWindow + LOOKAHEAD_WINDOWS && slots.length < wanted; window += 1) {
      const windowStart = window * this.windowMs;
      const count = Math.min(wanted - slots.length, perSecond);
      const expiresAt = toEpochSeconds(windowStart + this.windowMs) + COUNTER_RETENTION_SECONDS;
      const first = await counter.take(name, windowStart, count, expiresAt);
      const now = clock.now();
      for (let index = first; index < Math.min(first + count, perSecond); index += 1) {
        const slotAt = windowStart + index * this.slotMs;
        // A slot that went by while the counter answered is lost: using it late could crowd the next second.
        if (slotAt >= now) slots.push(slotAt);
      }
    }
    return slots;
  }
}
