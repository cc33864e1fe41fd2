import { AsyncLocalStorage } from 'node:async_hooks';

/** A worker dying part-way through a record: its effects so far stay, the rest never happens. */
export class WorkerCrash extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerCrash';
  }
}

interface RecordRun {
  /** The worker dies right after this many calls into wrapped dependencies have completed (none: it survives). */
  crashAfterCalls?: number;
  calls: number;
  crashed: boolean;
}

/**
 * Kills a worker mid-record. `run` handles one record with a plan; every dependency passed through `wrap` counts as
 * one step of that record: the call that reaches the planned number completes (its effect is real), then the worker
 * "dies" — that call and every later one in the record throw WorkerCrash. Records run concurrently, each with its
 * own plan (AsyncLocalStorage).
 */
export class CrashInjector {
  readonly #current = new AsyncLocalStorage<RecordRun>();
  /** Records that died mid-way (after at least one effect). */
  crashes = 0;

  run<T>(crashAfterCalls: number | undefined, work: () => Promise<T>): Promise<T> {
    return this.#current.run({ crashAfterCalls, calls: 0, crashed: false }, work);
  }

  /** `target` with each method wrapped as one crashable step. Only for objects whose methods all return promises. */
  wrap<T extends object>(target: T): T {
    return new Proxy(target, {
      get: (object, name) => {
        const value: unknown = Reflect.get(object, name, object);
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          const run = this.#current.getStore();
          if (run?.crashed) throw new WorkerCrash('the worker is dead');
          const result: unknown = await value.apply(object, args);
          if (run && run.crashAfterCalls !== undefined && ++run.calls === run.crashAfterCalls) {
            run.crashed = true;
            this.crashes += 1;
            throw new WorkerCrash(`died after ${String(name)}`);
          }
          return result;
        };
      },
    });
  }
}
