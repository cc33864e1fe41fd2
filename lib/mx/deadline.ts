import { setTimeout as sleep } from 'node:timers/promises';

/** Elapsed time for budgets and latencies: monotonic, unlike the wall clock. */
export interface Timer {
  /** Milliseconds from an arbitrary origin. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const monotonicTimer: Timer = {
  now: () => performance.now(),
  sleep: async (ms) => {
    await sleep(ms);
  },
};

/** The point in time by which one logical MX call, all its attempts and waits included, must be over. */
export class Deadline {
  readonly #timer: Timer;
  readonly #at: number;

  constructor(timer: Timer, budgetMs: number) {
    this.#timer = timer;
    this.#at = timer.now() + budgetMs;
  }

  remainingMs(): number {
    return this.#at - this.#timer.now();
  }

  /** A deadline `ms` from now, no later than this one. */
  within(ms: number): Deadline {
    return new Deadline(this.#timer, Math.min(ms, this.remainingMs()));
  }
}
