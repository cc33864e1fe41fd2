import { MinHeap } from './min-heap.ts';
import type { MxContainer } from './mx-container.ts';
import type { VirtualTime } from './virtual-time.ts';

/** A function's containers: a warm idle one takes the next request, a new one starts up to the function's limit. */
export class ContainerPool {
  readonly all: MxContainer[] = [];
  readonly #idle: MxContainer[] = [];

  constructor(
    private readonly make: () => MxContainer,
    readonly limit: number,
  ) {}

  acquire(): MxContainer | undefined {
    const idle = this.#idle.pop();
    if (idle || this.all.length >= this.limit) return idle;
    const made = this.make();
    this.all.push(made);
    return made;
  }

  release(container: MxContainer): void {
    this.#idle.push(container);
  }

  get busy(): number {
    return this.all.length - this.#idle.length;
  }
}

/** Lambda hands SQS messages over in batches of ten (prod's event sources). */
export const BATCH_SIZE = 10;
/**
 * Messages become visible on the next tenth of a second after their delay: a million waiting messages cost a list
 * each tenth, not a heap of a million (SQS orders nothing within that, nor much beyond).
 */
const SLOT_MS = 100;

/**
 * An SQS queue and its Lambda event source as deployed: each message hidden until its delay is over, then handed in
 * batches of ten to at most the pool's limit of containers, one batch a container at a time.
 */
export class SimulatedQueue<M> {
  readonly #slots = new Map<number, M[]>();
  readonly #due = new MinHeap<number>((a, b) => a < b);
  #depth = 0;
  #pumpAt = Number.POSITIVE_INFINITY;

  constructor(
    private readonly time: VirtualTime,
    readonly pool: ContainerPool,
    /** Handles one batch in one container; never rejects (what failed is sent again by the handler). */
    private readonly handle: (container: MxContainer, batch: M[]) => Promise<void>,
  ) {}

  /** Messages waiting, visible or not (those in a batch being handled are not counted). */
  get depth(): number {
    return this.#depth;
  }

  send(message: M, visibleAt: number): void {
    const slot = Math.ceil(visibleAt / SLOT_MS);
    let waiting = this.#slots.get(slot);
    if (!waiting) {
      this.#slots.set(slot, (waiting = []));
      this.#due.push(slot);
    }
    waiting.push(message);
    this.#depth++;
    this.#wake(slot * SLOT_MS);
  }

  #wake(at: number): void {
    if (at >= this.#pumpAt) return;
    this.#pumpAt = at;
    this.time.at(at, () => {
      if (this.#pumpAt === at) this.#pumpAt = Number.POSITIVE_INFINITY;
      this.#pump();
    });
  }

  /** Up to a batch of what is visible now. */
  #visible(now: number): M[] {
    const batch: M[] = [];
    for (let slot = this.#due.peek(); slot !== undefined && slot * SLOT_MS <= now; slot = this.#due.peek()) {
      const waiting = this.#slots.get(slot)!;
      while (batch.length < BATCH_SIZE && waiting.length > 0) batch.push(waiting.pop()!);
      if (waiting.length === 0) {
        this.#slots.delete(slot);
        this.#due.pop();
      }
      if (batch.length === BATCH_SIZE) break;
    }
    this.#depth -= batch.length;
    return batch;
  }

  #pump(): void {
    const now = this.time.now();
    for (let slot = this.#due.peek(); slot !== undefined && slot * SLOT_MS <= now; slot = this.#due.peek()) {
      const container = this.pool.acquire();
      if (!container) return; // a container handing back its batch pumps again
      const batch = this.#visible(now);
      void this.handle(container, batch).then(() => {
        this.pool.release(container);
        this.#pump();
      });
    }
    const next = this.#due.peek();
    if (next !== undefined) this.#wake(next * SLOT_MS);
  }
}
