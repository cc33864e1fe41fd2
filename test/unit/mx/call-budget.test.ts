import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { silentLog } from '../../../lib/logger.ts';
import type { MetricsSink } from '../../../lib/metrics.ts';
import {
  CALLS_PER_COUNTER,
  LEASE_MS,
  MAX_BUDGET_WAIT_MS,
  MxBudgetSpent,
  MxCallBudget,
  type MxCallBudgetOptions,
  UNLEASED_RESERVE,
  APP_SHARE,
  type BudgetPriority,
} from '../../../lib/mx/call-budget.ts';
import type { WindowCounter } from '../../../lib/store/rate-limit-repo.ts';

/** The table's window counters in memory: an ADD that answers the count before it. */
class MemoryCounter implements WindowCounter {
  readonly taken = new Map<string, number>();
  writes = 0;
  failing = false;
  async take(name: string, windowStartMs: number, count: number): Promise<number> {
    if (this.failing) throw new Error('ProvisionedThroughputExceededException');
    this.writes += 1;
    const key = `${name}#${windowStartMs}`;
    const before = this.taken.get(key) ?? 0;
    this.taken.set(key, before + count);
    return before;
  }
}

/** `frozen`: waits do not move the clock (as an injected one in a handler's test): a wait is refused after one. */
function setup(perSecond = 100, random?: () => number, priority?: BudgetPriority, frozen = false) {
  const clock = new ManualClock(Date.UTC(2026, 10, 26));
  const counter = new MemoryCounter();
  const metrics: { name: string; value: number; dimensions: unknown }[] = [];
  const sink = { add: (name, value, dimensions) => void metrics.push({ name, value, dimensions }) } as MetricsSink;
  const container = () =>
    new MxCallBudget({
      counter,
      upstream: 'mx-data',
      perSecond,
      clock,
      log: silentLog,
      metrics: sink,
      sleep: async (ms) => void (frozen || clock.advance(ms)),
      ...(random ? { random } : {}),
      ...(priority ? { priority } : {}),
    });
  return { clock, counter, metrics, container };
}

/** Calls `budget.take()` `n` times, one after the other; answers how many went and how many were refused. */
async function spend(budget: MxCallBudget, n: number) {
  let sent = 0;
  let refused = 0;
  for (let i = 0; i < n; i++) {
    try {
      await budget.take();
      sent += 1;
    } catch (error) {
      expect(error).toBeInstanceOf(MxBudgetSpent);
      refused += 1;
    }
  }
  return { sent, refused };
}

describe('MxCallBudget', () => {
  it('keeps one budget per MX host: the data host spending all of its calls leaves SSO and MDX Real Time theirs', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 26));
    const counter = new MemoryCounter();
    const budget = (upstream: MxCallBudgetOptions['upstream']) =>
      new MxCallBudget({ counter, upstream, perSecond: 2, clock, log: silentLog, metrics: { add: () => {} } as MetricsSink });
    // 10 calls a period: the data host takes them all, then is refused.
    expect(await spend(budget('mx-data'), 20)).toMatchObject({ sent: 10 });
    expect(await spend(budget('mx-realtime'), 3)).toEqual({ sent: 3, refused: 0 });
    expect(await spend(budget('mx-sso'), 3)).toEqual({ sent: 3, refused: 0 });
    // The counters deployed tables hold: a renamed one would start a host's budget afresh.
    const names = [...counter.taken.keys()].map((key) => key.split('#')[0]);
    expect(new Set(names)).toEqual(
      new Set(['mx-calls:mx-data', 'mx-calls:mx-data:app', 'mx-calls:mx-realtime', 'mx-calls:mx-sso']),
    );
  });

  it('spends calls from a lease: a few table writes for a hundred calls, none per call', async () => {
    const { container, counter } = setup();
    const budget = container();
    expect(await spend(budget, 100)).toEqual({ sent: 100, refused: 0 });
    expect(counter.writes).toBeLessThanOrEqual(5); // 8, 16, 32, 64: doubling while the period has calls
  });

  it("a container's next period starts from what it spent in the last: one write", async () => {
    const { container, counter, clock } = setup();
    const budget = container();
    await spend(budget, 100);
    clock.advance(LEASE_MS);
    const before = counter.writes;
    await spend(budget, 100);
    expect(counter.writes - before).toBe(1);
  });

  it('calls over the period wait for the next when it starts within the longest wait; else are refused with the wait', async () => {
    const { container, clock, metrics } = setup(10); // 50 calls a period; a container leases 12 at most
    const budgets = [container(), container(), container(), container(), container()];
    // Late in the period: the calls past its 50 wait for the next one.
    clock.set(Math.ceil(clock.now() / LEASE_MS) * LEASE_MS + LEASE_MS - MAX_BUDGET_WAIT_MS / 2);
    const results = await Promise.all(budgets.map((budget) => spend(budget, 12)));
    expect(results.reduce((sum, { sent }) => sum + sent, 0)).toBe(60);
    expect(metrics.some(({ name, value }) => name === 'MxBudgetWait' && value >= 1)).toBe(true);

    // Early in a period: once its 50 are leased, calls are refused, told to come back when the next period starts.
    clock.set(Math.ceil(clock.now() / LEASE_MS) * LEASE_MS + LEASE_MS);
    const periodEnds = Math.floor(clock.now() / LEASE_MS) * LEASE_MS + LEASE_MS;
    const outcomes = await Promise.all(budgets.map((budget) => spend(budget, 12)));
    const sent = outcomes.reduce((sum, outcome) => sum + outcome.sent, 0);
    // A lease a container did not spend lapses with the period: the budget is a ceiling.
    expect(sent).toBeLessThanOrEqual(50);
    expect(sent).toBeGreaterThan(40);
    await expect(container().take()).rejects.toMatchObject({ retryAfterMs: periodEnds - clock.now() });
    const refusals = metrics.filter(({ name }) => name === 'MxBudgetRefusals');
    expect(refusals).toHaveLength(60 - sent + 1);
    // Which host's budget ran out: the alarm sums them, the runbook reads each.
    expect(refusals.every(({ dimensions }) => (dimensions as { upstream: string }).upstream === 'mx-data')).toBe(true);
  });

  it('leases what the rest of the period takes at the container’s pace: one write a period, nothing left to lapse', async () => {
    const { container, counter, clock } = setup(); // 500 calls a period
    const budget = container();
    clock.set(Math.ceil(clock.now() / LEASE_MS) * LEASE_MS);
    const firstPeriod = clock.now();
    // A call every 50 ms, 20 a second, for four periods.
    for (let i = 0; i < 400; i++) {
      await budget.take();
      clock.advance(50);
    }
    const leasedIn = (period: number) => counter.taken.get(`mx-calls:mx-data#${firstPeriod + period * LEASE_MS}`);
    for (const period of [1, 2, 3]) expect(leasedIn(period), `period ${period}`).toBe(100);
    expect(counter.writes).toBeLessThanOrEqual(4 + 3);
  });

  it('queued work waits for the next period however far it is, never refused for it; an app’s call waits 2 s at most', async () => {
    const queuedSide = setup(10, undefined, 'queued'); // 50 calls a period: 40 shared, 10 apps' own
    const { clock, counter, metrics } = queuedSide;
    // Early in a period, all of it leased by other containers.
    clock.set(Math.ceil(clock.now() / LEASE_MS) * LEASE_MS + 100);
    const periodStarts = Math.floor(clock.now() / LEASE_MS) * LEASE_MS;
    await counter.take('mx-calls:mx-data', periodStarts, 40);
    await counter.take('mx-calls:mx-data:app', periodStarts, 10);
    const forApp = new MxCallBudget({
      counter,
      upstream: 'mx-data',
      perSecond: 10,
      clock,
      log: silentLog,
      metrics: { add: () => {} } as MetricsSink,
      sleep: async () => expect.fail('an app’s call waits 2 s at most'),
    });
    await expect(forApp.take()).rejects.toMatchObject({ retryAfterMs: LEASE_MS - 100 });
    // Refused, a member report would wait on its queue half a minute or more: it waits the 4.9 s instead.
    await queuedSide.container().take();
    expect(clock.now()).toBe(periodStarts + LEASE_MS);
    expect(metrics).toContainEqual({ name: 'MxBudgetWait', value: LEASE_MS - 100, dimensions: {} });
    expect(metrics.some(({ name }) => name === 'MxBudgetRefusals')).toBe(false);
  });

  it('waits once at most: a clock that does not move (an injected one) gets a refusal, never an endless wait', async () => {
    const { clock, counter } = setup(1); // 5 calls a period (4 shared, 1 apps' own), all leased by another container
    await counter.take('mx-calls:mx-data', Math.floor(clock.now() / LEASE_MS) * LEASE_MS, 4);
    await counter.take('mx-calls:mx-data:app', Math.floor(clock.now() / LEASE_MS) * LEASE_MS, 1);
    clock.set(Math.floor(clock.now() / LEASE_MS) * LEASE_MS + LEASE_MS - 500);
    const sleeps: number[] = [];
    const frozen = new MxCallBudget({
      counter,
      upstream: 'mx-data',
      perSecond: 1,
      clock,
      log: silentLog,
      metrics: { add: () => {} } as MetricsSink,
      sleep: async (ms) => void sleeps.push(ms),
    });
    await expect(frozen.take()).rejects.toBeInstanceOf(MxBudgetSpent);
    expect(sleeps).toEqual([500]);
  });

  it('lets a few calls go while the table fails, from a reserve a period: a blip slows the relay, never unbounds it', async () => {
    const { clock, container, counter, metrics } = setup();
    counter.failing = true;
    const budget = container();
    // The period's lease would be 125 calls: a failed one grants the reserve only, and the next failures nothing more.
    expect(await spend(budget, 20)).toEqual({ sent: UNLEASED_RESERVE, refused: 20 - UNLEASED_RESERVE });
    expect(
      metrics
        .filter(({ name }) => name === 'MxBudgetLeases')
        .every(({ dimensions }) => (dimensions as { outcome: string }).outcome === 'failed'),
    ).toBe(true);
    clock.advance(LEASE_MS);
    expect(await spend(budget, 20)).toEqual({ sent: UNLEASED_RESERVE, refused: 20 - UNLEASED_RESERVE });
    // The table back: leases again, the reserve untouched.
    counter.failing = false;
    clock.advance(LEASE_MS);
    expect(await spend(budget, 100)).toEqual({ sent: 100, refused: 0 });
  });

  it('property: while the table fails, no container spends more than its reserve in a period, however many calls it tries', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2_000 }), fc.integer({ min: 1, max: 300 }), async (perSecond, calls) => {
        const { container, counter } = setup(perSecond);
        counter.failing = true;
        const { sent } = await spend(container(), calls);
        expect(sent).toBeLessThanOrEqual(UNLEASED_RESERVE);
      }),
      { numRuns: 50 },
    );
  });

  it('splits a large budget over counters of 5,000 calls a period: no item takes more than a DynamoDB partition’s eighth', async () => {
    // 25,000 calls a second, ten times prod's: 125,000 a period over 25 counters.
    let next = 0;
    const { container, counter } = setup(25_000, () => (next++ % 25) / 25);
    expect(container().counters).toBe(25);
    const budgets = Array.from({ length: 400 }, container);
    let sent = 0;
    // 400 containers with eight calls each, then one draining the period: every call of it goes, not one more.
    for (const budget of budgets) sent += (await spend(budget, 8)).sent;
    expect(sent).toBe(3_200);
    const greedy = container();
    sent += (await spend(greedy, 130_000)).sent;
    expect(sent).toBe(125_000);
    const perItem = [...counter.taken.values()];
    expect(perItem).toHaveLength(25);
    // Each item's writes a period: its calls in leases of 8 at least.
    expect(counter.writes / 25).toBeLessThanOrEqual(CALLS_PER_COUNTER / 8);
  });

  it('leaves apps their part of a period while queued work drains a backlog: an app’s call still goes', async () => {
    for (const perSecond of [100, 2_500, 25_000]) {
      // The clock held within the period: what queued work takes of one period.
      const queuedSide = setup(perSecond, undefined, 'queued', true);
      const app = new MxCallBudget({
        counter: queuedSide.counter,
        upstream: 'mx-data',
        perSecond,
        clock: queuedSide.clock,
        log: silentLog,
        metrics: { add: () => {} } as MetricsSink,
        sleep: async (ms) => queuedSide.clock.advance(ms),
      });
      const perPeriod = (perSecond * LEASE_MS) / 1000;
      // A backlog: twice the calls the period holds, from containers enough to lease all it may (a quarter each at most).
      const backlog = Array.from({ length: 8 }, queuedSide.container);
      let queued = 0;
      for (const budget of backlog) queued += (await spend(budget, perPeriod / 4)).sent;
      expect(queued, `${perSecond}/s`).toBeLessThanOrEqual(Math.floor(perPeriod * (1 - APP_SHARE)));
      expect(queued, `${perSecond}/s`).toBeGreaterThan(perPeriod * (1 - APP_SHARE) * 0.5);
      // What an app asks meanwhile goes at once, up to the rest of the period.
      expect(await spend(app, 10), `${perSecond}/s`).toEqual({ sent: 10, refused: 0 });
    }
  });

  it('property: however containers take turns, no period sends more than its calls, one counter or several', async () => {
    // Small budgets (one counter, many turns) and large ones (2–3 counters, turns of up to 2,000 calls).
    const small = fc.tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 30 }));
    const large = fc.tuple(fc.integer({ min: 1_001, max: 3_000 }), fc.integer({ min: 1, max: 2_000 }));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(small, large).chain(([perSecond, most]) =>
          fc.tuple(
            fc.constant(perSecond),
            fc.integer({ min: 1, max: 6 }),
            fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 400 }), fc.integer({ min: 1, max: most })), {
              maxLength: 40,
            }),
          ),
        ),
        async ([perSecond, containers, turns]) => {
          const { container, clock } = setup(perSecond);
          const budgets = Array.from({ length: containers }, container);
          const perPeriod = Math.round((perSecond * LEASE_MS) / 1000);
          const sentIn = new Map<number, number>();
          for (const [which, pauseMs, calls] of turns) {
            clock.advance(pauseMs);
            for (let i = 0; i < calls; i++) {
              try {
                await budgets[which % containers]!.take();
                const period = Math.floor(clock.now() / LEASE_MS);
                sentIn.set(period, (sentIn.get(period) ?? 0) + 1);
              } catch (error) {
                if (!(error instanceof MxBudgetSpent)) throw error;
              }
            }
          }
          for (const sent of sentIn.values()) expect(sent).toBeLessThanOrEqual(perPeriod);
        },
      ),
      { numRuns: 150 },
    );
  });
});
