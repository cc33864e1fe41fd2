import { LEASE_MS } from '../lib/mx/call-budget.ts';
import { SESSION_REUSE_MS } from '../lib/mx/sessions.ts';
import type { EnvironmentSettings } from '../infra/environments.ts';
import { OUTAGE_MEMBERS, OUTAGE_MS, type OutageFigures } from './capacity-outage.ts';
import type { OutageAtScaleFigures } from './outage-at-scale.ts';
import { outageAtScaleChecks, outageAtScaleMethod } from './outage-at-scale-report.ts';
import { type Assessment, assess, type Component, type Measured, TURN_CONSUMER } from './capacity-model.ts';
import { PLATFORM_LOG_BYTES } from './capacity-cost.ts';
import { MX_CAUSES, type MxCause, NIGHTLY_CHANGES, type Unit } from './capacity-unit-costs.ts';
import { type BenchResult, judge, type TargetCheck, table, withInterval } from './support/report.ts';
import { fmt } from './support/stats.ts';
import { SENSITIVE, scaled, SLOW_DAY_MX_P50_MS, heldReads, WORKLOAD } from './workload.ts';

const TARGETS = { headroom: 2, relayMxCallsPerUserDay: 8, monthlyUsd: 3_000, perMillionAggregationsUsd: 20 };
const SESSION_REUSE_MINUTES = SESSION_REUSE_MS / 60_000;
const OUTAGE_DRAIN_TARGET_MS = 15 * 60_000;

const KIND_LABEL: Record<Component['kind'], string> = {
  measured: 'measured',
  setting: 'arithmetic on a prod setting',
  partner: 'a requirement on MX',
  quota: 'a quota asked of AWS',
};
const usd = (n: number) => `$${fmt(n, 0)}`;
const sumOf = (calls: Record<MxCause, number>) => MX_CAUSES.reduce((n, cause) => n + calls[cause], 0);

/** What section 8 reports: prod's assessments (MX's webhooks on and off, and the variants beside them) and its runs. */
export interface CapacityFigures {
  /** The stack assessed: prod's settings. */
  prod: EnvironmentSettings;
  on: Assessment;
  off: Assessment;
  measured: Measured;
  outage: OutageFigures;
  atScale: OutageAtScaleFigures;
  /** CPU on a full core, not the functions' share. */
  fullCore: Assessment;
  /** The table on-demand, not provisioned. */
  onDemand: Assessment;
  /** MX_BACKGROUND_AT_TURN the other way round. */
  other: Assessment;
}

/**
 * BENCHMARKS.md section 8 from the figures measured and assessed: its Summary rows and its tables.
 *
 * @example
 * const result = capacityReport({ prod, on, off, measured, outage, atScale, fullCore, onDemand, other });
 */
export function capacityReport({
  prod,
  on,
  off,
  measured: m,
  outage,
  atScale,
  fullCore,
  onDemand,
  other,
}: CapacityFigures): BenchResult {
  const w = WORKLOAD;
  const [state, otherState] = prod.mxBackgroundAtTurn ? ['on', 'off'] : ['off', 'on'];
  const setting = `MX_BACKGROUND_AT_TURN ${otherState}`;
  const held = heldReads(w, 24 / m.week.turnsPerUserDay);
  const headroomCheck = (c: Component, target: number, day: string): TargetCheck => {
    const headroom = c.capacity / c.need;
    const interval = c.capacityInterval && { low: c.capacityInterval.low / c.need, high: c.capacityInterval.high / c.need };
    return {
      target: `${c.name}${c.name.includes('MX at') ? '' : `, ${day}`}: ≥ ${target}× what ${fmtUsers(w.users)} users need (${KIND_LABEL[c.kind]})`,
      measured: `${interval ? withInterval(times(headroom), interval, times) : times(headroom)} (${fmt(c.capacity, 0)} for ${fmt(c.need, 0)} ${c.measure ?? 'a second'}; ${c.basis})`,
      ...(interval ? judge(headroom, interval, target, 'at least') : { met: c.capacity >= target * c.need }),
    };
  };
  /** A unit's volume a day; in parentheses, one only the setting the other way makes. */
  const dayOf = (unit: keyof Assessment['perDay']) =>
    on.perDay[unit] > 0 || other.perDay[unit] === 0 ? fmtUsers(on.perDay[unit]) : `(${fmtUsers(other.perDay[unit])})`;
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
      measured: `${fmt(on.relayCallsPerUserDay, 1)}: ${relayCauses} (${setting}: ${fmt(other.relayCallsPerUserDay, 1)})`,
      met: on.relayCallsPerUserDay <= TARGETS.relayMxCallsPerUserDay,
    },
    {
      target: `MX_BACKGROUND_AT_TURN (${state} in prod; decision 0037): idle users' nightly reports read together, with the night's last; the figures with it ${otherState} beside prod's (a setting; no target)`,
      measured: `${setting}: MX calls the relay makes ${fmt(other.relayCallsPerUserDay, 1)} a user a day (${fmt(on.relayCallsPerUserDay, 1)}); the month ${usd(other.cost.total)} (${usd(on.cost.total)}); the data host's MX budget ${headroomOf(other, 'MX call budget, data host')} (${headroomOf(on, 'MX call budget, data host')}); the reconcile's consumer of turns and held reads at concurrency ${prod.queueConcurrency.reconcile} ${headroomOf(other, TURN_CONSUMER)} (${headroomOf(on, TURN_CONSUMER)}); ceiling ${fmtUsers(other.ceiling.users)} users (${fmtUsers(on.ceiling.users)}); per 1M aggregations ${usd(other.perMillionAggregations)} (${usd(on.perMillionAggregations)})`,
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
      measured: `${usd(on.cost.total)} (the table on-demand, not provisioned: ${usd(onDemand.cost.total)}; webhooks off: ${usd(off.cost.total)}; CPU on a full core: ${usd(fullCore.cost.total)}; ${setting}: ${usd(other.cost.total)}; the table below)`,
      met: on.cost.total <= TARGETS.monthlyUsd,
    },
    {
      target: `Cost per 1M nightly aggregations, transactions changing (${NIGHTLY_CHANGES.add} new, ${NIGHTLY_CHANGES.post} posted), webhooks on ≤ $${TARGETS.perMillionAggregationsUsd}`,
      measured: `${usd(on.perMillionAggregations)} (the table on-demand: ${usd(onDemand.perMillionAggregations)}; webhooks off: ${usd(off.perMillionAggregations)}; ${setting}: ${usd(other.perMillionAggregations)})`,
      met: on.perMillionAggregations <= TARGETS.perMillionAggregationsUsd,
    },
  ];
  const { units } = m.units;
  const tenTimes = assess(scaled(w, 'users', 10), m, prod);
  const sensitivity = SENSITIVE.map((field) => {
    const [half, double] = [0.5, 2].map((factor) => assess(scaled(w, field, factor), m, prod));
    return [
      `${field} (${fmt(w[field] as number, 2)})`,
      `${usd(half!.cost.total)} · ${fmtUsers(half!.ceiling.users)}`,
      `${usd(double!.cost.total)} · ${fmtUsers(double!.ceiling.users)}`,
    ];
  });
  const markdown = [
    '**Targets (issue 77):** under the workload above (bench/workload.ts), every component ≥ 2× with MX at its usual pace and ≥ 1× on its slow day; the MX calls the relay makes on its own ≤ 8 per user a day; ≤ $3,000 a month everything counted in the twelfth month; ≤ $20 per 1M aggregations with transactions changing.',
    '',
    `**Method.** Each unit of work is done 30 times through the compositions as deployed (a warm-up round first), over dynalite, fauxqs and the MX simulator answering every call in 300 ms, with every DynamoDB and SQS call metered, every MX call counted by cause, log bytes counted at INFO (the functions' lines, and an app's request's access log line as API Gateway writes it; Lambda's own start and report lines, ${fmt(PLATFORM_LOG_BYTES, 0)} bytes an invocation, priced with them): apps' refreshes, syncs and reads through their functions' handlers as API Gateway hands them, MX's webhooks through mx-events' at its function URL; ` +
      `a nightly report finds the user's session lapsed (the relay's clock ${fmt(SESSION_REUSE_MINUTES + 2, 0)} minutes on) and ${NIGHTLY_CHANGES.add} new and ${NIGHTLY_CHANGES.post} posted transactions; MX's webhooks are the ones the simulator pushed for it (its AGGREGATION webhook and one TRANSACTIONS webhook a change: ${fmt(m.units.webhooksPerAggregation, 1)} an aggregation), each taken by mx-events; ` +
      "a syncing user is brought up to date by the report, another is not; an app's sync comes hours later (its session lapsed, one ingest); its reads follow in that session, each at another api-read container (at scale a user's next request seldom reaches the container of its last: the session comes from the table, its data key from KMS); a read that opens the session is counted apart. Secrets are sealed under KMS as deployed, a stand-in counting its requests. " +
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
          times(c.capacity / c.need),
          slowOne ? times(slowOne.capacity / slowOne.need) : '',
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
        // Works of one only (reports held with MX's webhooks on, read at once without them) show a blank in the other.
        ...[...new Set([...Object.keys(on.mxCalls.relay), ...Object.keys(off.mxCalls.relay)])].map((work) => {
          const [calls, offCalls] = [on.mxCalls.relay[work], off.mxCalls.relay[work]];
          return [
            `relay: ${work}`,
            ...MX_CAUSES.map((cause) => (calls ? fmt(calls[cause], 2) : '')),
            calls ? fmt(sumOf(calls), 2) : '',
            offCalls ? fmt(sumOf(offCalls), 2) : '',
          ];
        }),
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
    `**Idle users read with the night's last** (MX_BACKGROUND_AT_TURN, ${state} in prod: a user nobody is using learns of MX's background aggregations as MX ends its last member of the night, or up to 1.75 reconcile intervals after the first if MX skips one; decision 0037). The wave's reports are held; the one that brings in every member last seen \`CONNECTED\` is read at once with them, and a reconcile turn reads what has waited three quarters of an interval: ${fmt(held.perUser, 2)} reads a user a night (${fmt(
      held.turn.reduce((a, b) => a + b, 0),
      2,
    )} of them at a turn) for ${fmt(w.membersPerUser * (1 - w.needingUserShare), 1)} reports (arithmetic, sampled: each member aggregated at an even time of the wave's ${w.waveHours} h, a turn every ${fmt(24 / m.week.turnsPerUserDay, 0)} h at a phase of the user's own), a read of k members linear between the reads of 1 and of 3 measured (units \`held-read\`…), at the reads' busiest hour. With it ${otherState}, the relay's own MX calls a user a day, and each component that changes, beside prod's figure:`,
    '',
    table(
      ['work', 'session', 'transactions', 'job', 'read', 'total'],
      [
        ...Object.entries(other.mxCalls.relay).map(([work, calls]) => [
          `relay: ${work}`,
          ...MX_CAUSES.map((cause) => fmt(calls[cause], 2)),
          fmt(sumOf(calls), 2),
        ]),
        ["**the relay's own**", '', '', '', '', `**${fmt(other.relayCallsPerUserDay, 2)}** (${fmt(on.relayCallsPerUserDay, 2)})`],
      ],
    ),
    '',
    table(
      ['component', 'capacity', 'need', 'headroom', 'prod'],
      [
        ...other.components
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
              times(c.capacity / c.need),
              before ? times(before.capacity / before.need) : '—',
            ];
          }),
        // Prod's own (the held reads' consumers with it on): not a component the other way.
        ...on.components
          .filter((c) => !other.components.some((o) => o.name === c.name))
          .map((c) => [c.name, '', '', '—', times(c.capacity / c.need)]),
      ],
    ),
    '',
    `The month ${usd(other.cost.total)} (${usd(on.cost.total)}); ceiling ${fmtUsers(other.ceiling.users)} users (${other.ceiling.component} full first).`,
    '',
    `**Per unit, measured here** (Lambda ms at the function's memory: the wall time on a full core, the functions' own CPU in it run at the function's share of a vCPU; that CPU on a full core; DynamoDB units with indexes, SQS requests, log bytes at INFO, deliveries queued, MX calls), and the workload's units a day (in parentheses: only with MX_BACKGROUND_AT_TURN ${otherState}):`,
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

/** A headroom, rounded down: never shown as more than it is (0.95 is not 1.0×). */
const times = (ratio: number) => `${fmt(Math.floor(ratio * 10) / 10, 1)}×`;

/** A component's headroom in an assessment, by the start of its name. */
const headroomOf = (a: Assessment, name: string) => {
  const c = a.components.find((component) => component.name.startsWith(name));
  return c ? times(c.capacity / c.need) : '—';
};
const fmtUsers = (n: number) => (n >= 1e6 ? `${fmt(n / 1e6, 2)}M` : n >= 1e3 ? `${fmt(n / 1e3, 0)}k` : fmt(n, 0));
