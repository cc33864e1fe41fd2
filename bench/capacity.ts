import { startEngines } from '../infra/local/engines.ts';
import { ENVIRONMENTS } from '../infra/environments.ts';
import { localServicesConfig } from '../infra/local/local-services.ts';
import { relayOf } from '../infra/local/relay.ts';
import { MemberLedger } from '../lib/aggregation/member-ledger.ts';
import { MemberStatesRepository } from '../lib/aggregation/member-states-repo.ts';
import { MemberWatch } from '../lib/aggregation/member-watch.ts';
import { RECONCILE_DISPATCH_EVERY_MINUTES, ReconcileDispatcher } from '../lib/aggregation/reconcile-dispatcher.ts';
import { ReconcileRepository } from '../lib/aggregation/reconcile-repo.ts';
import { ManualClock } from '../lib/clock.ts';
import { silentLog } from '../lib/logger.ts';
import { noMetrics } from '../lib/metrics.ts';
import type { Member } from '../lib/mx/member.ts';
import { hourOf, MxPushRepository } from '../lib/mx-events/mx-push-repo.ts';
import type { ReconcileMessage } from '../lib/queue/poll-message.ts';
import { RUN_BUDGET_MS } from '../lib/compositions/reconcile-dispatch.ts';
import { tableOf } from '../lib/compositions/storage.ts';
import { installAwsMeter } from './support/aws-meter.ts';
import { type BenchResult, type TargetCheck, table } from './support/report.ts';
import { fmt } from './support/stats.ts';

/**
 * Capacity at 1M users and 3M members (issue 55), each component's figure computed from the prod environment's
 * settings and from per-message costs measured in this run. So far: the reconcile — its dispatcher's rate through
 * dynalite and fauxqs, and the MX calls it makes per user per day with MX's webhooks working, over a simulated week.
 */
const USERS_AT_SCALE = 1_000_000;
const DISPATCHED_USERS = 50_000;
/** The simulated population: users, members per user, and the share of members needing their user at any time. */
const SIM_USERS = 500;
const MEMBERS_PER_USER = 3;
/** Served users who never connected a member (a widget URL made, nothing connected). */
const USERS_WITHOUT_MEMBERS = 0.05;
const NEEDING_USER = 0.03;
const SIM_DAYS = 7;
/** MX's nightly wave: each member aggregated once between these hours (UTC), announced by its webhook. */
const WAVE = { startHour: 2, hours: 6 };
/** A read of a user whose session has lapsed (turns are hours apart): SSO's api_token and POST /sessions. */
const SESSION_CALLS_PER_READ = 2;
const TARGETS = { headroom: 2, mxCallsPerUserDay: 2 };
const HOUR = 3600_000;
const DAY = 24 * HOUR;
const progress = (line: string) => console.error(`capacity: ${line}`);

export async function run(): Promise<BenchResult> {
  const engines = await startEngines();
  try {
    const config = localServicesConfig(engines, 'http://127.0.0.1:9');
    const intervalMs = config.aggregation.reconcileIntervalMinutes * 60_000;
    // The week first: the dispatch's 50,000 users, due long before it, would otherwise take every turn of it.
    const week = await simulateWeek(config, intervalMs);
    const dispatch = await measureDispatch(config, intervalMs);

    const prod = ENVIRONMENTS.prod;
    const turnsPerMinuteAtScale = (USERS_AT_SCALE * (1440 / (intervalMs / 60_000))) / 1440;
    const settingHeadroom = prod.reconcileTurnsPerMinute / turnsPerMinuteAtScale;
    const dispatcherHeadroom = dispatch.usersPerMinute / turnsPerMinuteAtScale;
    const checks: TargetCheck[] = [
      {
        target: `Reconcile dispatcher: ≥ ${TARGETS.headroom}× the turns 1M users need (${fmt(turnsPerMinuteAtScale, 0)} a minute)`,
        measured: `${fmt(dispatcherHeadroom, 1)}× (${fmt(dispatch.usersPerMinute, 0)} a minute: ${fmt(dispatch.usersPerSecond, 0)} users/s through dynalite and fauxqs, ${RUN_BUDGET_MS / 1000} s of work per ${RECONCILE_DISPATCH_EVERY_MINUTES}-minute run)`,
        met: dispatcherHeadroom >= TARGETS.headroom,
      },
      {
        target: `Reconcile pace, prod RECONCILE_TURNS_PER_MINUTE: ≥ ${TARGETS.headroom}× the turns 1M users need`,
        measured: `${fmt(settingHeadroom, 1)}× (${prod.reconcileTurnsPerMinute} a minute)`,
        met: settingHeadroom >= TARGETS.headroom,
      },
      {
        target: `MX calls the relay makes on its own (the reconcile) per user per day ≤ ${TARGETS.mxCallsPerUserDay}, webhooks working`,
        measured: `${fmt(week.mxCallsPerUserDay, 2)} (${fmt(week.readsPerUserDay, 3)} reads per user per day)`,
        met: week.mxCallsPerUserDay <= TARGETS.mxCallsPerUserDay,
      },
    ];
    const markdown = [
      '**Targets (issue 55):** every component ≥ 2× headroom at 1M users and 3M members with the prod settings; MX calls ' +
        'the relay makes on its own ≤ 2 per user per day on average, MX’s webhooks working.',
      '',
      `**Method.** (1) ${DISPATCHED_USERS.toLocaleString('en')} users on the reconcile’s schedule in dynalite, all due; ` +
        'runs of the dispatcher (the `reconcile-dispatch` composition, its pace lifted; each stops taking pages after its ' +
        `${RUN_BUDGET_MS / 1000} s budget) send their turns to the fauxqs poll queue and book each; users per second = users ÷ ` +
        'the runs’ wall time; a minute’s capacity = that × the budget ÷ the period. Turns 1M users need = 1M × ' +
        `(1440 ÷ RECONCILE_INTERVAL_MINUTES = ${intervalMs / 60_000}) a day. ` +
        `(2) A simulated week on an injected clock: ${SIM_USERS} users, ${fmt(100 * (1 - USERS_WITHOUT_MEMBERS), 0)} % with ` +
        `${MEMBERS_PER_USER} members (the rest served but never connected), ${fmt(100 * NEEDING_USER, 0)} % of members in a ` +
        `status needing their user throughout; MX aggregates every other member once a night between ${WAVE.startHour}:00 and ` +
        `${WAVE.startHour + WAVE.hours}:00 UTC and announces it (its report records the aggregation, as mx-events → ` +
        'worker-poll does; the push counters see it). The dispatcher runs every 10 minutes of simulated time (every ' +
        `${RECONCILE_DISPATCH_EVERY_MINUTES} deployed; turns are hours apart) over dynalite; each turn is taken by MemberWatch as ` +
        'worker-poll takes it, MX answering the member list from the simulated state. MX calls = list calls + ' +
        `${SESSION_CALLS_PER_READ} per read to make the lapsed session; the first day (turns spreading) is left out.`,
      '',
      table(
        ['measure', 'value'],
        [
          ['dispatcher: users dispatched (runs)', `${dispatch.users} (${dispatch.runs})`],
          ['dispatcher: run, s', fmt(dispatch.seconds, 1)],
          ['dispatcher: users/s', fmt(dispatch.usersPerSecond, 0)],
          ['dispatcher: DynamoDB calls per user', fmt(dispatch.dynamoCallsPerUser, 3)],
          ['dispatcher: SQS requests per user', fmt(dispatch.sqsCallsPerUser, 3)],
          ['week: turns per user per day', fmt(week.turnsPerUserDay, 2)],
          ['week: reads per user per day', fmt(week.readsPerUserDay, 3)],
          ['week: MX calls per user per day', fmt(week.mxCallsPerUserDay, 2)],
          [
            'week: reads by reason',
            Object.entries(week.readsByReason)
              .map(([reason, n]) => `${reason} ${n}`)
              .join(', '),
          ],
        ],
      ),
    ].join('\n');
    return { id: 'capacity', title: '8. Capacity at 1M users', markdown, checks };
  } finally {
    await engines.stop();
  }
}

/** One dispatcher run over DISPATCHED_USERS due users, timed and metered. */
async function measureDispatch(config: ReturnType<typeof localServicesConfig>, intervalMs: number) {
  const tableRef = tableOf(config);
  const schedule = new ReconcileRepository(tableRef);
  const t0 = Date.UTC(2026, 10, 25);
  const ids = Array.from({ length: DISPATCHED_USERS }, (_, i) => `cap-${i}`);
  for (let i = 0; i < ids.length; i += 50) {
    await Promise.all(ids.slice(i, i + 50).map((userId) => schedule.enroll(userId, t0, t0 + intervalMs)));
  }
  progress(`enrolled ${ids.length} users`);
  const clock = new ManualClock(t0 + intervalMs + 60_000);
  // The reconcile-dispatch composition, its pace lifted: runs (each within its time budget) until every user is sent.
  const lifted = { ...config, aggregation: { ...config.aggregation, reconcileTurnsPerMinute: 100_000 } };
  const { dispatcher } = relayOf(lifted, { clock }).reconcileDispatch;
  let dynamoCalls = 0;
  let sqsCalls = 0;
  const meter = installAwsMeter({ dynamo: () => void dynamoCalls++, sqs: () => void sqsCalls++ });
  const started = performance.now();
  let sent = 0;
  let runs = 0;
  for (; sent < DISPATCHED_USERS && runs < 20; runs++) sent += (await dispatcher.dispatch()).sent;
  const seconds = (performance.now() - started) / 1000;
  meter.restore();
  progress(`dispatched ${sent} in ${runs} runs, ${seconds.toFixed(1)} s`);
  if (sent !== DISPATCHED_USERS) throw new Error(`dispatched ${sent} of ${DISPATCHED_USERS}`);
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
            { length: MEMBERS_PER_USER },
            (_, m) =>
              ({
                guid: `MBR-week-${u}-${m}`,
                user_guid: `USR-week-${u}`,
                connection_status: random() < NEEDING_USER ? 'DENIED' : 'CONNECTED',
                is_being_aggregated: false,
                aggregated_at: new Date(t0 - DAY + WAVE.startHour * HOUR + random() * WAVE.hours * HOUR).toISOString(),
              }) as Member,
          );
    mx.set(userId, members);
    // Enrolled some time in the last interval; yesterday's wave seen as the relay records it.
    await schedule.enroll(userId, t0 - intervalMs, t0 - random() * intervalMs + intervalMs);
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
    jobs: { get: async () => undefined, latestForMember: async () => undefined },
    refresh: { follow: async () => ({ job: { id: 'job_none', step: 0 } as never, joined: true }) },
    poll: { handle: async () => {} },
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
