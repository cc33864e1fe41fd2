interface SimStats {
  calls: Record<string, number>;
  paths: string[];
}

/**
 * Every raw request target the MX simulator receives, read from `GET /_sim/stats` while a test runs. The simulator
 * keeps only its latest 1000 targets but counts every call, so a poll knows exactly how many targets are new and
 * fails, rather than missing some, if more arrived than the simulator still holds.
 */
export class MxPathWatch {
  readonly paths: string[] = [];
  #counted = 0;
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> = Promise.resolve();
  #failure: Error | undefined;

  constructor(private readonly simulatorUrl: string) {}

  async start(everyMs: number): Promise<void> {
    await fetch(`${this.simulatorUrl}/_sim/reset`, { method: 'POST' });
    const tick = () => {
      this.#timer = setTimeout(() => {
        this.#polling = this.poll().then(tick, (error: Error) => {
          this.#failure = error;
        });
      }, everyMs);
    };
    tick();
  }

  /** Stops polling after one last read; throws what went wrong while polling. */
  async stop(): Promise<string[]> {
    clearTimeout(this.#timer);
    await this.#polling;
    clearTimeout(this.#timer);
    await this.poll();
    if (this.#failure) throw this.#failure;
    return this.paths;
  }

  async poll(): Promise<void> {
    const stats = (await (await fetch(`${this.simulatorUrl}/_sim/stats`)).json()) as SimStats;
    const total = Object.values(stats.calls).reduce((sum, count) => sum + count, 0);
    const fresh = total - this.#counted;
    if (fresh > stats.paths.length)
      throw new Error(`${fresh - stats.paths.length} MX request targets went unseen: poll more often`);
    this.paths.push(...stats.paths.slice(stats.paths.length - fresh));
    this.#counted = total;
  }
}
