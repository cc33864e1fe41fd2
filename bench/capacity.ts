import { type LocalEngines, startEngines } from '../infra/local/engines.ts';
import { lambdaContext } from '../infra/local/lambda-context.ts';
import { startMxSimulator } from '../sim/server.ts';
import { simulateOutage } from './capacity-outage.ts';
import { simulateOutageAtScale } from './outage-at-scale.ts';
import { ENVIRONMENTS } from '../infra/environments.ts';
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
import type { BenchResult } from './support/report.ts';
import { bootstrapInterval, fmt, seededRandom } from './support/stats.ts';
import { sqsRecord } from './support/sqs-record.ts';
import { installIndexCapacity } from './support/dynalite-capacity.ts';
import { measureUnitCosts, NIGHTLY_CHANGES } from './capacity-unit-costs.ts';
import { assess, atFunctionSizes, type Measured, type WorkerFigures } from './capacity-model.ts';
import { prodStackCounts } from './capacity-stack.ts';
import { capacityReport } from './capacity-report.ts';
import { SLOW_DAY_MX_P50_MS, WORKLOAD } from './workload.ts';
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
    // On engines of their own: dynalite slows as it fills (DynamoDB does not), and the phases above filled these.
    const unitEngines = await startEngines();
    const units = await measureUnitCosts(unitEngines).finally(() => unitEngines.stop());
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
    // Decision 0037's setting the other way round, to show beside prod's figures.
    const other = assess(WORKLOAD, measured, { ...prod, mxBackgroundAtTurn: !prod.mxBackgroundAtTurn });
    const off = assess({ ...WORKLOAD, webhooks: 'off' }, measured, prod);
    const onDemandTable = { ...prod, data: { ...prod.data, throughput: { mode: 'on-demand' as const } } };
    return capacityReport({
      prod,
      on,
      off,
      measured,
      outage,
      atScale,
      fullCore: assess(WORKLOAD, onFullCore, prod),
      onDemand: assess(WORKLOAD, measured, onDemandTable),
      other,
    });
  } finally {
    await engines.stop();
  }
}

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
