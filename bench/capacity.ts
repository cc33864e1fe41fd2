import { type LocalEngines, startEngines } from '../infra/local/engines.ts';
import { lambdaContext } from '../infra/local/lambda-context.ts';
import { startMxSimulator } from '../sim/server.ts';
import { LEASE_MS } from '../lib/mx/call-budget.ts';
import { OUTAGE_MEMBERS, OUTAGE_MS, simulateOutage } from './capacity-outage.ts';
import { type OutageAtScaleFigures, simulateOutageAtScale } from './outage-at-scale.ts';
import { outageAtScaleChecks, outageAtScaleMethod } from './outage-at-scale-report.ts';
import { ENVIRONMENTS, type EnvironmentSettings } from '../infra/environments.ts';
import { localServicesConfig } from '../infra/local/local-services.ts';
import { relayOf } from '../infra/local/relay.ts';
import { MemberLedger } from '../lib/aggregation/member-ledger.ts';
import { MemberStatesRepository } from '../lib/aggregation/member-states-repo.ts';
import { MxHintsRepository } from '../lib/aggregation/mx-hints-repo.ts';
import { HINT_WINDOW_MS, MemberWatch } from '../lib/aggregation/member-watch.ts';
import { RECONCILE_DISPATCH_EVERY_MINUTES, ReconcileDispatcher } from '../lib/aggregation/reconcile-dispatcher.ts';
import { ReconcileRepository } from '../lib/aggregation/reconcile-repo.ts';
import { ManualClock } from '../lib/clock.ts';
import { silentLog } from '../lib/logger.ts';
import { noMetrics } from '../lib/metrics.ts';
import type { Member } from '../lib/mx/member.ts';
import { hourOf, MxPushRepository } from '../lib/aggregation/mx-push-repo.ts';
import type { ReconcileMessage } from '../lib/queue/poll-message.ts';
import { RUN_BUDGET_MS } from '../lib/compositions/reconcile-dispatch.ts';
import { tableOf } from '../lib/compositions/storage.ts';
import { installAwsMeter } from './support/aws-meter.ts';
import { type BenchResult, judge, type TargetCheck, table, withInterval } from './support/report.ts';
import { bootstrapInterval, fmt, seededRandom } from './support/stats.ts';
import { sqsRecord } from './support/sqs-record.ts';
import { installIndexCapacity } from './support/dynalite-capacity.ts';
import { MX_CAUSES, type MxCause, measureUnitCosts, NIGHTLY_CHANGES, type Unit } from './capacity-unit-costs.ts';
import {
  type Assessment,
  assess,
  atFunctionSizes,
  type Component,
  type Measured,
  type WorkerFigures,
  TURN_CONSUMER,
} from './capacity-model.ts';
import { prodStackCounts } from './capacity-stack.ts';
import { SENSITIVE, scaled, SLOW_DAY_MX_P50_MS, heldReads, WORKLOAD } from './workload.ts';
import { SESSION_REUSE_MS } from '../lib/mx/sessions.ts';

/**
 * Capacity and cost at 1M users (issue 77): the workload of bench/workload.ts, each unit of it measured here through
 * the relay's compositions, and multiplied: every component's headroom where the nightly wave meets the day's peak
 * hour, the MX calls per user a day by cause, the month's cost, and each of them at half and double each assumption.
 */
const DISPATCHED_USERS = 50_000;
/** The simulated population of the reconcile's week; the share of served users who never connected a member. */
const SIM_USERS = 500;
const USERS_WITHOUT_MEMBERS = 0.05;
const SIM_DAYS = 7;
/** MX's nightly wave: each member aggregated once between these hours (UTC), announced by its webhook. */
const WAVE = { startHour: 2, hours: WORKLOAD.waveHours };
/** A read of a user whose session has lapsed (turns are hours apart): SSO's api_token and POST /sessions. */
const SESSION_CALLS_PER_READ = 2;
const TARGETS = { headroom: 2, relayMxCallsPerUserDay: 8, monthlyUsd: 3_000, perMillionAggregationsUsd: 20 };
const SESSION_REUSE_MINUTES = SESSION_REUSE_MS / 60_000;
const OUTAGE_DRAIN_TARGET_MS = 15 * 60_000;
const HOUR = 3600_000;
const DAY = 24 * HOUR;
const progress = (line: string) => console.error(`capacity: ${line}`);

export async function run(): Promise<BenchResult> {
  installIndexCapacity();
  const engines = await startEngines();
  try {
    const config = localServicesConfig(engines, 'http://127.0.0.1:9');
    const intervalMs = config.aggregation.reconcileIntervalMinutes * 60_000;
    // The week first: the dispatch's 50,000 users, due long before it, would otherwise take every turn of it.
    const week = await simulateWeek(config, intervalMs);
    const dispatch = await measureDispatch(config, intervalMs);
    const usual = await measureWorker(engines, WORKLOAD.mxLatencyMs.p50, true);
    const slow = await measureWorker(engines, SLOW_DAY_MX_P50_MS);
    const outage = await simulateOutage(engines, ENVIRONMENTS.prod.mx.callsPerSecond);
    progress(`outage: ${JSON.stringify(outage)}`);
    const units = await measureUnitCosts(engines);
    progress(`unit costs: ${JSON.stringify(units)}`);
    const onFullCore: Measured = {
      units,
      week,
      dispatch: { ...dispatch, sqsPerUser: dispatch.sqsCallsPerUser },
      usual,
      slow,
      stack: prodStackCounts(),
    };
    const measured = atFunctionSizes(onFullCore);
    const atScale = await simulateOutageAtScale({
      workload: WORKLOAD,
      measured: { units: measured.units, week, usual: { ...measured.usual, heldBatchMs: measured.usual.heldBatchMs! } },
      settings: ENVIRONMENTS.prod,
    });
    progress(`outage at scale: ${JSON.stringify(atScale)}`);
    const prod = ENVIRONMENTS.prod;
    const on = assess(WORKLOAD, measured, prod);
    const off = assess({ ...WORKLOAD, webhooks: 'off' }, measured, prod);
    const onDemandTable = { ...prod, data: { ...prod.data, throughput: { mode: 'on-demand' as const } } };
    return report(
      on,
      off,
      measured,
      outage,
      atScale,
      assess(WORKLOAD, onFullCore, prod),
      assess(WORKLOAD, measured, onDemandTable),
      atTurnWithItsConsumer(measured, prod),
    );
  } finally {
    await engines.stop();
  }
}

const KIND_LABEL: Record<Component['kind'], string> = {
  measured: 'measured',
  setting: 'arithmetic on a prod setting',
  partner: 'a requirement on MX',
  quota: 'a quota asked of AWS',
};
const usd = (n: number) => `$${fmt(n, 0)}`;
const sumOf = (calls: Record<MxCause, number>) => MX_CAUSES.reduce((n, cause) => n + calls[cause], 0);

function report(
  on: Assessment,
  off: Assessment,
  m: Measured,
  outage: Awaited<ReturnType<typeof simulateOutage>>,
  atScale: OutageAtScaleFigures,
  fullCore: Assessment,
  onDemand: Assessment,
  atTurn: AtTurn,
): BenchResult {
  const w = WORKLOAD;
  const held = heldReads(w, 24 / m.week.turnsPerUserDay);
  const headroomCheck = (c: Component, target: number, day: string): TargetCheck => {
    const headroom = c.capacity / c.need;
    const times = (value: number) => `${fmt(value, 1)}×`;
    const interval = c.capacityInterval && { low: c.capacityInterval.low / c.need, high: c.capacityInterval.high / c.need };
    return {
      target: `${c.name}${c.name.includes('MX at') ? '' : `, ${day}`}: ≥ ${target}× what ${fmtUsers(w.users)} users need (${KIND_LABEL[c.kind]})`,
      measured: `${interval ? withInterval(times(headroom), interval, times) : times(headroom)} (${fmt(c.capacity, 0)} for ${fmt(c.need, 0)} a ${/^turns a minute/.test(c.basis) ? 'minute' : 'second'}; ${c.basis})`,
      ...(interval ? judge(headroom, interval, target, 'at least') : { met: c.capacity >= target * c.need }),
    };
  };
  /** A unit's volume a day; in parentheses, one only MX_BACKGROUND_AT_TURN makes. */
  const dayOf = (unit: keyof Assessment['perDay']) =>
    on.perDay[unit] > 0 || atTurn.perDay[unit] === 0 ? fmtUsers(on.perDay[unit]) : `(${fmtUsers(atTurn.perDay[unit])})`;
  const relayCauses = Object.entries(on.mxCalls.relay)
    .map(([cause, calls]) => `${cause} ${fmt(sumOf(calls), 2)}`)
    .join(', ');
  const checks: TargetCheck[] = [
    ...on.components.map((c) => headroomCheck(c, TARGETS.headroom, `MX at ${w.mxLatencyMs.p50} ms`)),
    ...on.slowComponents.map((c) => headroomCheck(c, 1, '')),
    {
      target: `MX down ${OUTAGE_MS / 3_600_000} h while it announces aggregations: 0 lost, 0 dead-lettered, drained ≤ ${OUTAGE_DRAIN_TARGET_MS / 60_000} min after it returns, within the budget (${OUTAGE_MEMBERS} members through worker-poll's composition; measured)`,
      measured:
        `${outage.members - outage.reached} lost (${outage.reached}/${outage.members} reached the app), ${outage.deadLettered} dead-lettered, ` +
        `drained ${outage.drainedMs === undefined ? 'not within the hour' : `in ${fmt(outage.drainedMs / 60_000, 1)} min`}, ` +
        `busiest ${LEASE_MS / 1000} s after: ${outage.busiestPeriodCalls} MX calls of ${outage.periodCalls} (${outage.waits} waits on the queue)`,
      met:
        outage.reached === outage.members &&
        outage.deadLettered === 0 &&
        outage.drainedMs !== undefined &&
        outage.drainedMs <= OUTAGE_DRAIN_TARGET_MS &&
        outage.busiestPeriodCalls <= outage.periodCalls,
    },
    ...outageAtScaleChecks(atScale),
    {
      target: `MX calls the relay makes on its own per user a day ≤ ${TARGETS.relayMxCallsPerUserDay}, MX's webhooks on (measured)`,
      measured: `${fmt(on.relayCallsPerUserDay, 1)}: ${relayCauses}`,
      met: on.relayCallsPerUserDay <= TARGETS.relayMxCallsPerUserDay,
    },
    {
      target: `MX_BACKGROUND_AT_TURN (off in prod; decision 0037): idle users' nightly reports read together, with the night's last, beside the figures without it (a setting; no target)`,
      measured: `MX calls the relay makes ${fmt(atTurn.relayCallsPerUserDay, 1)} a user a day (${fmt(on.relayCallsPerUserDay, 1)}); the month ${usd(atTurn.cost.total)} (${usd(on.cost.total)}); the MX budget ${headroomOf(atTurn, 'MX call budget')} (${headroomOf(on, 'MX call budget')}); the reconcile's consumer ${headroomOf(atTurn, TURN_CONSUMER)} at concurrency ${atTurn.reconcile} (prod's ${ENVIRONMENTS.prod.queueConcurrency.reconcile}: worker-poll reserves the difference of the account's quota); ceiling ${fmtUsers(atTurn.ceiling.users)} users (${fmtUsers(on.ceiling.users)}); per 1M aggregations ${usd(atTurn.perMillionAggregations)} (${usd(on.perMillionAggregations)})`,
      met: true,
      info: true,
    },
    {
      target: `MX calls the relay makes on its own per user a day, MX's webhooks off (no target)`,
      measured: `${fmt(off.relayCallsPerUserDay, 1)}; apps' requests add ${fmt(on.appCallsPerUserDay, 1)}`,
      met: true,
      info: true,
    },
    {
      target: `Monthly cost at ${fmtUsers(w.users)} users, month ${w.month}, everything counted, MX's webhooks on ≤ $${TARGETS.monthlyUsd.toLocaleString('en')} (measured units × the workload)`,
      measured: `${usd(on.cost.total)} (the table on-demand, not provisioned: ${usd(onDemand.cost.total)}; webhooks off: ${usd(off.cost.total)}; CPU on a full core: ${usd(fullCore.cost.total)}; the table below)`,
      met: on.cost.total <= TARGETS.monthlyUsd,
    },
    {
      target: `Cost per 1M nightly aggregations, transactions changing (${NIGHTLY_CHANGES.add} new, ${NIGHTLY_CHANGES.post} posted), webhooks on ≤ $${TARGETS.perMillionAggregationsUsd}`,
      measured: `${usd(on.perMillionAggregations)} (the table on-demand: ${usd(onDemand.perMillionAggregations)}; webhooks off: ${usd(off.perMillionAggregations)})`,
      met: on.perMillionAggregations <= TARGETS.perMillionAggregationsUsd,
    },
  ];
  const { units } = m.units;
  const tenTimes = assess(scaled(w, 'users', 10), m, ENVIRONMENTS.prod);
  const sensitivity = SENSITIVE.map((field) => {
    const [half, double] = [0.5, 2].map((factor) => assess(scaled(w, field, factor), m, ENVIRONMENTS.prod));
    return [
      `${field} (${fmt(w[field] as number, 2)})`,
      `${usd(half!.cost.total)} · ${fmtUsers(half!.ceiling.users)}`,
      `${usd(double!.cost.total)} · ${fmtUsers(double!.ceiling.users)}`,
    ];
  });
  const markdown = [
    '**Targets (issue 77):** under the workload above (bench/workload.ts), every component ≥ 2× with MX at its usual pace and ≥ 1× on its slow day; the MX calls the relay makes on its own ≤ 8 per user a day; ≤ $3,000 a month everything counted in the twelfth month; ≤ $20 per 1M aggregations with transactions changing.',
    '',
    '**Method.** Each unit of work is done 30 times through the compositions as deployed (a warm-up round first), over dynalite, fauxqs and the MX simulator answering every call in 300 ms, with every DynamoDB and SQS call metered, every MX call counted by cause, log bytes counted at INFO: ' +
      `a nightly report finds the user's session lapsed (the relay's clock ${fmt(SESSION_REUSE_MINUTES + 2, 0)} minutes on) and ${NIGHTLY_CHANGES.add} new and ${NIGHTLY_CHANGES.post} posted transactions; MX's webhooks are the ones the simulator pushed for it (its AGGREGATION webhook and one TRANSACTIONS webhook a change: ${fmt(m.units.webhooksPerAggregation, 1)} an aggregation), each taken by mx-events; ` +
      "a syncing user is brought up to date by the report, another is not; an app's sync comes hours later (its session lapsed, one ingest); its reads follow in that session; a read that opens the session is counted apart. " +
      "worker-poll's batches are timed the same way with MX at the usual and the slow day's median (their headroom's 95 % interval: the batches resampled; other rows are judged on the figure). " +
      "Times are measured on a full core; Lambda gives a function a share of a vCPU in proportion to its memory (a full one at 1,769 MB), so each unit's own CPU (V8's sampling profiler over its work, the samples of the shipped code: lib/ and the production dependencies, not the engines or the simulator sharing the process) is run that much longer in its function's time and in a batch's, its waits unchanged. The peak: the nightly wave (every aggregated member over its hours) meeting the day's busiest hour (the peak factor × the average hour) of refreshes, syncs and reads. " +
      "The reconcile's turns and reads are a simulated week of 500 users (the workload's members and their share needing the user); the dispatcher's rate is measured over 50,000 users. The unit costs are measured once; the sensitivity table changes the volumes only. " +
      "prod's table is provisioned (infra/environments.ts): its month is the capacity auto scaling keeps, hour by hour over the workload's day (the wave in its first hours, the apps' busiest hour at noon, the rest of their work spread over the others, the reconcile even), at each hour's mean rate over the target utilization, the hour before's kept 15 minutes after a fall (AWS's scale-in), between each part's bounds; each DynamoDB unit the table and its indexes took apart (their write and read units metered). " +
      `MX down ${OUTAGE_MS / 3_600_000} h: ${OUTAGE_MEMBERS} members through worker-poll's composition on an injected clock, handlers taking no simulated time. ` +
      outageAtScaleMethod(atScale),
    '',
    '**Every component where the wave meets the peak hour** (webhooks on):',
    '',
    table(
      ['component', 'kind', 'capacity', 'need', 'headroom', `MX at ${SLOW_DAY_MX_P50_MS} ms`],
      on.components.map((c) => {
        const slowOne = on.slowComponents.find((s) => s.name.split(', MX at')[0] === c.name.split(', MX at')[0]);
        return [
          c.name,
          KIND_LABEL[c.kind],
          fmt(c.capacity, 0),
          fmt(c.need, 0),
          `${fmt(c.capacity / c.need, 1)}×`,
          slowOne ? `${fmt(slowOne.capacity / slowOne.need, 1)}×` : '',
        ];
      }),
    ),
    '',
    `Ceiling: ${fmtUsers(on.ceiling.users)} users (${on.ceiling.component} full first).`,
    '',
    "**MX calls per user a day, by cause** (session: SSO's api token and POST /sessions; transactions: the ingest's lists; job: an aggregate call; read: members and the app's reads):",
    '',
    table(
      ['work', 'session', 'transactions', 'job', 'read', 'total', 'webhooks off'],
      [
        ...Object.entries(on.mxCalls.relay).map(([work, calls]) => [
          `relay: ${work}`,
          ...MX_CAUSES.map((cause) => fmt(calls[cause], 2)),
          fmt(sumOf(calls), 2),
          fmt(sumOf(off.mxCalls.relay[work]!), 2),
        ]),
        ["**the relay's own**", '', '', '', '', `**${fmt(on.relayCallsPerUserDay, 2)}**`, fmt(off.relayCallsPerUserDay, 2)],
        ...Object.entries(on.mxCalls.apps).map(([work, calls]) => [
          `apps: ${work}`,
          ...MX_CAUSES.map((cause) => fmt(calls[cause], 2)),
          fmt(sumOf(calls), 2),
          fmt(sumOf(off.mxCalls.apps[work]!), 2),
        ]),
      ],
    ),
    '',
    `**Idle users read with the night's last** (MX_BACKGROUND_AT_TURN, off in prod: a user nobody is using learns of MX's background aggregations as MX ends its last member of the night, or up to 1.75 reconcile intervals after the first if MX skips one; decision 0037). The wave's reports are held; the one that brings in every member last seen \`CONNECTED\` is read at once with them, and a reconcile turn reads what has waited three quarters of an interval: ${fmt(held.perUser, 2)} reads a user a night (${fmt(
      held.turn.reduce((a, b) => a + b, 0),
      2,
    )} of them at a turn) for ${fmt(w.membersPerUser * (1 - w.needingUserShare), 1)} reports (arithmetic, sampled: each member aggregated at an even time of the wave's ${w.waveHours} h, a turn every ${fmt(24 / m.week.turnsPerUserDay, 0)} h at a phase of the user's own), a read of k members linear between the reads of 1 and of 3 measured (units \`held-read\`…), at the reads' busiest hour. The relay's own MX calls a user a day, and each component it changes, beside the figure without it:`,
    '',
    table(
      ['work', 'session', 'transactions', 'job', 'read', 'total'],
      [
        ...Object.entries(atTurn.mxCalls.relay).map(([work, calls]) => [
          `relay: ${work}`,
          ...MX_CAUSES.map((cause) => fmt(calls[cause], 2)),
          fmt(sumOf(calls), 2),
        ]),
        [
          "**the relay's own**",
          '',
          '',
          '',
          '',
          `**${fmt(atTurn.relayCallsPerUserDay, 2)}** (${fmt(on.relayCallsPerUserDay, 2)})`,
        ],
      ],
    ),
    '',
    table(
      ['component', 'capacity', 'need', 'headroom', 'without it'],
      atTurn.components
        .filter((c) => {
          const before = on.components.find((o) => o.name === c.name);
          return !before || Math.abs(before.need - c.need) > 0.005 * c.need;
        })
        .map((c) => {
          const before = on.components.find((o) => o.name === c.name);
          return [
            c.name,
            fmt(c.capacity, 0),
            fmt(c.need, 0),
            `${fmt(c.capacity / c.need, 1)}×`,
            before ? `${fmt(before.capacity / before.need, 1)}×` : '',
          ];
        }),
    ),
    '',
    `The month ${usd(atTurn.cost.total)} (${usd(on.cost.total)}); ceiling ${fmtUsers(atTurn.ceiling.users)} users (${atTurn.ceiling.component} full first).`,
    '',
    "**Per unit, measured here** (Lambda ms at the function's memory: the wall time on a full core, the functions' own CPU in it run at the function's share of a vCPU; that CPU on a full core; DynamoDB units with indexes, SQS requests, log bytes at INFO, deliveries queued, MX calls), and the workload's units a day (in parentheses: with MX_BACKGROUND_AT_TURN):",
    '',
    table(
      ['unit', 'a day', 'Lambda ms', 'CPU ms', 'WRU', 'RRU', 'SQS', 'log bytes', 'deliveries', 'MX calls'],
      (Object.entries(units) as [Unit, (typeof units)[Unit]][]).map(([name, u]) => [
        `${name} (${u.function})`,
        name in on.perDay ? dayOf(name as keyof typeof on.perDay) : '',
        fmt(u.lambdaMs, 0),
        fmt(u.cpuMs, 2),
        fmt(u.wru, 1),
        fmt(u.rru, 1),
        fmt(u.sqsRequests, 2),
        fmt(u.logBytes, 0),
        fmt(u.deliveries, 2),
        fmt(sumOf(u.mxCalls), 2),
      ]),
    ),
    '',
    "**Where a unit's write units go** (per unit of work, the table's items by partition and sort key kind, and each index's entries; the five largest):",
    '',
    table(
      ['unit', 'write units', 'largest'],
      WRITES_SHOWN.map((unit) => {
        const byItem = Object.entries(m.units.writesByItem[unit] ?? {}).sort(([, a], [, b]) => b - a);
        return [
          unit,
          fmt(units[unit].wru, 1),
          byItem
            .slice(0, 5)
            .map(([item, wru]) => `\`${item}\` ${fmt(wru, 1)}`)
            .join(', '),
        ];
      }),
    ),
    '',
    `Stored bytes: ${Object.entries(m.units.itemBytes)
      .map(([kind, bytes]) => `${kind} ${fmt(bytes, 0)}`)
      .join(
        ', ',
      )}. The reconcile's week: ${fmt(m.week.turnsPerUserDay, 2)} turns, ${fmt(m.week.readsPerUserDay, 3)} reads and ${fmt(m.week.mxCallsPerUserDay, 2)} MX calls per user a day; the dispatcher ${fmt(m.dispatch.usersPerSecond, 0)} users/s.`,
    '',
    `**The month** (month ${w.month}, MX's webhooks on; off in the last column):`,
    '',
    table(
      ['item', '$ a month', 'basis', 'webhooks off'],
      [
        ...on.cost.lines.map((line, i) => [line.item, fmt(line.usd, 0), line.basis, fmt(off.cost.lines[i]!.usd, 0)]),
        ['**total**', `**${fmt(on.cost.total, 0)}**`, '', `**${fmt(off.cost.total, 0)}**`],
      ],
    ),
    '',
    `**Quotas** at the peak, at ${fmtUsers(w.users)} users and at ten times as many (ask for twice what is in use; a fixed limit cannot be raised: the design must spread the load instead):`,
    '',
    table(
      [
        'quota',
        'default',
        `in use at ${fmtUsers(w.users)}`,
        `ask for at ${fmtUsers(w.users)}`,
        `in use at ${fmtUsers(10 * w.users)}`,
        `ask for at ${fmtUsers(10 * w.users)}`,
      ],
      on.quotas.map((q, i) => {
        const tenfold = tenTimes.quotas[i]!;
        const ask = (need: number) =>
          q.fixed ? (2 * need <= q.default ? 'within it' : 'over it: shard') : 2 * need <= q.default ? '—' : fmt(2 * need, 0);
        return [q.name, fmt(q.default, 0), fmt(q.need, 0), ask(q.need), fmt(tenfold.need, 0), ask(tenfold.need)];
      }),
    ),
    '',
    "**Half and double each assumption** (the month's cost · the ceiling in users; webhooks on):",
    '',
    table(['assumption (as above)', '× 0.5', '× 2'], sensitivity),
  ].join('\n');
  return { id: 'capacity', title: '8. Capacity at 1M users', markdown, checks };
}

/** The units whose writes are shown item by item: the ones the month's writes are made of. */
const WRITES_SHOWN: readonly Unit[] = [
  'report',
  'report-unsynced',
  'held',
  'held-read-3',
  'refresh',
  'sync',
  'read-lapsed',
  'delivery',
  'mx-webhook',
];

/**
 * MX_BACKGROUND_AT_TURN as an operator would turn it on: with the reconcile queue's concurrency raised, if its turns and
 * reads need it, to the 2× target (the setting and its figure say so).
 */
function atTurnWithItsConsumer(measured: Measured, prod: EnvironmentSettings): AtTurn {
  const first = assess(WORKLOAD, measured, prod, { atTurn: true });
  const consumer = first.components.find((c) => c.name.startsWith(TURN_CONSUMER))!;
  const needed = Math.ceil((TARGETS.headroom * prod.queueConcurrency.reconcile * consumer.need) / consumer.capacity);
  const reconcile = Math.max(prod.queueConcurrency.reconcile, needed);
  const settings = { ...prod, queueConcurrency: { ...prod.queueConcurrency, reconcile } };
  return { ...assess(WORKLOAD, measured, settings, { atTurn: true }), reconcile };
}
type AtTurn = Assessment & { reconcile: number };

/** A component's headroom in an assessment, by the start of its name. */
const headroomOf = (a: Assessment, name: string) => {
  const c = a.components.find((component) => component.name.startsWith(name));
  return c ? `${fmt(c.capacity / c.need, 1)}×` : 'not used';
};
const fmtUsers = (n: number) => (n >= 1e6 ? `${fmt(n / 1e6, 2)}M` : n >= 1e3 ? `${fmt(n / 1e3, 0)}k` : fmt(n, 0));

/** One dispatcher run over DISPATCHED_USERS due users, timed and metered. */
async function measureDispatch(config: ReturnType<typeof localServicesConfig>, intervalMs: number) {
  const tableRef = tableOf(config);
  const schedule = new ReconcileRepository(tableRef);
  // After the week's clock (the reconcile walks forward in time only): its 500 users are walked with these.
  const t0 = Date.UTC(2027, 0, 15);
  const ids = Array.from({ length: DISPATCHED_USERS }, (_, i) => `cap-${i}`);
  for (let i = 0; i < ids.length; i += 50) {
    // As an app's request puts a user on the cycle (served_at kept).
    await Promise.all(ids.slice(i, i + 50).map((userId) => schedule.serve(userId, t0)));
  }
  progress(`enrolled ${ids.length} users`);
  const clock = new ManualClock(t0 + intervalMs + 60_000);
  // The reconcile-dispatch composition, its pace lifted: runs (each within its time budget) until every user is sent.
  const lifted = { ...config, aggregation: { ...config.aggregation, reconcileTurnsPerMinute: 100_000 } };
  const { dispatcher } = relayOf(lifted, { clock }).reconcileDispatch;
  let dynamoCalls = 0;
  let sqsCalls = 0;
  const units = { wru: 0, rru: 0 };
  const meter = installAwsMeter({
    dynamo: (call) => {
      dynamoCalls++;
      units[call.write ? 'wru' : 'rru'] += call.units;
    },
    sqs: () => void sqsCalls++,
  });
  const started = performance.now();
  let sent = 0;
  let runs = 0;
  for (; sent < DISPATCHED_USERS && runs < 20; runs++) sent += (await dispatcher.dispatch()).sent;
  const seconds = (performance.now() - started) / 1000;
  meter.restore();
  progress(`dispatched ${sent} in ${runs} runs, ${seconds.toFixed(1)} s`);
  if (sent < DISPATCHED_USERS) throw new Error(`dispatched ${sent} of ${DISPATCHED_USERS}`);
  const usersPerSecond = sent / seconds;
  return {
    users: sent,
    runs,
    seconds,
    usersPerSecond,
    // A run every RECONCILE_DISPATCH_EVERY_MINUTES, each working at most RUN_BUDGET_MS.
    usersPerMinute: (usersPerSecond * RUN_BUDGET_MS) / 1000 / RECONCILE_DISPATCH_EVERY_MINUTES,
    dynamoCallsPerUser: dynamoCalls / sent,
    sqsCallsPerUser: sqsCalls / sent,
    wruPerUser: units.wru / sent,
    rruPerUser: units.rru / sent,
  };
}

/** A week of the reconcile with MX's webhooks working, on an injected clock: its turns, reads and MX calls. */
async function simulateWeek(config: ReturnType<typeof localServicesConfig>, intervalMs: number) {
  const tableRef = tableOf(config);
  const schedule = new ReconcileRepository(tableRef);
  const states = new MemberStatesRepository(tableRef);
  const pushes = new MxPushRepository(tableRef);
  const t0 = Date.UTC(2026, 11, 1);
  const clock = new ManualClock(t0);
  let seed = 55;
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;

  // MX's side: each member's status and latest aggregation.
  const mx = new Map<string, Member[]>();
  for (let u = 0; u < SIM_USERS; u++) {
    const userId = `week-${u}`;
    const members: Member[] =
      random() < USERS_WITHOUT_MEMBERS
        ? []
        : Array.from(
            { length: WORKLOAD.membersPerUser },
            (_, m) =>
              ({
                guid: `MBR-week-${u}-${m}`,
                user_guid: `USR-week-${u}`,
                connection_status: random() < WORKLOAD.needingUserShare ? 'DENIED' : 'CONNECTED',
                is_being_aggregated: false,
                aggregated_at: new Date(t0 - DAY + WAVE.startHour * HOUR + random() * WAVE.hours * HOUR).toISOString(),
              }) as Member,
          );
    mx.set(userId, members);
    // Enrolled some time in the last interval; yesterday's wave seen as the relay records it.
    await schedule.serve(userId, t0 - intervalMs);
    for (const member of members) {
      await states.record(userId, member.guid, 0, {
        connectionStatus: member.connection_status,
        statusSeq: 0,
        aggregatedAt: member.aggregated_at,
        now: t0,
      });
    }
  }
  // Each night's wave, in time order: [at, userId, member].
  const wave: [number, string, Member][] = [];
  for (let day = 0; day < SIM_DAYS + 1; day++) {
    for (const [userId, members] of mx) {
      for (const member of members) {
        if (member.connection_status !== 'CONNECTED') continue;
        wave.push([t0 + day * DAY + WAVE.startHour * HOUR + random() * WAVE.hours * HOUR, userId, member]);
      }
    }
  }
  wave.sort((a, b) => a[0] - b[0]);
  progress(`week: ${SIM_USERS} users set up, ${wave.length} aggregations to announce`);

  const turns: ReconcileMessage[] = [];
  const dispatcher = new ReconcileDispatcher({
    schedule,
    pushes,
    queue: { scheduleAll: async (messages) => void turns.push(...messages) },
    intervalMs,
    inactiveAfterMs: config.aggregation.reconcileInactiveDays * DAY,
    turnsPerMinute: config.aggregation.reconcileTurnsPerMinute,
    periodMs: RECONCILE_DISPATCH_EVERY_MINUTES * 60_000,
    budgetMs: Number.POSITIVE_INFINITY,
    clock,
    log: silentLog,
    metrics: noMetrics,
  });
  const counted = { turns: 0, reads: 0, lists: 0, readsByReason: {} as Record<string, number> };
  const metrics = {
    add(name: string, _value: number, dimensions: Record<string, string>) {
      if (name !== 'ReconcileTurns' || clock.now() < t0 + DAY) return;
      counted.turns++;
      if (dimensions.decision === 'read') {
        counted.reads++;
        counted.readsByReason[dimensions.reason!] = (counted.readsByReason[dimensions.reason!] ?? 0) + 1;
      }
    },
  } as never;
  const ledger = new MemberLedger({ states, events: { publish: async () => {} }, clock, log: silentLog, metrics: noMetrics });
  const watch = new MemberWatch({
    states,
    nexus: {
      listMembers: async (userId) => {
        if (clock.now() >= t0 + DAY) counted.lists++;
        return mx.get(userId) ?? [];
      },
      readMember: async () => {
        throw new Error('not read in this simulation');
      },
    },
    reconcileIntervalMs: intervalMs,
    reads: schedule,
    served: schedule,
    hints: new MxHintsRepository(tableRef),
    hintReads: { schedule: async () => {} },
    jobs: { get: async () => undefined, latestForMember: async () => undefined },
    refresh: { follow: async () => ({ job: { id: 'job_none', step: 0 } as never, joined: true }) },
    poll: { handle: async () => {} },
    jobEnds: { together: (_userId, work) => work() },
    ledger,
    clock,
    log: silentLog,
    metrics,
  });

  let next = 0;
  // Every 10 simulated minutes rather than 2: turns are hours apart, and dynalite would take hours.
  const stepMs = 10 * 60_000;
  for (let now = t0; now < t0 + (SIM_DAYS + 1) * DAY; now += stepMs) {
    clock.set(now);
    // MX's aggregations up to now, each announced: its report records it (MemberWatch.aggregationReported's claim).
    let announced = 0;
    for (; next < wave.length && wave[next]![0] <= now; next++) {
      const [at, userId, member] = wave[next]!;
      member.aggregated_at = new Date(at).toISOString();
      await states.claimAggregation(userId, member.guid, { aggregatedAt: member.aggregated_at, jobId: `job_${next}`, now: at });
      announced++;
    }
    if (announced > 0) await pushes.add(hourOf(now), { pushes: 0, ends: 0, background: announced }, now);
    await dispatcher.dispatch();
    await Promise.all(turns.splice(0).map((turn) => watch.reconcileTurn(turn.reconcile)));
    if ((now - t0) % DAY === 0) progress(`week: day ${(now - t0) / DAY} begins`);
  }
  const userDays = SIM_USERS * SIM_DAYS;
  return {
    turnsPerUserDay: counted.turns / userDays,
    readsPerUserDay: counted.reads / userDays,
    mxCallsPerUserDay: (counted.lists + SESSION_CALLS_PER_READ * counted.reads) / userDays,
    readsByReason: counted.readsByReason,
  };
}

/** Batches of ten measured per kind and latency, each as Lambda hands one to an invocation. */
const WORKER_BATCHES = 4;
const BATCH_SIZE = 10;

/**
 * worker-poll's batch times, as deployed: its composition handling batches of ten SQS records, over dynalite, fauxqs
 * and the MX simulator answering every call `latencyMs` late. Poll steps of jobs still aggregating (sessions warm);
 * nightly reports of aggregations MX ran on its own hours after the users' last call (their sessions lapsed, the users
 * syncing, NIGHTLY_CHANGES made), each a hint, then the read of the user it schedules (the member list, each member
 * taken as MX lists it: a job opened and ended, the user's transactions brought up to date). With `held`, the same
 * reads again with MX failing and worker-poll's breaker open: the handler's own part of a read.
 */
async function measureWorker(engines: LocalEngines, latencyMs: number, held = false): Promise<WorkerFigures> {
  const simulator = await startMxSimulator({ log: () => {} });
  try {
    const config = localServicesConfig(engines, simulator.url, {
      MX_CALLS_PER_SECOND: String(ENVIRONMENTS.prod.mx.callsPerSecond),
    });
    // The relay's clock runs ahead of the simulator's: its sessions lapse between the day and the night.
    let ahead = 0;
    const relay = relayOf(config, { clock: { now: () => Date.now() + ahead } });
    const control = async (path: string, body: unknown) => {
      const answer = await fetch(`${simulator.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
      if (!answer.ok) throw new Error(`simulator ${path}: ${answer.status} ${await answer.text()}`);
      return (await answer.json()) as { member: { guid: string } };
    };
    const count = WORKER_BATCHES * BATCH_SIZE;
    const member = async (kind: string, i: number, durationMs: number, changes = { add: 0, update: 0, post: 0 }) => {
      const userId = `cap-${kind}-${latencyMs}-${i}`;
      const { member } = await control('/_sim/members', {
        user_id: userId,
        use_cases: ['PFM'],
        aggregation: { duration_ms: durationMs, final_status: 'CONNECTED', transactions: changes },
      });
      return { userId, memberGuid: member.guid };
    };
    // Jobs still aggregating an hour on: each poll step reads one and schedules the next.
    const polled = await Promise.all(Array.from({ length: count }, (_, i) => member('poll', i, HOUR)));
    const jobs = [];
    for (const m of polled) jobs.push((await relay.apiRefresh.refresh.refresh(m)).job);
    // Members of syncing users, whose apps synced in the day; MX aggregates them on its own at night.
    const reported = await Promise.all(Array.from({ length: count }, (_, i) => member('report', i, 1, NIGHTLY_CHANGES)));
    for (const m of reported) await relay.apiRead.transactions.sync(m.userId, { count: 100 });
    for (const m of reported) await control(`/_sim/members/${m.memberGuid}/background_aggregation`, {});
    await new Promise((resolve) => setTimeout(resolve, 100));

    await control('/_sim/faults', { latency_ms: latencyMs });
    const { handler } = relay.workerPoll;
    const sampled = new Map<string, number[]>();
    const batchMs = async (queue: string, bodies: unknown[], samples?: string) => {
      const times: number[] = [];
      if (samples) sampled.set(samples, times);
      for (let b = 0; b < bodies.length; b += BATCH_SIZE) {
        const event = {
          Records: bodies.slice(b, b + BATCH_SIZE).map((body, i) => sqsRecord(queue, `${b + i}`, JSON.stringify(body))),
        };
        const started = performance.now();
        const { batchItemFailures } = await handler(event as never, lambdaContext('worker-poll'));
        times.push(performance.now() - started);
        if (batchItemFailures.length > 0) throw new Error(`${queue}: ${batchItemFailures.length} messages failed`);
      }
      return median(times);
    };
    const now = Date.now() + ahead;
    const pollBatchMs = await batchMs(
      'poll',
      jobs.map((job) => ({ job_id: job.id, step: job.step, due_at: now })),
      'poll',
    );
    // The night: hours after the users' last call.
    ahead += SESSION_REUSE_MS + 2 * 60_000;
    const night = Date.now() + ahead;
    // A report is a hint (no MX call); the read of the user it schedules on the same queue is its work at MX: a
    // report costs both messages.
    const hintBatchMs = await batchMs(
      'member-reports',
      reported.map(({ userId, memberGuid }) => ({
        member_report: { kind: 'aggregation', member_guid: memberGuid, user_id: userId, is_background: true },
        due_at: night,
      })),
      'hint',
    );
    ahead += HINT_WINDOW_MS;
    const readBatchMs = await batchMs(
      'member-reports',
      reported.map(({ userId }) => ({ mx_hints: { user_id: userId }, due_at: night + HINT_WINDOW_MS })),
      'read',
    );
    const reportBatchMs = hintBatchMs + readBatchMs;
    // The batches resampled (a report's two batches apart): how far this run's noise moves each batch time.
    const medianOf = (name: string) => (draw: <T>(sample: readonly T[]) => T[]) => median(draw(sampled.get(name)!));
    const intervals = {
      pollBatchMs: bootstrapInterval(medianOf('poll'), seededRandom(latencyMs)),
      reportBatchMs: bootstrapInterval((draw) => medianOf('hint')(draw) + medianOf('read')(draw), seededRandom(latencyMs + 1)),
    };
    progress(`worker at MX ${latencyMs} ms: poll batch ${fmt(pollBatchMs, 0)} ms, report batch ${fmt(reportBatchMs, 0)} ms`);
    if (!held) return { latencyMs, pollBatchMs, reportBatchMs, intervals };
    // MX failing at once (a Retry-After past the retry budget: no retries): a first batch of reads opens the breaker, the
    // next ones are held, each sent back to wait on its queue.
    await control('/_sim/faults', { error_rate: 1, status: 503, retry_after_s: 3_600 });
    ahead += 60_000;
    const down = Date.now() + ahead;
    await batchMs(
      'member-reports',
      reported.map(({ userId, memberGuid }) => ({
        member_report: { kind: 'aggregation', member_guid: memberGuid, user_id: userId, is_background: true },
        due_at: down,
      })),
    );
    ahead += HINT_WINDOW_MS;
    const reads = reported.map(({ userId }) => ({ mx_hints: { user_id: userId }, due_at: down + HINT_WINDOW_MS }));
    await batchMs('member-reports', reads.slice(0, BATCH_SIZE));
    const heldBatchMs = await batchMs('member-reports', reads.slice(BATCH_SIZE));
    progress(`worker, MX's calls held: a batch of reads ${fmt(heldBatchMs, 0)} ms`);
    return { latencyMs, pollBatchMs, reportBatchMs, heldBatchMs, intervals };
  } finally {
    await simulator.close();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
