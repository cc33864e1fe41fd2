const RECENT_PATHS_KEPT = 1000;

/**
 * What reached the MX side: calls per `<METHOD> <route pattern>`, the same per member (for routes naming an existing
 * member, so bounded by the members the simulator holds), and the most recent raw request targets.
 */
export class CallStats {
  readonly #calls = new Map<string, number>();
  readonly #memberCalls = new Map<string, Map<string, number>>();
  readonly #recentPaths: string[] = [];

  record(routeKey: string, rawPath: string, memberGuid?: string): void {
    this.#calls.set(routeKey, (this.#calls.get(routeKey) ?? 0) + 1);
    if (memberGuid !== undefined) {
      let calls = this.#memberCalls.get(memberGuid);
      if (!calls) this.#memberCalls.set(memberGuid, (calls = new Map()));
      calls.set(routeKey, (calls.get(routeKey) ?? 0) + 1);
    }
    this.#recentPaths.push(rawPath);
    if (this.#recentPaths.length > RECENT_PATHS_KEPT) this.#recentPaths.shift();
  }

  snapshot(): { calls: Record<string, number>; paths: string[] } {
    return { calls: Object.fromEntries(this.#calls), paths: [...this.#recentPaths] };
  }

  /** Calls by route pattern for each member that routes named, e.g. `{"MBR-1": {"GET /members/{member_guid}": 3}}`. */
  memberSnapshot(): { members: Record<string, Record<string, number>> } {
    return {
      members: Object.fromEntries([...this.#memberCalls].map(([guid, calls]) => [guid, Object.fromEntries(calls)])),
    };
  }

  reset(): void {
    this.#calls.clear();
    this.#memberCalls.clear();
    this.#recentPaths.length = 0;
  }
}
