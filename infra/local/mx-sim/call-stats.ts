const RECENT_PATHS_KEPT = 1000;

/** What reached the MX side: calls per `<METHOD> <route pattern>`, and the most recent raw request targets. */
export class CallStats {
  readonly #calls = new Map<string, number>();
  readonly #recentPaths: string[] = [];

  record(routeKey: string, rawPath: string): void {
    this.#calls.set(routeKey, (this.#calls.get(routeKey) ?? 0) + 1);
    this.#recentPaths.push(rawPath);
    if (this.#recentPaths.length > RECENT_PATHS_KEPT) this.#recentPaths.shift();
  }

  snapshot(): { calls: Record<string, number>; paths: string[] } {
    return { calls: Object.fromEntries(this.#calls), paths: [...this.#recentPaths] };
  }

  reset(): void {
    this.#calls.clear();
    this.#recentPaths.length = 0;
  }
}
