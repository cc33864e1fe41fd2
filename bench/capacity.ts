import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { type LocalEngines, startEngines } from '../infra/local/engines.ts';
import { lambdaContext } from '../infra/local/lambda-context.ts';
import { startMxSimulator } from '../sim/server.ts';
import { LEASE_MS } from '../lib/mx/call-budget.ts';
import { OUTAGE_MEMBERS, OUTAGE_MS, simulateOutage } from './capacity-outage.ts';
import { ENVIRONMENTS } from '../infra/environments.ts';
import { localServicesConfig } from '../infra/local/local-services.ts';
import { relayOf } from '../infra/local/relay.ts';
import { MemberLedger } from '../lib/aggregation/member-ledger.ts';
import { MemberStatesRepository } from '../lib/aggregation/member-states-repo.ts';
import { MxHintsRepository } from '../lib/aggregation/mx-hints-repo.ts';
import { MemberWatch } from '../lib/aggregation/member-watch.ts';
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
import { type BenchResult, type TargetCheck, table } from './support/report.ts';
import { fmt } from './support/stats.ts';
import { sqsRecord } from './support/sqs-record.ts';
import { installIndexCapacity } from './support/dynalite-capacity.ts';
import { measureUnitCosts, type SharedPartition, type Unit } from './capacity-unit-costs.ts';
import { DELIVERY_LOG_SHARDS } from '../lib/store/table.ts';
import { type MonthAtScale, monthlyCost } from './capacity-cost.ts';
import { prodStackCounts } from './capacity-stack.ts';

/**
 * Capacity at 1M users and 3M members (issue 55), each component's figure computed from the prod environment's
 * settings and from per-message costs measured in this run: the reconcile (its dispatcher's rate through dynalite and
 * fauxqs; the MX calls it makes per user per day with MX's webhooks working, over a simulated week), worker-poll's
 * poll steps and member reports with MX answering in 300 ms and in 2 s, and the MX call budget at the peak.
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
const TARGETS = { headroom: 2, mxCallsPerUserDay: 2, monthlyUsd: 3_000, subscriptionDeliveries: 3_000 };
/** DynamoDB's limit on one partition, of the table or of an index: write units a second. */
const PARTITION_WRITE_UNITS = 1_000;
/** Assumed for the month's cost: MX's webhooks end most refreshes at their first poll; a member's transactions. */
const EXTRA_POLLS_PER_REFRESH = 1;
const TRANSACTIONS_PER_MEMBER_MONTH = 40;
const MONTHS_OF_TRANSACTIONS = 12;
/**
 * The load at 1M users and 3M members (the issue's model): MX aggregates each member once a night over WAVE.hours,
 * each announced and reported; 1M refreshes a day with a peak hour ten times the average, each polled up to
 * POLLS_PER_REFRESH times (dense polling, MX's webhooks off: the scale benchmark's worst).
 */
const MEMBERS_AT_SCALE = 3_000_000;
const REFRESHES_PER_DAY = 1_000_000;
const PEAK_FACTOR = 10;
const POLLS_PER_REFRESH = 5;
const UNIT_COUNT_NOTE =
  '30 of each through the compositions, each user’s second (the first a warm-up), MX answering in 300 ms, the app in 100 ms';
const REFRESH_ROUTE = 'POST /users/{user_id}/members/{member_guid}/refresh';
const MX_WEBHOOK_ROUTE = 'POST /mx/webhooks';
/** Lambda's default quota of concurrent executions per account and region (no raise assumed). */
const ACCOUNT_EXECUTIONS = 1_000;
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
    const workers: WorkerFigures[] = [];
    for (const latencyMs of MX_LATENCIES_MS) workers.push(await measureWorker(engines, latencyMs));
    const [usual, slow] = workers as [WorkerFigures, WorkerFigures];
    const outage = await simulateOutage(engines, ENVIRONMENTS.prod.mx.callsPerSecond);
    progress(`outage: ${JSON.stringify(outage)}`);
    const unitCosts = await measureUnitCosts(engines);
    progress(`unit costs: ${JSON.stringify(unitCosts)}`);
    const stackCounts = prodStackCounts();
    const month: MonthAtScale = {
      users: USERS_AT_SCALE,
      members: MEMBERS_AT_SCALE,
      refreshesPerDay: REFRESHES_PER_DAY,
      extraPollsPerRefresh: EXTRA_POLLS_PER_REFRESH,
      turnsPerUserDay: week.turnsPerUserDay,
      dispatch: {
        wruPerUser: dispatch.wruPerUser,
        rruPerUser: dispatch.rruPerUser,
        sqsPerUser: dispatch.sqsCallsPerUser,
        usersPerSecond: dispatch.usersPerSecond,
      },
      transactionsPerMemberMonth: TRANSACTIONS_PER_MEMBER_MONTH,
      monthsOfTransactions: MONTHS_OF_TRANSACTIONS,
      logRetentionDays: ENVIRONMENTS.prod.logRetention,
      natGateways: ENVIRONMENTS.prod.mxEgressNatGateways,
      ...stackCounts,
    };
    const cost = monthlyCost(unitCosts, month);

    const prod = ENVIRONMENTS.prod;
    const turnsPerMinuteAtScale = (USERS_AT_SCALE * (1440 / (intervalMs / 60_000))) / 1440;
    const settingHeadroom = prod.reconcileTurnsPerMinute / turnsPerMinuteAtScale;
    const dispatcherHeadroom = dispatch.usersPerMinute / turnsPerMinuteAtScale;
    const refreshesPerSecond = (REFRESHES_PER_DAY / 86_400) * PEAK_FACTOR;
    const pollsPerSecond = refreshesPerSecond * POLLS_PER_REFRESH;
    const reportsPerSecond = MEMBERS_AT_SCALE / (WAVE.hours * 3600);
    const perSecond = (concurrency: number, batchMs: number) => (concurrency * BATCH_SIZE * 1000) / batchMs;
    const { queueConcurrency } = prod;
    const capacityOf = (w: WorkerFigures) => ({
      polls: perSecond(queueConcurrency.poll, w.pollBatchMs),
      reports: perSecond(queueConcurrency['member-reports'], w.reportBatchMs),
    });
    const usualCapacity = capacityOf(usual);
    const slowCapacity = capacityOf(slow);
    // The wave meeting the day's peak hour: every kind of call at once.
    const peakMxCalls =
      refreshesPerSecond * usual.mxCallsPerRefresh +
      pollsPerSecond * usual.mxCallsPerPoll +
      reportsPerSecond * usual.mxCallsPerReport;
    // Deliveries at the peak: each kind of work's events at its peak rate, one webhook subscribed to all.
    const peakDeliveries =
      refreshesPerSecond * unitCosts.units.refresh.deliveries + reportsPerSecond * unitCosts.units.report.deliveries;
    const deliveryCapacity = perSecond(queueConcurrency.delivery, unitCosts.deliveryBatchMs);
    // The HTTP API's route limits, and what reaches each route where the wave meets the peak hour: every refresh, and
    // MX's webhook of every aggregation (its own and the refreshes').
    const refreshRoute = prod.routeThrottles[REFRESH_ROUTE]!.rateLimit;
    const webhookRoute = prod.routeThrottles[MX_WEBHOOK_ROUTE]!.rateLimit;
    const mxWebhooksPerSecond = reportsPerSecond + refreshesPerSecond;
    // Lambda: executions in use at that peak (rate × measured time; a batch of ten per worker execution) against the
    // account's, and each API function's against its reservation.
    const { units } = unitCosts;
    const refreshExecutions = (refreshesPerSecond * units.refresh.lambdaMs) / 1000;
    const executions =
      refreshExecutions +
      (mxWebhooksPerSecond * units['mx-webhook'].lambdaMs) / 1000 +
      (pollsPerSecond * usual.pollBatchMs) / BATCH_SIZE / 1000 +
      (reportsPerSecond * usual.reportBatchMs) / BATCH_SIZE / 1000 +
      (peakDeliveries * unitCosts.deliveryBatchMs) / BATCH_SIZE / 1000;
    // DynamoDB: the writes at that peak on each partition work shares (shards, counters, a webhook's log): each kind of
    // work's rate × the units it spent there per unit, measured. A user's, job's or member's own are that one's work.
    const peakRates: Record<Unit, number> = {
      refresh: refreshesPerSecond,
      poll: pollsPerSecond,
      'mx-webhook': mxWebhooksPerSecond,
      report: reportsPerSecond,
      'reconcile-turn': turnsPerMinuteAtScale / 60,
      delivery: peakDeliveries,
      transaction: 0,
    };
    const hottest = hottestPartitions(unitCosts.sharedPartitions, peakRates);
    const hottestUnits = hottest[0]?.units ?? 0;
    // One subscription to every event: its log over DELIVERY_LOG_SHARDS partitions of the table and of GSI1, and the
    // workers it may take all of.
    const { deliveryLogWru } = unitCosts;
    const logCapacity = (DELIVERY_LOG_SHARDS * PARTITION_WRITE_UNITS) / Math.max(deliveryLogWru.table, deliveryLogWru.gsi1);
    const subscriptionCapacity = Math.min(logCapacity, deliveryCapacity);
    const checks: TargetCheck[] = [
      {
        target: `worker-poll, poll steps (prod concurrency ${queueConcurrency.poll}), MX at ${usual.latencyMs} ms: ≥ ${TARGETS.headroom}× ${fmt(pollsPerSecond, 0)}/s`,
        measured: `${fmt(usualCapacity.polls / pollsPerSecond, 1)}× (${fmt(usualCapacity.polls, 0)}/s: a batch of ${BATCH_SIZE} in ${fmt(usual.pollBatchMs, 0)} ms)`,
        met: usualCapacity.polls >= TARGETS.headroom * pollsPerSecond,
      },
      {
        target: `worker-poll, member reports (prod concurrency ${queueConcurrency['member-reports']}), MX at ${usual.latencyMs} ms: ≥ ${TARGETS.headroom}× ${fmt(reportsPerSecond, 0)}/s`,
        measured: `${fmt(usualCapacity.reports / reportsPerSecond, 1)}× (${fmt(usualCapacity.reports, 0)}/s: a batch of ${BATCH_SIZE} in ${fmt(usual.reportBatchMs, 0)} ms)`,
        met: usualCapacity.reports >= TARGETS.headroom * reportsPerSecond,
      },
      {
        target: `MX down ${OUTAGE_MS / 3_600_000} h while it announces aggregations: 0 lost, 0 dead-lettered, drained ≤ ${OUTAGE_DRAIN_TARGET_MS / 60_000} min after it returns, within the budget`,
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
      {
        target: `MX call budget (prod ${prod.mx.callsPerSecond}/s): ≥ ${TARGETS.headroom}× the calls of the wave meeting the peak hour`,
        measured: `${fmt(prod.mx.callsPerSecond / peakMxCalls, 1)}× (${fmt(peakMxCalls, 0)} calls/s: refreshes, polls and reports at the MX calls each made here)`,
        met: prod.mx.callsPerSecond >= TARGETS.headroom * peakMxCalls,
      },
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
        target: `Monthly cost at 1M users ≤ $${TARGETS.monthlyUsd.toLocaleString('en')}, everything counted`,
        measured: `$${fmt(cost.total, 0)} ($${fmt(cost.total / USERS_AT_SCALE, 4)} a user; the table below)`,
        met: cost.total <= TARGETS.monthlyUsd,
      },
      {
        target: `worker-deliver (prod concurrency ${queueConcurrency.delivery}): ≥ ${TARGETS.headroom}× the deliveries of the wave meeting the peak hour`,
        measured: `${fmt(deliveryCapacity / peakDeliveries, 1)}× (${fmt(deliveryCapacity, 0)}/s: a batch of ${BATCH_SIZE} in ${fmt(unitCosts.deliveryBatchMs, 0)} ms; ${fmt(peakDeliveries, 0)}/s needed)`,
        met: deliveryCapacity >= TARGETS.headroom * peakDeliveries,
      },
      {
        target: `DynamoDB (${PARTITION_WRITE_UNITS.toLocaleString('en')} write units a second a partition): ≥ ${TARGETS.headroom}× the writes on the hottest partition work shares, at that peak`,
        measured: hottest[0]
          ? `${fmt(PARTITION_WRITE_UNITS / hottestUnits, 1)}× (${hottest[0].index} \`${hottest[0].kind}\`: ${fmt(hottestUnits, 0)} units/s; the table below)`
          : 'no shared partition written',
        met: hottestUnits * TARGETS.headroom <= PARTITION_WRITE_UNITS,
      },
      {
        target: `One subscription to every event: ≥ ${TARGETS.subscriptionDeliveries.toLocaleString('en')} deliveries a second`,
        measured:
          `${fmt(subscriptionCapacity, 0)}/s: its log ${fmt(logCapacity, 0)}/s (${DELIVERY_LOG_SHARDS} shards; a delivery ` +
          `${fmt(deliveryLogWru.table, 1)} table and ${fmt(deliveryLogWru.gsi1, 1)} GSI1 write units), worker-deliver ${fmt(deliveryCapacity, 0)}/s`,
        met: subscriptionCapacity >= TARGETS.subscriptionDeliveries,
      },
      {
        target: `HTTP API (prod route limits): ≥ ${TARGETS.headroom}× the refreshes and the MX webhooks where the wave meets the peak hour`,
        measured: `refresh ${fmt(refreshRoute / refreshesPerSecond, 1)}× (${refreshRoute} rps for ${fmt(refreshesPerSecond, 0)}), MX webhooks ${fmt(webhookRoute / mxWebhooksPerSecond, 1)}× (${webhookRoute} rps for ${fmt(mxWebhooksPerSecond, 0)})`,
        met: Math.min(refreshRoute / refreshesPerSecond, webhookRoute / mxWebhooksPerSecond) >= TARGETS.headroom,
      },
      {
        target: `Lambda (account ${ACCOUNT_EXECUTIONS.toLocaleString('en')} concurrent executions; api-refresh reserves ${prod.reservedConcurrency['api-refresh']}): ≥ ${TARGETS.headroom}× the executions in use at that peak`,
        measured: `account ${fmt(ACCOUNT_EXECUTIONS / executions, 1)}× (${fmt(executions, 0)} in use: refreshes, MX webhooks, poll steps, reports, deliveries at their measured times), api-refresh ${fmt(prod.reservedConcurrency['api-refresh']! / refreshExecutions, 1)}× (${fmt(refreshExecutions, 0)})`,
        met:
          Math.min(ACCOUNT_EXECUTIONS / executions, prod.reservedConcurrency['api-refresh']! / refreshExecutions) >=
          TARGETS.headroom,
      },
      {
        target: `MX calls the relay makes on its own (the reconcile) per user per day ≤ ${TARGETS.mxCallsPerUserDay}, webhooks working`,
        measured: `${fmt(week.mxCallsPerUserDay, 2)} (${fmt(week.readsPerUserDay, 3)} reads per user per day)`,
        met: week.mxCallsPerUserDay <= TARGETS.mxCallsPerUserDay,
      },
    ];
    const markdown = [
      '**Targets (issue 55):** every component ≥ 2× headroom at 1M users and 3M members with the prod settings; MX calls ' +
        'the relay makes on its own ≤ 2 per user per day on average, MX’s webhooks working; one subscription ≥ 3,000 ' +
        'deliveries a second (issue 56).',
      '',
      `**Method.** (1) ${DISPATCHED_USERS.toLocaleString('en')} users on the reconcile’s cycle in dynalite (and the week’s below), a whole ` +
        'interval behind: runs of the dispatcher (the `reconcile-dispatch` composition, its pace lifted; each stops taking pages after its ' +
        `${RUN_BUDGET_MS / 1000} s budget) walk every slot, send the turns to the fauxqs reconcile queue and move each shard’s cursor a page at a time; users per second = users ÷ ` +
        'the runs’ wall time; a minute’s capacity = that × the budget ÷ the period. Turns 1M users need = 1M × ' +
        `(1440 ÷ RECONCILE_INTERVAL_MINUTES = ${intervalMs / 60_000}) a day. ` +
        `(2) A simulated week on an injected clock: ${SIM_USERS} users, ${fmt(100 * (1 - USERS_WITHOUT_MEMBERS), 0)} % with ` +
        `${MEMBERS_PER_USER} members (the rest served but never connected), ${fmt(100 * NEEDING_USER, 0)} % of members in a ` +
        `status needing their user throughout; MX aggregates every other member once a night between ${WAVE.startHour}:00 and ` +
        `${WAVE.startHour + WAVE.hours}:00 UTC and announces it (its report records the aggregation, as mx-events → ` +
        'worker-poll does; the push counters see it). The dispatcher runs every 10 minutes of simulated time (every ' +
        `${RECONCILE_DISPATCH_EVERY_MINUTES} deployed; turns are hours apart) over dynalite; each turn is taken by MemberWatch as ` +
        'worker-poll takes it, MX answering the member list from the simulated state. MX calls = list calls + ' +
        `${SESSION_CALLS_PER_READ} per read to make the lapsed session; the first day (turns spreading) is left out. ` +
        `(3) worker-poll's composition handed ${WORKER_BATCHES} batches of ${BATCH_SIZE} records of each kind, as Lambda ` +
        'hands them, over dynalite, fauxqs and the MX simulator answering every call (SSO and sessions included) ' +
        `${MX_LATENCIES_MS.join(' or ')} ms late: poll steps of jobs still aggregating, and reports of aggregations MX ran ` +
        'on its own (each opens a job and ends it, the transactions brought up to date); users’ sessions warm. A ' +
        'kind’s rate = its prod queue concurrency × 10 ÷ a batch’s median time. The load (assumed, the issue’s model): ' +
        `${REFRESHES_PER_DAY.toLocaleString('en')} refreshes a day, the peak hour ${PEAK_FACTOR}× the average, each polled up to ` +
        `${POLLS_PER_REFRESH} times; ${MEMBERS_AT_SCALE.toLocaleString('en')} members aggregated by MX over ${WAVE.hours} h. ` +
        'The MX calls at the peak take the calls each kind made here: a refresh with its session made, a poll step, a report. ' +
        `(4) MX down ${OUTAGE_MS / 3_600_000} h on an injected clock (the relay’s and the simulator’s), every call answered 503, while it ` +
        `aggregates ${OUTAGE_MEMBERS} members on its own, each announced to mx-events at a random moment; worker-poll’s queues ` +
        'held with SQS’s rules as deployed (delays, a 180 s visibility timeout after a failed receive, the DLQ at the fifth ' +
        'receive), handed to its composition in batches each 5 s of simulated time; a member reached the app when its job ' +
        'ended `succeeded`. Handlers take no simulated time: the drain measures the waits, the figures above the throughput.',
      '',
      table(
        ['measure', 'value'],
        [
          ...workers.flatMap((w) => [
            [
              `worker-poll at MX ${w.latencyMs} ms: poll step batch of ${BATCH_SIZE}, ms (MX calls each)`,
              `${fmt(w.pollBatchMs, 0)} (${fmt(w.mxCallsPerPoll, 2)})`,
            ],
            [
              `worker-poll at MX ${w.latencyMs} ms: member report batch of ${BATCH_SIZE} and its hint reads, ms (MX calls each)`,
              `${fmt(w.reportBatchMs, 0)} (${fmt(w.mxCallsPerReport, 2)})`,
            ],
          ]),
          [
            `poll steps/s at prod concurrency, MX at ${usual.latencyMs} / ${slow.latencyMs} ms (needed ${fmt(pollsPerSecond, 0)})`,
            `${fmt(usualCapacity.polls, 0)} / ${fmt(slowCapacity.polls, 0)}`,
          ],
          [
            `member reports/s at prod concurrency, MX at ${usual.latencyMs} / ${slow.latencyMs} ms (needed ${fmt(reportsPerSecond, 0)})`,
            `${fmt(usualCapacity.reports, 0)} / ${fmt(slowCapacity.reports, 0)}`,
          ],
          [
            'MX calls per refresh (session made), per poll step, per report',
            `${fmt(usual.mxCallsPerRefresh, 2)}, ${fmt(usual.mxCallsPerPoll, 2)}, ${fmt(usual.mxCallsPerReport, 2)}`,
          ],
          ['dispatcher: users dispatched (runs)', `${dispatch.users} (${dispatch.runs})`],
          ['dispatcher: run, s', fmt(dispatch.seconds, 1)],
          ['dispatcher: users/s', fmt(dispatch.usersPerSecond, 0)],
          ['dispatcher: DynamoDB calls per user', fmt(dispatch.dynamoCallsPerUser, 3)],
          ['dispatcher: SQS requests per user', fmt(dispatch.sqsCallsPerUser, 3)],
          ['worker-deliver: batch of 10 deliveries, ms (the endpoint answering at once)', fmt(unitCosts.deliveryBatchMs, 0)],
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
      '',
      `**The month at 1M users** (${fmt(cost.total, 0)} $): ${REFRESHES_PER_DAY.toLocaleString('en')} refreshes a day, each ` +
        `ending at its first poll plus ${EXTRA_POLLS_PER_REFRESH} poll step more; ${MEMBERS_AT_SCALE.toLocaleString('en')} members ` +
        'aggregated by MX each night, each announced by its webhook and reported; the reconcile’s turns as in the week above; ' +
        'one webhook subscribed to every event; every user’s app syncing transactions, ' +
        `${TRANSACTIONS_PER_MEMBER_MONTH} a member a month, ${MONTHS_OF_TRANSACTIONS} months of them stored (assumed). Per unit, ` +
        `measured here (${UNIT_COUNT_NOTE}): Lambda time, DynamoDB units (indexes included), SQS requests, log bytes at INFO, ` +
        'bytes sent to the app, deliveries queued; stored bytes per job, delivery, member, user and transaction; alarms and ' +
        'polled queues counted in the prod template. App reads other than the sync (GET routes) are the apps’ own and left out.',
      '',
      table(
        ['unit', 'Lambda ms', 'WRU', 'RRU', 'SQS', 'log bytes', 'deliveries'],
        Object.entries(unitCosts.units).map(([name, u]) => [
          `${name} (${u.function})`,
          fmt(u.lambdaMs, 0),
          fmt(u.wru, 1),
          fmt(u.rru, 1),
          fmt(u.sqsRequests, 2),
          fmt(u.logBytes, 0),
          fmt(u.deliveries, 2),
        ]),
      ),
      '',
      `**DynamoDB partitions at that peak.** The partitions work shares, by kind (its hottest partition): each kind of ` +
        'work’s rate at the peak above × the write units it spent there per unit of work, measured here (dynalite’s count, ' +
        'indexes as DynamoDB charges them, by partition). A kind is shared when a kind of work wrote fewer of its partitions ' +
        'than it did units of work.',
      '',
      table(
        ['partition', 'write units/s', `headroom (${PARTITION_WRITE_UNITS.toLocaleString('en')}/s)`],
        hottest
          .slice(0, 8)
          .map((p) => [`${p.index} \`${p.kind}\``, fmt(p.units, 0), `${fmt(PARTITION_WRITE_UNITS / p.units, 1)}×`]),
      ),
      '',
      `Stored bytes: ${Object.entries(unitCosts.itemBytes)
        .map(([kind, bytes]) => `${kind} ${fmt(bytes, 0)}`)
        .join(', ')}.`,
      '',
      table(
        ['item', '$ a month', 'basis'],
        [...cost.lines.map((line) => [line.item, fmt(line.usd, 0), line.basis]), ['**total**', `**${fmt(cost.total, 0)}**`, '']],
      ),
    ].join('\n');
    return { id: 'capacity', title: '8. Capacity at 1M users', markdown, checks };
  } finally {
    await engines.stop();
  }
}

/** Each shared partition kind's hottest partition at the peak: its write units a second, hottest first. */
function hottestPartitions(
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

/** MX answering in each of these (the simulator's `latency_ms` on every call, SSO and sessions included). */
const MX_LATENCIES_MS = [300, 2_000] as const;
/** Batches of ten measured per kind and latency, each as Lambda hands one to an invocation. */
const WORKER_BATCHES = 4;
const BATCH_SIZE = 10;

interface WorkerFigures {
  latencyMs: number;
  /** A batch's wall time (its ten messages handled at once, as worker-poll does), median over the batches. */
  pollBatchMs: number;
  /** A batch of reports plus a batch of the hint reads they schedule (the MX reads a report stands for). */
  reportBatchMs: number;
  mxCallsPerRefresh: number;
  mxCallsPerPoll: number;
  mxCallsPerReport: number;
}

/**
 * worker-poll's per-message costs, as deployed: its composition handling batches of ten SQS records, over dynalite,
 * fauxqs and the MX simulator answering every call `latencyMs` late. Poll steps of jobs still aggregating (sessions
 * warm); reports of aggregations MX ran on its own, each a hint, then the read of the user it schedules (the member
 * list, each member taken as MX lists it: a job opened and ended, transactions brought up to date).
 */
async function measureWorker(engines: LocalEngines, latencyMs: number): Promise<WorkerFigures> {
  const simulator = await startMxSimulator({ log: () => {} });
  const origin = new URL(simulator.url).origin;
  let mxCalls = 0;
  const onRequest = ({ request }: { request: { origin: string } }) => void (request.origin === origin && mxCalls++);
  subscribe('undici:request:create', onRequest as never);
  try {
    const config = localServicesConfig(engines, simulator.url, {
      MX_CALLS_PER_SECOND: String(ENVIRONMENTS.prod.mx.callsPerSecond),
    });
    const relay = relayOf(config);
    const control = async (path: string, body: unknown) => {
      const answer = await fetch(`${simulator.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
      if (!answer.ok) throw new Error(`simulator ${path}: ${answer.status} ${await answer.text()}`);
      return (await answer.json()) as { member: { guid: string } };
    };
    const count = WORKER_BATCHES * BATCH_SIZE;
    const member = async (kind: string, i: number, durationMs: number) => {
      const userId = `cap-${kind}-${latencyMs}-${i}`;
      const { member } = await control('/_sim/members', {
        user_id: userId,
        use_cases: ['PFM'],
        aggregation: { duration_ms: durationMs, final_status: 'CONNECTED' },
      });
      return { userId, memberGuid: member.guid };
    };
    // Jobs still aggregating an hour on: each poll step reads one and schedules the next.
    const polled = await Promise.all(Array.from({ length: count }, (_, i) => member('poll', i, HOUR)));
    const jobs = [];
    const beforeRefreshes = mxCalls;
    for (const m of polled) jobs.push((await relay.apiRefresh.refresh.refresh(m)).job);
    // A user's first refresh of the day: its session made (SSO's api token, POST /sessions), then the aggregate call.
    const mxCallsPerRefresh = (mxCalls - beforeRefreshes) / count;
    // Members MX aggregated on its own, their users' sessions made (a read), reported as mx-events reports them.
    const reported = await Promise.all(Array.from({ length: count }, (_, i) => member('report', i, 1)));
    for (const m of reported) {
      await relay.apiRead.nexus.listMembers(m.userId);
      await control(`/_sim/members/${m.memberGuid}/background_aggregation`, {});
    }
    await new Promise((resolve) => setTimeout(resolve, 100));

    await control('/_sim/faults', { latency_ms: latencyMs });
    const { handler } = relay.workerPoll;
    const batchMs = async (queue: string, bodies: unknown[]) => {
      const times: number[] = [];
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
    const now = Date.now();
    let before = mxCalls;
    const pollBatchMs = await batchMs(
      'poll',
      jobs.map((job) => ({ job_id: job.id, step: job.step, due_at: now })),
    );
    const mxCallsPerPoll = (mxCalls - before) / count;
    before = mxCalls;
    // A report is a hint (no MX call); the read of the user it schedules on the same queue is its work at MX: a
    // report costs both messages.
    const hintBatchMs = await batchMs(
      'member-reports',
      reported.map(({ userId, memberGuid }) => ({
        member_report: { kind: 'aggregation', member_guid: memberGuid, user_id: userId, is_background: true },
        due_at: now,
      })),
    );
    const readBatchMs = await batchMs(
      'member-reports',
      reported.map(({ userId }) => ({ mx_hints: { user_id: userId }, due_at: now })),
    );
    const reportBatchMs = hintBatchMs + readBatchMs;
    const mxCallsPerReport = (mxCalls - before) / count;
    progress(`worker at MX ${latencyMs} ms: poll batch ${fmt(pollBatchMs, 0)} ms, report batch ${fmt(reportBatchMs, 0)} ms`);
    return { latencyMs, pollBatchMs, reportBatchMs, mxCallsPerRefresh, mxCallsPerPoll, mxCallsPerReport };
  } finally {
    unsubscribe('undici:request:create', onRequest as never);
    await simulator.close();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
