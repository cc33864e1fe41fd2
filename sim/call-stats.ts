const RECENT_PATHS_KEPT = 1000;

/**
 * What reached the MX side: calls per `<METHOD> <route pattern>`, the same per member (for routes naming an existing
 * member, so bounded by the members the simulator holds), the most recent raw request targets, and the aggregations
 * sessions started (a session opened without `skip_aggregation` aggregates every member of its user).
 */
export class CallStats {
  readonly #calls = new Map<string, number>();
  readonly #memberCalls = new Map<string, Map<string, number>>();
  readonly #recentPaths: string[] = [];
  #sessionAggregations = 0;

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

  sessionAggregationStarted(): void {
    this.#sessionAggregations += 1;
  }

  snapshot(): { calls: Record<string, number>; paths: string[]; aggregations_started_by_sessions: number } {
    return {
      calls: Object.fromEntries(this.#calls),
      paths: [...this.#recentPaths],
      aggregations_started_by_sessions: this.#sessionAggregations,
    };
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
    this.#sessionAggregations = 0;
  }
}
