import type { EnvironmentSettings } from '../infra/environments.ts';
import { FUNCTION_SPECS, type FunctionName } from '../infra/constructs/function-specs.ts';
import { DELIVERY_LOG_SHARDS } from '../lib/store/table.ts';
import { jobRetentionDays } from '../lib/aggregation/jobs-repo.ts';
import { type CostLine, type DailyUnits, type DayShape, monthlyCost, partUnits } from './capacity-cost.ts';
import {
  MX_CAUSES,
  UNIT_MX_LATENCY_MS,
  type MxCause,
  type SharedPartition,
  HELD_READ_UNITS,
  type Unit,
  type UnitCosts,
} from './capacity-unit-costs.ts';
import { DAYS_PER_MONTH, dailyVolumes, heldReads, type Workload } from './workload.ts';
import { LAMBDA_MB_PER_VCPU } from './support/pricing.ts';
import type { Interval } from './support/report.ts';

/** worker-poll's batches timed with MX answering `latencyMs` late (bench/capacity.ts measures them). */
export interface WorkerFigures {
  latencyMs: number;
  /** A batch's wall time (its ten messages handled at once, as worker-poll does), median over the batches. */
  pollBatchMs: number;
  /** A batch of nightly reports plus a batch of the hint reads they schedule (the MX reads a report stands for). */
  reportBatchMs: number;
  /** A batch of those reads with MX's calls held by the breaker: the handler's own part (DynamoDB, SQS); usual day only. */
  heldBatchMs?: number;
  /** The 95 % intervals of `pollBatchMs` and `reportBatchMs` (the batches resampled), where measured. */
  intervals?: { pollBatchMs: Interval; reportBatchMs: Interval };
}

/** Everything the model takes from the run: each figure measured in it. */
export interface Measured {
  units: UnitCosts;
  /** The reconcile over a simulated week, per user a day. */
  week: { turnsPerUserDay: number; readsPerUserDay: number; mxCallsPerUserDay: number };
  dispatch: { usersPerMinute: number; usersPerSecond: number; wruPerUser: number; rruPerUser: number; sqsPerUser: number };
  usual: WorkerFigures;
  slow: WorkerFigures;
  stack: { alarms: number; queues: number };
}

/** How much longer CPU work runs in `fn` than on a full core, less one: its share of a vCPU is its memory's. */
const cpuStretch = (fn: FunctionName) => Math.max(0, LAMBDA_MB_PER_VCPU / FUNCTION_SPECS[fn].memorySize - 1);

/**
 * The times measured on a full core as Lambda runs them at each function's memory: a unit's own CPU (its `cpuMs`)
 * runs the longer, its waits do not; a batch's ten messages take their CPU one after another.
 */
export function atFunctionSizes<M extends Pick<Measured, 'units' | 'usual'> & { slow?: WorkerFigures }>(measured: M): M {
  const units = Object.fromEntries(
    Object.entries(measured.units.units).map(([unit, cost]) => [
      unit,
      { ...cost, lambdaMs: cost.lambdaMs + cost.cpuMs * cpuStretch(cost.function) },
    ]),
  ) as UnitCosts['units'];
  const batchCpu = (unit: Unit) => BATCH * measured.units.units[unit].cpuMs * cpuStretch(measured.units.units[unit].function);
  const plus = (interval: Interval, ms: number): Interval => ({ low: interval.low + ms, high: interval.high + ms });
  const worker = (f: WorkerFigures): WorkerFigures => ({
    ...f,
    pollBatchMs: f.pollBatchMs + batchCpu('poll'),
    reportBatchMs: f.reportBatchMs + batchCpu('report'),
    ...(f.intervals
      ? {
          intervals: {
            pollBatchMs: plus(f.intervals.pollBatchMs, batchCpu('poll')),
            reportBatchMs: plus(f.intervals.reportBatchMs, batchCpu('report')),
          },
        }
      : {}),
    // MX's calls held, a batch does a report's DynamoDB part only: its CPU, not measured apart, is at most its wall time.
    ...(f.heldBatchMs === undefined ? {} : { heldBatchMs: f.heldBatchMs * (1 + cpuStretch('worker-poll')) }),
  });
  return {
    ...measured,
    units: { ...measured.units, units, deliveryBatchMs: measured.units.deliveryBatchMs + batchCpu('delivery') },
    usual: worker(measured.usual),
    ...(measured.slow ? { slow: worker(measured.slow) } : {}),
  };
}

/**
 * One component at the peak: what it can take and what the workload asks of it. `measured`: its capacity comes from
 * this run; `setting`: it is a figure of the prod settings; `partner`: an agreement with MX (the call budget); `quota`:
 * an account quota prod's settings ask AWS to raise.
 */
export interface Component {
  name: string;
  capacity: number;
  /** The capacity's 95 % interval, where its inputs were measured with one. */
  capacityInterval?: Interval;
  need: number;
  basis: string;
  kind: 'measured' | 'setting' | 'partner' | 'quota';
  /** What `capacity` and `need` count: by default, a second's. */
  measure?: 'a minute' | 'executions at once' | 'connections at once';
}

/** Poll steps a refresh takes besides the one that finds it ended (assumed: MX's webhooks end most at the first). */
export const EXTRA_POLLS_PER_REFRESH = 1;
/** At the peak, each refresh polled up to this many times (dense polling, MX's webhooks late). */
export const POLLS_PER_REFRESH = 5;
/** A refresh's unit holds the poll step that ends it: those calls run in worker-poll's batches, not the request. */
const BATCHED_CAUSES: Partial<Record<Unit, readonly MxCause[]>> = {
  refresh: ['read', 'transactions'],
  'refresh-unsynced': ['read', 'transactions'],
};
/** DynamoDB's limit on one partition, of the table or of an index: write units a second. */
export const PARTITION_WRITE_UNITS = 1_000;
/** Lambda's default quota of concurrent executions per account and region (no raise assumed). */
export const ACCOUNT_EXECUTIONS = 1_000;
const BATCH = 10;
const REFRESH_ROUTE = 'POST /users/{user_id}/members/{member_guid}/refresh';
/**
 * MX's limit on one caller address: "2000 concurrent connections per IP" (MX's Platform API, errors:
 * docs.mx.com/api-reference/platform-api/v20111101/overview/errors); Nexus's own hosts publish none, so theirs is taken
 * to be the same and shared by every MX host the address reaches.
 */
export const MX_CONNECTIONS_PER_ADDRESS = 2_000;
/** A function URL's requests a second per execution its function reserves (AWS Lambda: "Configuring function URLs"). */
const FUNCTION_URL_RPS_PER_EXECUTION = 10;
const DAY_S = 86_400;

/** An AWS quota (or MX's limit) at the peak: what the workload takes, and the default an account starts with. */
export interface Quota {
  name: string;
  /** In use at the peak, unscaled: ask for twice it. */
  need: number;
  default: number;
  /** A limit AWS does not raise: the design must stay under it. */
  fixed?: true;
}

/** DynamoDB on-demand: a table's default throughput quota, each way (units a second). */
const TABLE_UNITS_QUOTA = 40_000;
/** API Gateway: the account's requests a second in a region, by default. */
const API_ACCOUNT_RPS = 10_000;

export interface Assessment {
  perDay: DailyUnits;
  /** MX calls per user a day, by the work that made them: the relay's own and apps' requests apart. */
  mxCalls: { relay: Record<string, Record<MxCause, number>>; apps: Record<string, Record<MxCause, number>> };
  relayCallsPerUserDay: number;
  appCallsPerUserDay: number;
  /** Every component at the nightly wave meeting the day's peak hour, MX at its usual pace and on its slow day. */
  components: Component[];
  slowComponents: Component[];
  /** Each account quota or partner limit the workload draws on at the peak, against its default. */
  quotas: Quota[];
  /** Users the stack carries before its tightest component is full (linear in users), and that component. */
  ceiling: { users: number; component: string };
  cost: { lines: CostLine[]; total: number };
  /** The cost per 1M nightly aggregations: the report's and its webhooks' and deliveries' share of the month. */
  perMillionAggregations: number;
}

/** With MX_BACKGROUND_AT_TURN, the reconcile queue's consumer: its turns and the reads of what they find held. */
export const TURN_CONSUMER = 'worker-poll, reconcile turns and what they read';

/**
 * The workload `w` at the stack `prod`, from the costs measured in this run. With its `mxBackgroundAtTurn` (decision
 * 0037) and MX's webhooks on, the wave's reports of idle users are held and read together, with the night's last.
 */
export function assess(w: Workload, m: Measured, prod: EnvironmentSettings): Assessment {
  const { units } = m.units;
  const day = dailyVolumes(w);
  const webhooksOn = w.webhooks === 'on';
  const held = prod.mxBackgroundAtTurn && webhooksOn;
  const syncingReports = held ? 0 : day.aggregated * w.syncingShare;
  const turnsPerUserDay = m.week.turnsPerUserDay;
  const nightReads = heldReads(w, 24 / turnsPerUserDay);
  const perDay: DailyUnits = {
    ...zeroUnits(),
    refresh: day.refreshes * w.syncingShare,
    'refresh-unsynced': day.refreshes * (1 - w.syncingShare),
    poll: day.refreshes * EXTRA_POLLS_PER_REFRESH,
    // Each aggregation's webhooks as MX pushed them here; a refresh's aggregation pushes its AGGREGATION one.
    'mx-webhook': webhooksOn ? day.aggregated * m.units.webhooksPerAggregation + day.refreshes : 0,
    report: syncingReports,
    'report-unsynced': held ? 0 : day.aggregated - syncingReports,
    // Every turn, those that read held reports too (their turn's own part, ~0.5 RRU, counted twice: negligible).
    'reconcile-turn': w.users * turnsPerUserDay,
    sync: day.syncs,
    read: day.reads,
    // A reconcile read makes its session and lists the members, as a read that opens one.
    'read-lapsed': day.readsOpeningSession + w.users * (webhooksOn ? m.week.readsPerUserDay : turnsPerUserDay),
  };
  if (held) {
    // A read of k held members, linear between the reads of 1 and of 3 measured.
    const reads = w.users * nightReads.perUser;
    const k = day.aggregated / reads;
    perDay.held = day.aggregated;
    for (const [group, share] of [
      ['syncing', w.syncingShare],
      ['unsynced', 1 - w.syncingShare],
    ] as const) {
      perDay[HELD_READ_UNITS[group].one] = (reads * share * (3 - k)) / 2;
      perDay[HELD_READ_UNITS[group].three] = (reads * share * (k - 1)) / 2;
    }
  }
  const heldReadUnits = Object.values(HELD_READ_UNITS).flatMap((g) => [g.one, g.three]);

  const callsOf = (unit: Unit, volume: number, causes: readonly MxCause[] = MX_CAUSES) =>
    Object.fromEntries(
      MX_CAUSES.map((cause) => [cause, causes.includes(cause) ? (units[unit].mxCalls[cause] * volume) / w.users : 0]),
    ) as Record<MxCause, number>;
  // Without MX's webhooks every turn reads the user, and finds the wave: a report's session and member list are the read's.
  const reconcileReads = w.users * (webhooksOn ? m.week.readsPerUserDay : m.week.turnsPerUserDay);
  const ownCauses: readonly MxCause[] = webhooksOn ? MX_CAUSES : ['transactions', 'job'];
  /** The calls of each of `some` units at its volume of the day. */
  const callsOfAll = (some: readonly (keyof DailyUnits)[], causes?: readonly MxCause[]) =>
    some.map((unit) => callsOf(unit, perDay[unit], causes)).reduce(sumCalls);
  const refreshes = ['refresh', 'refresh-unsynced'] as const;
  const relay = {
    ...(held
      ? {
          'nightly reports held, read together, syncing users': sumCalls(
            callsOf('held', perDay.held * w.syncingShare),
            callsOfAll(Object.values(HELD_READ_UNITS.syncing)),
          ),
          'nightly reports held, read together, other users': sumCalls(
            callsOf('held', perDay.held * (1 - w.syncingShare)),
            callsOfAll(Object.values(HELD_READ_UNITS.unsynced)),
          ),
        }
      : {
          'nightly reports, syncing users': callsOf('report', perDay.report, ownCauses),
          'nightly reports, other users': callsOf('report-unsynced', perDay['report-unsynced'], ownCauses),
        }),
    // The refresh's poll steps and the ingest at its end follow the app's call: the relay's.
    'refresh follow-ups (poll steps, ingest)': sumCalls(
      callsOfAll(refreshes, ['read', 'transactions']),
      callsOf('poll', perDay.poll),
    ),
    'reconcile reads': callsOf('read-lapsed', reconcileReads),
  };
  const apps = {
    'refreshes (session, aggregate)': callsOfAll(refreshes, ['session', 'job']),
    'syncs (session, ingest)': callsOf('sync', perDay.sync),
    'reads (and the sessions they open)': sumCalls(callsOf('read', perDay.read), callsOf('read-lapsed', day.readsOpeningSession)),
  };
  const total = (byCause: Record<string, Record<MxCause, number>>) =>
    Object.values(byCause).reduce((n, calls) => n + MX_CAUSES.reduce((k, cause) => k + calls[cause], 0), 0);

  // Rates where the wave meets the peak hour, a second.
  const peak = (perDayCount: number) => (perDayCount / DAY_S) * w.peakFactor;
  const waveSeconds = w.waveHours * 3600;
  const busiest = { night: Math.max(...nightReads.night), turn: Math.max(...nightReads.turn) };
  const rates: Record<Unit, number> = {
    refresh: peak(perDay.refresh),
    'refresh-unsynced': peak(perDay['refresh-unsynced']),
    // Besides the step that ends each, which its refresh's unit holds.
    poll: peak(day.refreshes) * (POLLS_PER_REFRESH - 1),
    'mx-webhook': webhooksOn ? (day.aggregated * m.units.webhooksPerAggregation) / waveSeconds + peak(day.refreshes) : 0,
    report: perDay.report / waveSeconds,
    'report-unsynced': perDay['report-unsynced'] / waveSeconds,
    'reconcile-turn': perDay['reconcile-turn'] / DAY_S,
    sync: peak(perDay.sync),
    read: peak(perDay.read),
    'read-lapsed': peak(day.readsOpeningSession) + reconcileReads / DAY_S,
    held: perDay.held / waveSeconds,
    // Each place's busiest hour, taken together (hours apart at most).
    ...(Object.fromEntries(
      heldReadUnits.map((unit) => [unit, (perDay[unit] * (busiest.night + busiest.turn)) / nightReads.perUser / 3600]),
    ) as Record<(typeof heldReadUnits)[number], number>),
    delivery: 0,
    transaction: 0,
  };
  rates.delivery = (Object.keys(rates) as Unit[]).reduce((n, unit) => n + rates[unit] * units[unit].deliveries, 0);
  const mxCallsAt = (unit: Unit) => MX_CAUSES.reduce((n, cause) => n + units[unit].mxCalls[cause], 0);
  const peakMxCalls = (Object.keys(rates) as Unit[]).reduce((n, unit) => n + rates[unit] * mxCallsAt(unit), 0);
  // Each MX host has a budget of its own (lib/compositions/mx-call-budget.ts): SSO's API tokens spend the SSO host's.
  const peakSsoCalls = (Object.keys(rates) as Unit[]).reduce((n, unit) => n + rates[unit] * units[unit].ssoCalls, 0);
  const peakDataCalls = peakMxCalls - peakSsoCalls;
  const reportsPerSecond = rates.report + rates['report-unsynced'];
  /**
   * The held reads of one place at its busiest hour: how many a second, and their Lambda ms a second, MX at `f`'s pace.
   * Measured at its usual one, ten to a batch side by side: each of a batch's calls, one after another, longer by the
   * difference, shared by its ten.
   */
  const heldReadsAt = (place: keyof typeof busiest, f: WorkerFigures) => {
    const share = busiest.night + busiest.turn > 0 ? busiest[place] / (busiest.night + busiest.turn) : 0;
    const slowerBy = f.latencyMs - UNIT_MX_LATENCY_MS;
    return {
      perSecond: heldReadUnits.reduce((n, unit) => n + rates[unit] * share, 0),
      busyMs: heldReadUnits.reduce(
        (n, unit) => n + rates[unit] * share * (units[unit].lambdaMs + (slowerBy * mxCallsAt(unit)) / BATCH),
        0,
      ),
    };
  };

  const perSecond = (concurrency: number, batchMs: number) => (concurrency * BATCH * 1000) / batchMs;
  /** A longer batch is a lower capacity. */
  const perSecondInterval = (concurrency: number, batchMs: Interval | undefined) =>
    batchMs ? { capacityInterval: { low: perSecond(concurrency, batchMs.high), high: perSecond(concurrency, batchMs.low) } } : {};
  const { queueConcurrency: q } = prod;
  /** Messages a queue consumer handles side by side (Powertools' BatchProcessor); a request is one. */
  const parallel = (fn: FunctionName) => (FUNCTION_SPECS[fn].consumes ? BATCH : 1);
  /**
   * Executions of `u` in use with MX answering in `latencyMs` (the median): its function's, each call of its request
   * the longer, one after another (a batch's ten side by side); and worker-poll's, for the poll step a refresh's unit
   * holds, its calls shared by the batch's ten.
   */
  const executionsAt = (u: Unit, latencyMs: number): { own: number; batched: number } => {
    const { lambdaMs, batchedMs, mxCalls, function: fn } = units[u];
    const inBatch = BATCHED_CAUSES[u] ?? [];
    const calls = (causes: readonly MxCause[]) => causes.reduce((n, cause) => n + mxCalls[cause], 0);
    const slowerBy = latencyMs - UNIT_MX_LATENCY_MS;
    const inRequest = calls(MX_CAUSES.filter((cause) => !inBatch.includes(cause)));
    return {
      own: (rates[u] * (lambdaMs - batchedMs + (slowerBy * inRequest) / parallel(fn))) / 1000,
      batched: (rates[u] * (batchedMs + (slowerBy * calls(inBatch)) / BATCH)) / 1000,
    };
  };
  const refreshRate = rates.refresh + rates['refresh-unsynced'];
  // Held, a report is a hint written; the night's last is read with the ones before it, on the same queue; a turn reads
  // what a member MX skipped left held. Capacity in messages a second at each queue's mix.
  const mixOf = (concurrency: number, need: number, busyMs: number) => ({
    capacity: need > 0 ? (concurrency * 1000 * need) / busyMs : 0,
    need,
  });
  const perUserNight = (place: readonly number[]) => place.reduce((a, b) => a + b, 0).toFixed(2);
  const heldComponents = (f: WorkerFigures): Component[] => {
    const [nightRead, turnRead] = [heldReadsAt('night', f), heldReadsAt('turn', f)];
    const pace =
      f.latencyMs === UNIT_MX_LATENCY_MS
        ? ''
        : ` (the reads measured with MX at ${UNIT_MX_LATENCY_MS} ms, ${BATCH} to a batch side by side: each of a batch's MX calls ${f.latencyMs - UNIT_MX_LATENCY_MS} ms longer)`;
    return [
      {
        name: `worker-poll, nightly reports held and read with the night's last (concurrency ${q['member-reports']}), MX at ${f.latencyMs} ms`,
        ...mixOf(q['member-reports'], rates.held + nightRead.perSecond, rates.held * units.held.lambdaMs + nightRead.busyMs),
        basis: `an aggregation's reports in ${Math.round(units.held.lambdaMs)} ms of a batch; ${perUserNight(nightReads.night)} reads a user a night, their busiest hour${pace}`,
        kind: 'measured',
      },
      {
        name: `${TURN_CONSUMER} (concurrency ${q.reconcile}), MX at ${f.latencyMs} ms`,
        ...mixOf(
          q.reconcile,
          rates['reconcile-turn'] + turnRead.perSecond,
          rates['reconcile-turn'] * units['reconcile-turn'].lambdaMs + turnRead.busyMs,
        ),
        basis: `every turn, and ${perUserNight(nightReads.turn)} reads a user a night of what a member MX skipped left held, their busiest hour${pace}`,
        kind: 'measured',
      },
    ];
  };
  const workersAt = (f: WorkerFigures): Component[] => [
    {
      name: `worker-poll, poll steps (concurrency ${q.poll}), MX at ${f.latencyMs} ms`,
      capacity: perSecond(q.poll, f.pollBatchMs),
      ...perSecondInterval(q.poll, f.intervals?.pollBatchMs),
      need: rates.poll + refreshRate,
      basis: `a batch of ${BATCH} in ${Math.round(f.pollBatchMs)} ms; each refresh polled up to ${POLLS_PER_REFRESH} times`,
      kind: 'measured',
    },
    ...(held
      ? heldComponents(f)
      : [
          {
            name: `worker-poll, nightly reports (concurrency ${q['member-reports']}), MX at ${f.latencyMs} ms`,
            capacity: perSecond(q['member-reports'], f.reportBatchMs),
            ...perSecondInterval(q['member-reports'], f.intervals?.reportBatchMs),
            need: reportsPerSecond,
            basis: `a batch of ${BATCH} reports and their reads in ${Math.round(f.reportBatchMs)} ms (sessions lapsed, users syncing)`,
            kind: 'measured' as const,
          },
        ]),
  ];
  const hottest = hottestPartitions(m.units.sharedPartitions, rates)[0];
  const turnsPerMinute = perDay['reconcile-turn'] / 1440;
  /** Executions in use, by function, and the account's, MX at `f`'s pace. */
  const lambdaAt = (f: WorkerFigures) => {
    const at = (u: Unit) => executionsAt(u, f.latencyMs).own;
    const apiRead = at('sync') + at('read') + at('read-lapsed');
    const refreshes = ['refresh', 'refresh-unsynced'] as const;
    const refresh = refreshes.reduce((n, u) => n + at(u), 0);
    const account =
      refresh +
      refreshes.reduce((n, u) => n + executionsAt(u, f.latencyMs).batched, 0) +
      at('mx-webhook') +
      (rates.poll * f.pollBatchMs) / BATCH / 1000 +
      (reportsPerSecond * f.reportBatchMs) / BATCH / 1000 +
      at('held') +
      heldReadUnits.reduce((n, unit) => n + at(unit), 0) +
      (rates.delivery * m.units.deliveryBatchMs) / BATCH / 1000 +
      apiRead;
    return { account, apiRead, refresh, mxEvents: at('mx-webhook') };
  };
  const lambdaComponents = (f: WorkerFigures): Component[] => {
    const use = lambdaAt(f);
    const at = `MX at ${f.latencyMs} ms`;
    const reserved = (fn: keyof EnvironmentSettings['reservedConcurrency'], need: number, basis: string): Component => ({
      name: `Lambda, ${fn} (reserves ${prod.reservedConcurrency[fn]}), ${at}`,
      capacity: prod.reservedConcurrency[fn]!,
      need,
      basis,
      kind: 'measured',
      measure: 'executions at once',
    });
    return [
      {
        name: `Lambda, the account (quota ${prod.lambdaConcurrencyQuota.toLocaleString('en')}; default ${ACCOUNT_EXECUTIONS.toLocaleString('en')}), ${at}`,
        capacity: prod.lambdaConcurrencyQuota,
        need: use.account,
        basis: `each kind at its rate × its measured time; ${(ACCOUNT_EXECUTIONS / use.account).toFixed(1)}× at the default`,
        kind: 'quota',
        measure: 'executions at once',
      },
      reserved('api-read', use.apiRead, 'syncs and reads at their measured times'),
      reserved('api-refresh', use.refresh, 'refreshes at their measured time'),
      reserved('mx-events', use.mxEvents, "MX's webhooks at their measured time"),
    ];
  };
  const stage = rates.sync + rates.read + rates['read-lapsed'] - reconcileReads / DAY_S;
  const addresses = prod.mxEgressNatGateways * prod.mxEgressAddressesPerGateway;
  /**
   * Connections open to MX at the peak, MX answering in `latencyMs`: each execution in use of a function that calls MX
   * keeps one to each MX host it calls (undici's keep-alive), a queue consumer one a message of its batch, handled side
   * by side. A floor: a warm container idle between invocations keeps its own too, until MX or the NAT gateway (after
   * 350 s idle) closes them.
   */
  const mxConnections = (latencyMs: number): number => {
    const byFunction = new Map<FunctionName, { executions: number; hosts: Set<'data' | 'sso'> }>();
    const of = (fn: FunctionName) => {
      if (!byFunction.has(fn)) byFunction.set(fn, { executions: 0, hosts: new Set() });
      return byFunction.get(fn)!;
    };
    for (const unit of Object.keys(rates) as Unit[]) {
      const { function: fn, ssoCalls } = units[unit];
      const { own, batched } = executionsAt(unit, latencyMs);
      const f = of(fn);
      f.executions += own;
      if (mxCallsAt(unit) > ssoCalls) f.hosts.add('data');
      if (ssoCalls > 0) f.hosts.add('sso');
      if (batched > 0) {
        // A refresh's poll step: worker-poll's, reading the member.
        const poll = of('worker-poll');
        poll.executions += batched;
        poll.hosts.add('data');
      }
    }
    return [...byFunction].reduce((n, [fn, f]) => n + f.executions * f.hosts.size * parallel(fn), 0);
  };
  const mxConnectionsAt = (latencyMs: number): Component => {
    const connections = mxConnections(latencyMs);
    return {
      name: `MX connections an address (${MX_CONNECTIONS_PER_ADDRESS.toLocaleString('en')} at once; prod ${addresses}), MX at ${latencyMs} ms`,
      capacity: MX_CONNECTIONS_PER_ADDRESS,
      need: connections / addresses,
      basis: `${Math.round(connections).toLocaleString('en')} over ${addresses} addresses: each execution in use keeps one to each MX host it calls, a worker's batch one a message (a floor: idle warm containers keep theirs)`,
      kind: 'partner',
      measure: 'connections at once',
    };
  };
  const components: Component[] = [
    ...workersAt(m.usual),
    {
      name: `MX call budget, data host (prod ${prod.mx.callsPerSecond}/s)`,
      capacity: prod.mx.callsPerSecond,
      need: peakDataCalls,
      basis: "every kind of work at its peak rate × the Nexus calls it made here (SSO's API tokens spend the SSO host's)",
      kind: 'partner',
    },
    {
      name: `MX call budget, SSO host (prod ${prod.mx.callsPerSecond}/s)`,
      capacity: prod.mx.callsPerSecond,
      need: peakSsoCalls,
      basis: 'every kind of work at its peak rate × the API tokens it took here (one a session opened)',
      kind: 'partner',
    },
    mxConnectionsAt(m.usual.latencyMs),
    {
      name: 'Reconcile dispatcher',
      capacity: m.dispatch.usersPerMinute,
      need: turnsPerMinute,
      basis: `turns; ${Math.round(m.dispatch.usersPerSecond)} users/s through dynalite and fauxqs`,
      measure: 'a minute',
      kind: 'measured',
    },
    {
      name: 'Reconcile pace, RECONCILE_TURNS_PER_MINUTE',
      capacity: prod.reconcileTurnsPerMinute,
      need: turnsPerMinute,
      basis: 'turns',
      measure: 'a minute',
      kind: 'setting',
    },
    {
      name: `worker-deliver (concurrency ${q.delivery})`,
      capacity: perSecond(q.delivery, m.units.deliveryBatchMs),
      need: rates.delivery,
      basis: `a batch of ${BATCH} in ${Math.round(m.units.deliveryBatchMs)} ms`,
      kind: 'measured',
    },
    {
      name: `DynamoDB, hottest shared partition (${PARTITION_WRITE_UNITS.toLocaleString('en')} write units/s)`,
      capacity: PARTITION_WRITE_UNITS,
      need: hottest?.units ?? 0,
      basis: hottest ? `${hottest.index} \`${hottest.kind}\`` : 'none written',
      kind: 'measured',
    },
    {
      name: 'One subscription to every event: its log',
      capacity:
        (DELIVERY_LOG_SHARDS * PARTITION_WRITE_UNITS) / Math.max(m.units.deliveryLogWru.table, m.units.deliveryLogWru.gsi1),
      need: rates.delivery,
      basis: `${DELIVERY_LOG_SHARDS} shards`,
      kind: 'measured',
    },
    {
      name: 'HTTP API, refresh route',
      capacity: prod.routeThrottles[REFRESH_ROUTE]!.rateLimit,
      need: refreshRate,
      basis: 'its route limit',
      kind: 'setting',
    },
    {
      name: "mx-events' function URL (MX's webhooks)",
      capacity: FUNCTION_URL_RPS_PER_EXECUTION * prod.reservedConcurrency['mx-events'],
      need: rates['mx-webhook'],
      basis: `${FUNCTION_URL_RPS_PER_EXECUTION} a second per reserved execution; ${m.units.webhooksPerAggregation.toFixed(1)} webhooks an aggregation`,
      kind: 'setting',
    },
    {
      name: 'HTTP API, the stage limit (syncs, reads)',
      capacity: prod.apiThrottle.rateLimit,
      need: stage,
      basis: 'routes without a limit of their own, as if on one; a limit costs nothing until used',
      kind: 'setting',
    },
    ...lambdaComponents(m.usual),
    ...provisionedComponents(prod, (part, way) =>
      (Object.keys(rates) as Unit[]).reduce(
        (n, unit) => n + rates[unit] * partUnits(units[unit], part, way),
        part === 'table' ? (turnsPerMinute / 60) * (way === 'write' ? m.dispatch.wruPerUser : m.dispatch.rruPerUser) : 0,
      ),
    ),
  ];
  const tableUnits = (field: 'wru' | 'rru') =>
    (Object.keys(rates) as Unit[]).reduce((n, unit) => n + rates[unit] * units[unit][field], 0);
  const quotas: Quota[] = [
    { name: 'Lambda concurrent executions (account, region)', need: lambdaAt(m.usual).account, default: ACCOUNT_EXECUTIONS },
    {
      name: 'API Gateway requests a second (account, region)',
      need: refreshRate + stage,
      default: API_ACCOUNT_RPS,
    },
    { name: 'DynamoDB table write units a second (with its indexes)', need: tableUnits('wru'), default: TABLE_UNITS_QUOTA },
    { name: 'DynamoDB table read units a second (with its indexes)', need: tableUnits('rru'), default: TABLE_UNITS_QUOTA },
    {
      name: 'DynamoDB partition write units a second (the hottest shared one)',
      need: hottest?.units ?? 0,
      default: PARTITION_WRITE_UNITS,
      fixed: true,
    },
    {
      name: `MX connections at once (${MX_CONNECTIONS_PER_ADDRESS.toLocaleString('en')} an address MX allow-lists; prod's ${addresses})`,
      need: mxConnections(m.usual.latencyMs),
      default: MX_CONNECTIONS_PER_ADDRESS * addresses,
    },
    {
      name: `MX data host calls a second (prod's MX_CALLS_PER_SECOND, agreed with MX)`,
      need: peakDataCalls,
      default: prod.mx.callsPerSecond,
    },
    {
      name: `MX SSO host calls a second (prod's MX_CALLS_PER_SECOND, agreed with MX)`,
      need: peakSsoCalls,
      default: prod.mx.callsPerSecond,
    },
  ];
  const tightest = components.reduce((a, b) => (a.capacity / a.need <= b.capacity / b.need ? a : b));
  const webhooksOfWave = webhooksOn ? day.aggregated * m.units.webhooksPerAggregation : 0;
  const shape: DayShape = {
    waveHours: w.waveHours,
    peakFactor: w.peakFactor,
    wave: {
      report: perDay.report,
      'report-unsynced': perDay['report-unsynced'],
      held: perDay.held,
      'mx-webhook': webhooksOfWave,
    },
    app: {
      refresh: perDay.refresh,
      'refresh-unsynced': perDay['refresh-unsynced'],
      poll: perDay.poll,
      'mx-webhook': perDay['mx-webhook'] - webhooksOfWave,
      sync: perDay.sync,
      read: perDay.read,
      'read-lapsed': day.readsOpeningSession,
    },
    even: { 'reconcile-turn': perDay['reconcile-turn'], 'read-lapsed': reconcileReads },
    turns: Object.fromEntries(heldReadUnits.map((unit) => [unit, perDay[unit]])),
    heldReadHourShares: nightReads.hourShares,
  };
  const { throughput } = prod.data;
  const cost = monthlyCost(m.units, {
    users: w.users,
    members: w.users * w.membersPerUser,
    perDay,
    throughput,
    shape,
    jobsStored: day.refreshes * jobRetentionDays('refresh') + day.aggregated * jobRetentionDays('mx_background'),
    dispatch: { ...m.dispatch },
    storedTransactions: w.users * w.syncingShare * w.membersPerUser * w.transactionsPerMemberMonth * w.month,
    logRetentionDays: prod.logRetention,
    natGateways: prod.mxEgressNatGateways,
    mxEgressAddresses: addresses + prod.mxEgressSpareAddresses,
    ...m.stack,
  });
  // What the nightly aggregations add to a month of nothing else: their reports, their webhooks, their jobs.
  const empty = {
    ...{ users: 0, members: 0, jobsStored: 0, storedTransactions: 0, natGateways: 0, mxEgressAddresses: 0, alarms: 0, queues: 0 },
    perDay: zeroUnits(),
    dispatch: { ...m.dispatch },
    logRetentionDays: prod.logRetention,
    throughput,
    shape: { ...shape, wave: {}, app: {}, even: {} },
  };
  const aggregationsOnly = monthlyCost(m.units, {
    ...empty,
    perDay: {
      ...zeroUnits(),
      report: perDay.report,
      'report-unsynced': perDay['report-unsynced'],
      'mx-webhook': webhooksOfWave,
      held: perDay.held,
      ...shape.turns,
    },
    shape: { ...empty.shape, wave: shape.wave, turns: shape.turns, heldReadHourShares: shape.heldReadHourShares },
    jobsStored: day.aggregated * jobRetentionDays('mx_background'),
  });
  const aggregationsAdd = aggregationsOnly.total - monthlyCost(m.units, empty).total;
  return {
    perDay,
    mxCalls: { relay, apps },
    relayCallsPerUserDay: total(relay),
    appCallsPerUserDay: total(apps),
    components,
    slowComponents: [...workersAt(m.slow), mxConnectionsAt(m.slow.latencyMs), ...lambdaComponents(m.slow)],
    quotas,
    ceiling: { users: (w.users * tightest.capacity) / tightest.need, component: tightest.name },
    cost,
    perMillionAggregations: (aggregationsAdd / (day.aggregated * DAYS_PER_MONTH)) * 1e6,
  };
}

const zeroUnits = (): DailyUnits => ({
  refresh: 0,
  'refresh-unsynced': 0,
  poll: 0,
  'mx-webhook': 0,
  report: 0,
  'report-unsynced': 0,
  'reconcile-turn': 0,
  sync: 0,
  read: 0,
  'read-lapsed': 0,
  held: 0,
  'held-read': 0,
  'held-read-3': 0,
  'held-read-unsynced': 0,
  'held-read-unsynced-3': 0,
});

function sumCalls(a: Record<MxCause, number>, b: Record<MxCause, number>): Record<MxCause, number> {
  return Object.fromEntries(MX_CAUSES.map((cause) => [cause, a[cause] + b[cause]])) as Record<MxCause, number>;
}

/** Each shared partition kind's hottest partition at the peak: its write units a second, hottest first. */
export function hottestPartitions(
  partitions: readonly SharedPartition[],
  rates: Record<Unit, number>,
): { index: string; kind: string; units: number }[] {
  const byKind = new Map<string, { index: string; kind: string; units: number }>();
  for (const partition of partitions) {
    const units = Object.entries(partition.perUnit).reduce((sum, [unit, n]) => sum + rates[unit as Unit] * n, 0);
    const key = `${partition.index} ${partition.kind}`;
    if (units > (byKind.get(key)?.units ?? 0)) byKind.set(key, { index: partition.index, kind: partition.kind, units });
  }
  return [...byKind.values()].sort((a, b) => b.units - a.units);
}

/**
 * A provisioned table's capacity each way: the tightest of the table's and its indexes' maxima against their need at
 * the peak. Between two steps of auto scaling, each has 100 ÷ its target of what it used (1.4× at 70 %).
 */
function provisionedComponents(
  prod: EnvironmentSettings,
  needOf: (part: 'table' | 'gsi1' | 'gsi2', way: 'write' | 'read') => number,
): Component[] {
  const { throughput } = prod.data;
  if (throughput.mode !== 'provisioned') return [];
  return (['write', 'read'] as const).map((way) => {
    const parts = (['table', 'gsi1', 'gsi2'] as const).map((part) => ({
      part,
      capacity: throughput[part][way].max,
      need: needOf(part, way),
    }));
    const tightest = parts.reduce((a, b) => (a.capacity / a.need <= b.capacity / b.need ? a : b));
    const each = parts.map((p) => `${p.part} ${p.capacity.toLocaleString('en')} for ${Math.round(p.need).toLocaleString('en')}`);
    return {
      name: `DynamoDB ${way} capacity, auto scaled (${tightest.part}'s maximum, the tightest)`,
      capacity: tightest.capacity,
      need: tightest.need,
      basis: `${each.join(', ')}; between scalings ${(100 / throughput.targetUtilizationPercent).toFixed(1)}× (target ${throughput.targetUtilizationPercent} %; it adds after 2 minutes over it)`,
      kind: 'setting' as const,
    };
  });
}
