import type { EnvironmentSettings } from '../infra/environments.ts';
import { HINT_WINDOW_MS } from '../lib/aggregation/member-watch.ts';
import { mxWaitMs } from '../lib/aggregation/poll-queue-handler.ts';
import { CONFIG_VARIABLES } from '../lib/config/variables.ts';
import type { MetricsSink } from '../lib/metrics.ts';
import { APP_SHARE, type BudgetPriority, LEASE_MS } from '../lib/mx/call-budget.ts';
import { MxError } from '../lib/mx/errors.ts';
import { classifyFailure } from '../lib/mx/retry-policy.ts';
import { EXTRA_POLLS_PER_REFRESH, type Measured, type WorkerFigures } from './capacity-model.ts';
import { OUTAGE_MS } from './capacity-outage.ts';
import { MX_CAUSES, type MxCause } from './capacity-unit-costs.ts';
import { BudgetLedger } from './support/budget-ledger.ts';
import { admitMx, callMx, type MxContainer, newContainer, sendMx, type SimulatedMx } from './support/mx-container.ts';
import { ContainerPool, SimulatedQueue } from './support/simulated-queue.ts';
import { quantile, seededRandom } from './support/stats.ts';
import { VirtualTime } from './support/virtual-time.ts';
import { dailyVolumes, type Workload } from './workload.ts';

const MINUTE = 60_000;
const DAY_S = 86_400;
/** MX goes down this long into its nightly wave; the run starts a little before, its containers warm. */
export const INTO_THE_WAVE_MS = 60 * MINUTE;
const WARM_UP_MS = 10 * MINUTE;
/** Arrivals are counted out every tenth of a second, evenly (apps at the day's average rate: the wave is at night). */
const TICK_MS = 100;
/** As deployed (infra/constructs/work-queue.ts): a failed receive comes back after 6 × worker-poll's 30 s; the fifth goes to the DLQ. */
const VISIBILITY_MS = 180_000;
const MAX_RECEIVES = 5;
const WORKER_TIMEOUT_MS = 30_000;
/** A refresh's first poll step comes this long after MX starts the aggregation (never sooner than MX's 3 s). */
const FIRST_POLL_MS = 3_000;
/** The client kit's attempts (429 and 503 tried again, Retry-After honoured, else a growing back-off from 500 ms). */
const APP_ATTEMPTS = 3;
const APP_BACKOFF_MS = 500;

export interface OutageAtScaleInputs {
  workload: Workload;
  measured: {
    units: Pick<Measured['units'], 'units'>;
    week: Pick<Measured['week'], 'readsPerUserDay'>;
    usual: WorkerFigures & { heldBatchMs: number };
  };
  settings: Pick<EnvironmentSettings, 'queueConcurrency' | 'reservedConcurrency'> & { mx: { callsPerSecond: number } };
  /** MX_RETRY_BUDGET_MS; by default as deployed. */
  retryBudgetMs?: number;
  /** Gives up on the drain this long after MX is back. */
  drainLimitMs?: number;
  seed?: number;
}

/** How long a kind of breaker took to close, once MX was back or once it was asked after that. */
export interface BreakerFigures {
  /** Containers whose breaker was not closed when MX came back. */
  open: number;
  /**
   * The longest a breaker held calls once MX was back: from MX's return (or the container's first call after it) to its
   * closing, or to the last call it held if it was asked nothing more.
   */
  closedWithinMs: number;
  /** Calls held after MX was back. */
  held: number;
}

export interface OutageAtScaleFigures {
  users: number;
  perSecond: number;
  /** What queued work may take of the budget: all but apps' own part. */
  queuedPerSecond: number;
  /** Reports waiting when MX came back: announced while it was down, and the few in hand when it went. */
  backlog: number;
  /** Of the backlog, reports not read by the end of the run. */
  unread: number;
  deadLettered: number;
  /** MX back → the backlog's last report read. */
  drainedMs: number | undefined;
  /** Over the drain: reports read a second (the backlog's and the wave's new ones), MX calls a second (queued work's). */
  reportsPerSecond: number;
  callsPerSecond: number;
  queuedCallsPerSecond: number;
  /** Over the drain: of the calls containers leased, the share that lapsed unspent; counter writes a container a period. */
  lapsedShare: number;
  writesPerContainerPeriod: number;
  /** Over the drain, by whose calls: those that waited for the budget, and their mean wait; those it refused. */
  budgetWaits: Record<BudgetPriority, { calls: number; meanMs: number }>;
  budgetRefusals: Record<BudgetPriority, number>;
  /** Refreshes asked during the drain: ask → the aggregate call at MX (its session first). `refused`: never got there. */
  refreshes: { count: number; p50Ms: number; p99Ms: number; refused: number };
  /** Apps' reads and syncs asked during the drain: ask → answered. */
  reads: { count: number; p99Ms: number; refused: number };
  breakers: Record<BudgetPriority, BreakerFigures>;
  /** The most MX calls in one budget period after MX was back, against the period's calls. */
  busiestPeriodCalls: number;
  periodCalls: number;
  /** worker-poll's longest batch over the drain, and the batches past its 30 s timeout. */
  longestBatchMs: number;
  batchesTimedOut: number;
  containers: Record<string, number>;
  wallSeconds: number;
}

/** What the wave leaves on a queue: an MX report (its hint and the read of its user), a refresh's follow-up, a turn. */
interface Work {
  calls: number;
  perCallMs: number;
  waits: number;
  receives: number;
  report: boolean;
}

const callsOf = (mxCalls: Record<MxCause, number>, causes: readonly MxCause[] = MX_CAUSES) =>
  causes.reduce((n, cause) => n + mxCalls[cause], 0);

/**
 * MX down OUTAGE_MS an hour into its nightly wave, at the workload's users, on a simulated clock: every container of
 * worker-poll's queues and of the API functions with its own CircuitBreaker and MxCallBudget (over one shared counter),
 * each call retried by the RetryPolicy, each report MX did not serve sent back by worker-poll's `mxWaitMs`. Each kind of
 * work takes its measured time and makes its measured MX calls; MX answers in that time when up and fails each attempt
 * with a 503 in its median latency when down. Not modelled: a user's reports gathered into one read (each report is
 * read alone: more calls than deployed), SSO's own budget (every call spends the data host's), containers recycled.
 */
export async function simulateOutageAtScale(inputs: OutageAtScaleInputs): Promise<OutageAtScaleFigures> {
  // Millions of held calls: their errors' stacks would take most of the run, and nobody reads them.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return await simulate(inputs);
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

async function simulate(inputs: OutageAtScaleInputs): Promise<OutageAtScaleFigures> {
  const wallStarted = performance.now();
  const { workload: w, measured: m, settings } = inputs;
  const { units } = m.units;
  const random = seededRandom(inputs.seed ?? 77);
  const perSecond = settings.mx.callsPerSecond;
  const waveStart = Date.UTC(2026, 11, 10, 1);
  const outageStart = waveStart + INTO_THE_WAVE_MS;
  const outageEnd = outageStart + OUTAGE_MS;
  const limit = outageEnd + (inputs.drainLimitMs ?? 120 * MINUTE);
  const time = new VirtualTime(outageStart - WARM_UP_MS);
  const afterReturn = (at: number) => at >= outageEnd;

  // MX, the shared budget counter, and each container's metrics: what the run counts.
  const ledger = new BudgetLedger('mx-calls:mx-data', perSecond);
  const breakers = new Map<MxContainer, { firstAsked?: number; lastHeld?: number; closedAt?: number }>();
  const held: Record<BudgetPriority, number> = { app: 0, queued: 0 };
  const mx: SimulatedMx = {
    up: (at) => at < outageStart || afterReturn(at),
    failMs: w.mxLatencyMs.p50,
    asked: (container, at, heldMs) => {
      if (!afterReturn(at)) return;
      const breaker = breakers.get(container);
      if (breaker) breaker.firstAsked ??= at;
      if (heldMs <= 0) return;
      held[container.priority]++;
      if (breaker) breaker.lastHeld = at;
    },
    sent: (container, at) => ledger.sent(container.priority === 'queued', at),
  };
  let drainedAt: number | undefined;
  const inDrain = (at: number) => afterReturn(at) && at <= (drainedAt ?? limit);
  const waits = { app: { calls: 0, ms: 0 }, queued: { calls: 0, ms: 0 } };
  const refusals = { app: 0, queued: 0 };
  const metricsOf = (container: () => MxContainer): MetricsSink => ({
    add: (name, value, dimensions) => {
      const { id, priority } = container();
      const now = time.now();
      if (name === 'MxBudgetLeases') ledger.leased(id, now);
      else if (name === 'MxBudgetWait' && inDrain(now)) {
        waits[priority].calls++;
        waits[priority].ms += value;
      } else if (name === 'MxBudgetRefusals' && inDrain(now)) refusals[priority]++;
      else if (name === 'MxCircuitChanges' && (dimensions as { state: string }).state === 'closed' && afterReturn(now)) {
        const breaker = breakers.get(container());
        if (breaker) breaker.closedAt ??= now;
      }
    },
  });
  let containerIds = 0;
  const setup = {
    time,
    counter: ledger,
    perSecond,
    retryBudgetMs: inputs.retryBudgetMs ?? Number(CONFIG_VARIABLES.MX_RETRY_BUDGET_MS.default),
    random,
    metrics: metricsOf,
  };
  const poolOf = (fn: string, priority: BudgetPriority, limit: number) =>
    new ContainerPool(() => newContainer(setup, ++containerIds, fn, priority), limit);

  // worker-poll's queues, each with its own concurrency. A message's own part (DynamoDB, SQS) takes what a batch took
  // with its MX calls held; its calls take the rest of its measured batch.
  const ownMs = m.usual.heldBatchMs;
  const perCall = (batchMs: number, calls: number) => Math.max(w.mxLatencyMs.p50, (batchMs - ownMs) / Math.max(1, calls));
  const reportCallMs = perCall(m.usual.reportBatchMs, callsOf(units.report.mxCalls));
  const pollCallMs = perCall(m.usual.pollBatchMs, callsOf(units.poll.mxCalls));
  const backlogged = new Set<Work>();
  let backlog = 0;
  let backlogRead = 0;
  let reportsRead = 0;
  let deadLettered = 0;
  let longestBatchMs = 0;
  let batchesTimedOut = 0;
  // As worker-poll does: what MX could not serve waits on its queue; anything else SQS hands back, to its DLQ at last.
  const failed = (queue: SimulatedQueue<Work>, work: Work, error: unknown) => {
    if (error instanceof MxError && classifyFailure(error) !== 'final') {
      work.waits += 1;
      queue.send(work, time.now() + mxWaitMs(work.waits, error.retryAfterSeconds, random));
    } else if (++work.receives >= MAX_RECEIVES) deadLettered++;
    else queue.send(work, time.now() + VISIBILITY_MS);
  };
  const read = (work: Work) => {
    const ofBacklog = backlogged.delete(work);
    if (!afterReturn(time.now())) return;
    if (work.report && drainedAt === undefined) reportsRead++;
    if (ofBacklog && ++backlogRead === backlog) drainedAt = time.now();
  };
  const finish = async (container: MxContainer, work: Work, queue: SimulatedQueue<Work>) => {
    try {
      await sendMx(container, mx, time, work.perCallMs);
      for (let i = 1; i < work.calls; i++) await callMx(container, mx, time, work.perCallMs);
    } catch (error) {
      return failed(queue, work, error);
    }
    read(work);
  };
  // A batch's messages at once, after the handler's own part; one its breaker holds fails at once.
  const handle = (queue: () => SimulatedQueue<Work>) => async (container: MxContainer, batch: Work[]) => {
    const started = time.now();
    await time.sleep(ownMs);
    const sent: Promise<void>[] = [];
    for (const work of batch) {
      const heldMs = admitMx(container, mx, time);
      if (heldMs > 0) failed(queue(), work, heldError(heldMs));
      else sent.push(finish(container, work, queue()));
    }
    if (sent.length > 0) await Promise.all(sent);
    if (!afterReturn(started)) return;
    longestBatchMs = Math.max(longestBatchMs, time.now() - started);
    if (time.now() - started > WORKER_TIMEOUT_MS) batchesTimedOut++;
  };
  const { queueConcurrency: q } = settings;
  const queueOf = (limit: number) => {
    const queue: SimulatedQueue<Work> = new SimulatedQueue(
      time,
      poolOf('worker-poll', 'queued', limit),
      handle(() => queue),
    );
    return queue;
  };
  const queues = { reports: queueOf(q['member-reports']), polls: queueOf(q.poll), reconcile: queueOf(q.reconcile) };
  const enqueue = (queue: SimulatedQueue<Work>, calls: number, perCallMs: number, delayMs: number, report = false) => {
    const work: Work = { calls: roundAtRandom(calls, random), perCallMs, waits: 0, receives: 0, report };
    queue.send(work, time.now() + delayMs);
    return work;
  };

  // Apps: each request in a warm container of its function (a new one up to its reservation), its MX calls at the
  // request's measured time, tried again as the client kit does after a 503 or a throttle.
  const { reservedConcurrency: reserved } = settings;
  const pools = {
    'api-refresh': poolOf('api-refresh', 'app', reserved['api-refresh'] ?? 1_000),
    'api-read': poolOf('api-read', 'app', reserved['api-read'] ?? 1_000),
  };
  const appRequest = async (pool: ContainerPool, calls: number, perCallMs: number, done: (begunAt: number) => void) => {
    for (let attempt = 1; attempt <= APP_ATTEMPTS; attempt++) {
      const container = pool.acquire();
      let waitMs = APP_BACKOFF_MS * 2 ** (attempt - 1) * (0.5 + random() / 2);
      if (container) {
        try {
          let begunAt = 0;
          for (let i = 0; i < calls; i++) begunAt = await callMx(container, mx, time, perCallMs);
          pool.release(container);
          return done(begunAt);
        } catch (error) {
          pool.release(container);
          // 503 with Retry-After (held by a breaker or the budget) is tried again; MX's own failure (a 502) is not.
          const { code, retryAfterSeconds } = error as MxError;
          if (code !== 'MX_CIRCUIT_OPEN' && code !== 'MX_BUDGET_SPENT') return;
          waitMs = (retryAfterSeconds ?? 0) * 1000;
        }
      }
      if (attempt < APP_ATTEMPTS) await time.sleep(waitMs);
    }
  };

  const day = dailyVolumes(w);
  const refreshCalls = callsOf(units.refresh.mxCalls, ['session', 'job']);
  // Its end's read, and the ingest of a user who syncs.
  const followUpCalls = (unit: 'refresh' | 'refresh-unsynced') =>
    callsOf(units[unit].mxCalls, ['read', 'transactions']) + EXTRA_POLLS_PER_REFRESH * callsOf(units.poll.mxCalls);
  const refreshes: { askedAt: number; begunAt?: number }[] = [];
  const reads: { askedAt: number; doneAt?: number }[] = [];
  const streams: { perSecond: number; until: number; arrive: () => void }[] = [
    {
      // MX's wave: each aggregation announced, its report read HINT_WINDOW_MS later (its user's one read).
      perSecond: day.aggregated / (w.waveHours * 3600),
      until: waveStart + w.waveHours * 3600_000,
      arrive: () => {
        const unit = random() < w.syncingShare ? 'report' : 'report-unsynced';
        const work = enqueue(queues.reports, callsOf(units[unit].mxCalls), reportCallMs, HINT_WINDOW_MS, true);
        if (!afterReturn(time.now())) backlogged.add(work);
      },
    },
    {
      perSecond: day.refreshes / DAY_S,
      until: Number.POSITIVE_INFINITY,
      arrive: () => {
        const record: (typeof refreshes)[number] = { askedAt: time.now() };
        refreshes.push(record);
        const unit = random() < w.syncingShare ? 'refresh' : 'refresh-unsynced';
        // The refresh's unit holds the poll step that ends it: worker-poll's, followed up below.
        const requestMs = units.refresh.lambdaMs - units.refresh.batchedMs;
        void appRequest(pools['api-refresh'], refreshCalls, requestMs / refreshCalls, (begunAt) => {
          record.begunAt = begunAt;
          enqueue(queues.polls, followUpCalls(unit), pollCallMs, FIRST_POLL_MS);
        });
      },
    },
    ...(
      [
        ['sync', day.syncs],
        ['read', day.reads],
        ['read-lapsed', day.readsOpeningSession],
      ] as const
    ).map(([unit, perDay]) => ({
      perSecond: perDay / DAY_S,
      until: Number.POSITIVE_INFINITY,
      arrive: () => {
        const record: (typeof reads)[number] = { askedAt: time.now() };
        reads.push(record);
        const calls = callsOf(units[unit].mxCalls);
        void appRequest(pools['api-read'], calls, units[unit].lambdaMs / calls, () => (record.doneAt = time.now()));
      },
    })),
    {
      // The reconcile's reads of users (MX's webhooks on), at a report's pace a call.
      perSecond: (w.users * m.week.readsPerUserDay) / DAY_S,
      until: Number.POSITIVE_INFINITY,
      arrive: () => void enqueue(queues.reconcile, callsOf(units['read-lapsed'].mxCalls), reportCallMs, 0),
    },
  ];
  const owed = streams.map(() => 0);
  const tick = () => {
    streams.forEach((stream, i) => {
      if (time.now() >= stream.until) return;
      for (owed[i]! += (stream.perSecond * TICK_MS) / 1000; owed[i]! >= 1; owed[i]!--) stream.arrive();
    });
    time.at(time.now() + TICK_MS, tick);
  };
  time.at(time.now(), tick);
  const allPools = [...Object.values(queues).map((queue) => queue.pool), ...Object.values(pools)];
  time.at(outageEnd, () => {
    backlog = backlogged.size;
    for (const pool of allPools) {
      for (const container of pool.all) if (container.breaker.state !== 'closed') breakers.set(container, {});
    }
  });

  await time.run(limit, () => drainedAt !== undefined);
  // What apps asked until then gets its answer.
  await time.run(time.now() + MINUTE);

  const drainEnd = drainedAt ?? limit;
  const drainSeconds = Math.max(1, (drainEnd - outageEnd) / 1000);
  const budget = ledger.over(outageEnd, drainEnd);
  const took = <T extends { askedAt: number }>(records: T[], at: (record: T) => number | undefined) =>
    records
      .filter(({ askedAt }) => inDrain(askedAt))
      .map((record) => (at(record) === undefined ? Number.POSITIVE_INFINITY : at(record)! - record.askedAt));
  const refreshMs = took(refreshes, (record) => record.begunAt);
  const readMs = took(reads, (record) => record.doneAt);
  const refused = (ms: number[]) => ms.filter((one) => one === Number.POSITIVE_INFINITY).length;
  const breakersOf = (priority: BudgetPriority): BreakerFigures => {
    const open = [...breakers].filter(([container]) => container.priority === priority).map(([, breaker]) => breaker);
    // A container asked nothing after MX's return holds nothing; one that never closed (never asked again) held until its last.
    const closedWithin = open.map(({ firstAsked, lastHeld, closedAt }) =>
      firstAsked === undefined ? 0 : (closedAt ?? lastHeld ?? firstAsked) - Math.max(outageEnd, firstAsked),
    );
    return { open: open.length, closedWithinMs: Math.max(0, ...closedWithin), held: held[priority] };
  };
  return {
    users: w.users,
    perSecond,
    queuedPerSecond: perSecond * (1 - APP_SHARE),
    backlog,
    unread: backlog - backlogRead,
    deadLettered,
    drainedMs: drainedAt === undefined ? undefined : drainedAt - outageEnd,
    reportsPerSecond: reportsRead / drainSeconds,
    callsPerSecond: budget.sent / drainSeconds,
    queuedCallsPerSecond: budget.queuedSent / drainSeconds,
    lapsedShare: budget.leased === 0 ? 0 : (budget.leased - budget.sent) / budget.leased,
    writesPerContainerPeriod: budget.leasers === 0 ? 0 : budget.writes / budget.leasers,
    budgetWaits: {
      app: { calls: waits.app.calls, meanMs: waits.app.ms / Math.max(1, waits.app.calls) },
      queued: { calls: waits.queued.calls, meanMs: waits.queued.ms / Math.max(1, waits.queued.calls) },
    },
    budgetRefusals: refusals,
    refreshes: {
      count: refreshMs.length,
      p50Ms: quantile(refreshMs, 0.5),
      p99Ms: quantile(refreshMs, 0.99),
      refused: refused(refreshMs),
    },
    reads: { count: readMs.length, p99Ms: quantile(readMs, 0.99), refused: refused(readMs) },
    breakers: { app: breakersOf('app'), queued: breakersOf('queued') },
    busiestPeriodCalls: ledger.over(outageEnd, time.now()).busiestPeriod,
    periodCalls: Math.round((perSecond * LEASE_MS) / 1000),
    longestBatchMs,
    batchesTimedOut,
    containers: {
      'member-reports (worker-poll)': queues.reports.pool.all.length,
      'poll (worker-poll)': queues.polls.pool.all.length,
      'reconcile (worker-poll)': queues.reconcile.pool.all.length,
      'api-refresh': pools['api-refresh'].all.length,
      'api-read': pools['api-read'].all.length,
    },
    wallSeconds: (performance.now() - wallStarted) / 1000,
  };
}

const heldErrors = new Map<number, MxError>();
/** What MxTransport throws for a call its breaker holds: one per wait, as millions are held while MX is down. */
function heldError(heldMs: number): MxError {
  const retryAfterSeconds = Math.ceil(heldMs / 1000);
  let error = heldErrors.get(retryAfterSeconds);
  if (!error) {
    const site = { method: 'GET', route: '/users/{user_guid}/members' };
    heldErrors.set(retryAfterSeconds, (error = new MxError('MX_CIRCUIT_OPEN', 'held', { ...site, retryAfterSeconds })));
  }
  return error;
}

/** `x` as a whole number: its fraction the chance of one more. */
function roundAtRandom(x: number, random: () => number): number {
  const whole = Math.floor(x);
  return whole + (random() < x - whole ? 1 : 0);
}
