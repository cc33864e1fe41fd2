import { APP_SHARE, CALLS_PER_COUNTER, LEASE_MS } from '../../lib/mx/call-budget.ts';
import type { WindowCounter } from '../../lib/store/rate-limit-repo.ts';

interface Period {
  /** Counter writes (one a lease asked of an item), the containers that leased, the attempts sent (queued work's apart). */
  writes: number;
  leasers: Set<number>;
  sent: number;
  queuedSent: number;
}

/** What the budget did over some periods. */
export interface BudgetTotals {
  /** Calls containers leased (each counter item's takes, up to its calls) and attempts sent: the rest lapsed. */
  leased: number;
  sent: number;
  queuedSent: number;
  writes: number;
  /** A container leasing in a period, counted once a period. */
  leasers: number;
  busiestPeriod: number;
}

/**
 * The budget's table counters in memory (an ADD answering the count before it, as RateLimitRepository's), and what each
 * period leased, sent and wrote.
 */
export class BudgetLedger implements WindowCounter {
  readonly #taken = new Map<string, number>();
  readonly #periods = new Map<number, Period>();
  readonly #items: { name: string; calls: number }[];

  constructor(name: string, perSecond: number) {
    const periodCalls = Math.round((perSecond * LEASE_MS) / 1000);
    const forApps = Math.floor(periodCalls * APP_SHARE);
    // The items call-budget.ts splits a period over: the shared part's, then apps' own.
    this.#items = [...itemsOf(name, periodCalls - forApps), ...itemsOf(`${name}:app`, forApps)];
  }

  async take(name: string, windowStartMs: number, count: number): Promise<number> {
    const key = `${name}#${windowStartMs}`;
    const before = this.#taken.get(key) ?? 0;
    this.#taken.set(key, before + count);
    this.#period(windowStartMs).writes++;
    return before;
  }

  leased(containerId: number, at: number): void {
    this.#period(at).leasers.add(containerId);
  }

  sent(queued: boolean, at: number): void {
    const period = this.#period(at);
    period.sent++;
    if (queued) period.queuedSent++;
  }

  /** The periods starting in [from, to]. */
  over(from: number, to: number): BudgetTotals {
    const totals: BudgetTotals = { leased: 0, sent: 0, queuedSent: 0, writes: 0, leasers: 0, busiestPeriod: 0 };
    for (const [index, period] of this.#periods) {
      const start = index * LEASE_MS;
      if (start < from || start > to) continue;
      totals.leased += this.#items.reduce(
        (n, item) => n + Math.min(item.calls, this.#taken.get(`${item.name}#${start}`) ?? 0),
        0,
      );
      totals.sent += period.sent;
      totals.queuedSent += period.queuedSent;
      totals.writes += period.writes;
      totals.leasers += period.leasers.size;
      totals.busiestPeriod = Math.max(totals.busiestPeriod, period.sent);
    }
    return totals;
  }

  #period(at: number): Period {
    const index = Math.floor(at / LEASE_MS);
    let period = this.#periods.get(index);
    if (!period) this.#periods.set(index, (period = { writes: 0, leasers: new Set(), sent: 0, queuedSent: 0 }));
    return period;
  }
}

/** `calls` over items of at most CALLS_PER_COUNTER, as call-budget.ts names them: `name`, `name/1`, … */
function itemsOf(name: string, calls: number): { name: string; calls: number }[] {
  const count = Math.max(1, Math.ceil(calls / CALLS_PER_COUNTER));
  return Array.from({ length: count }, (_, i) => ({
    name: i === 0 ? name : `${name}/${i}`,
    calls: Math.floor(calls / count) + (i < calls % count ? 1 : 0),
  }));
}
