import { setImmediate as nextTurn } from 'node:timers/promises';
import { ManualClock } from '../../lib/clock.ts';
import type { Timer } from '../../lib/mx/deadline.ts';
import { MinHeap } from './min-heap.ts';

interface Due {
  at: number;
  seq: number;
  run: () => void;
}

/**
 * Simulated time for async code: `sleep` resolves when the run reaches its moment, and the run moves on only once
 * every continuation it woke has gone as far as it can (a macrotask turn drains the microtasks). Hours go by in
 * seconds, in the same order each run (ties in the order they were scheduled).
 */
export class VirtualTime {
  readonly clock: ManualClock;
  /** For RetryPolicy and Deadline: the same simulated time. */
  readonly timer: Timer;
  readonly #heap = new MinHeap<Due>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));
  #seq = 0;

  constructor(start: number) {
    this.clock = new ManualClock(start);
    this.timer = { now: () => this.clock.now(), sleep: (ms) => this.sleep(ms) };
  }

  now(): number {
    return this.clock.now();
  }

  /** Runs `run` at `at` (now, if that is past). */
  at(at: number, run: () => void): void {
    this.#heap.push({ at: Math.max(at, this.clock.now()), seq: this.#seq++, run });
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.at(this.clock.now() + Math.max(0, ms), resolve));
  }

  /**
   * Moves time on until `until`, or until `stop` says so after a moment; what is due later stays due. With a `stepMs`,
   * what falls due within one step goes on together, its continuations reading the step's last moment: a run many
   * times faster, each wait up to a step longer.
   */
  async run(until: number, stop: () => boolean = () => false, stepMs = 0): Promise<void> {
    for (let next = this.#heap.peek(); next !== undefined && next.at <= until; next = this.#heap.peek()) {
      const last = Math.min(until, next.at + stepMs);
      for (let due: Due | undefined = next; due !== undefined && due.at <= last; due = this.#heap.peek()) {
        this.clock.set(due.at);
        this.#heap.pop()!.run();
      }
      await nextTurn();
      if (stop()) return;
    }
    if (this.clock.now() < until) this.clock.set(until);
  }
}
