/** The least a straggler waits for its answer, once the rest of its batch is done, before it is given up. */
export const STRAGGLER_MIN_MS = 250;
/** ...or this many times the slowest answer its batch-mates had, when that is longer. */
const STRAGGLER_FACTOR = 4;

/**
 * A batch ends with its last record, so an attempt still waiting once every other record is done holds the whole
 * container: it is given up, unless its endpoint answered another attempt of the batch (the wait is load, not the endpoint).
 *
 * @example
 * const stragglers = new BatchStragglers();
 * await stragglers.run(() => stragglers.answer(webhook.id, (giveUp) => sender.send(request, { patienceMs, giveUp })));
 */
export class BatchStragglers {
  #running = 0;
  #finished = 0;
  #slowestAnswerMs = 0;
  readonly #answered = new Set<string>();
  readonly #waiting = new Map<AbortController, { endpoint: string; startedAt: number }>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  async run<T>(work: () => Promise<T>): Promise<T> {
    this.#running++;
    try {
      return await work();
    } finally {
      this.#running--;
      this.#finished++;
      if (this.#running === 0) this.#reset();
      else this.#check();
    }
  }

  /** `send` gets the signal that gives it up. */
  async answer<T extends { latencyMs: number; slow?: true }>(
    endpoint: string,
    send: (giveUp: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const controller = new AbortController();
    this.#waiting.set(controller, { endpoint, startedAt: performance.now() });
    try {
      const outcome = await send(controller.signal);
      if (!outcome.slow) {
        this.#slowestAnswerMs = Math.max(this.#slowestAnswerMs, outcome.latencyMs);
        this.#answered.add(endpoint);
      }
      return outcome;
    } finally {
      this.#waiting.delete(controller);
      this.#check();
    }
  }

  #check(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    // Only when every running record waits for an answer, and some record is done.
    if (this.#waiting.size === 0 || this.#waiting.size < this.#running || this.#finished === 0) return;
    const after = Math.max(STRAGGLER_MIN_MS, STRAGGLER_FACTOR * this.#slowestAnswerMs);
    const now = performance.now();
    let next = Number.POSITIVE_INFINITY;
    for (const [controller, { endpoint, startedAt }] of this.#waiting) {
      if (this.#answered.has(endpoint)) continue;
      if (now - startedAt >= after) controller.abort();
      else next = Math.min(next, startedAt + after);
    }
    if (next !== Number.POSITIVE_INFINITY) this.#timer = setTimeout(() => this.#check(), next - now);
  }

  #reset(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#finished = 0;
    this.#slowestAnswerMs = 0;
    this.#answered.clear();
  }
}
