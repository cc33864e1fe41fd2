import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { Pool } from 'undici';
import { Webhook } from 'standardwebhooks';
import { FUNCTION_SPECS, type FunctionName } from '../infra/constructs/function-specs.ts';
import { startGateway } from '../infra/local/gateway.ts';
import { type HttpLambda, type SqsLambda, httpFunctions, queueWorkers, scheduledFunctions } from '../infra/local/handlers.ts';
import { lambdaContext } from '../infra/local/lambda-context.ts';
import { startPoller } from '../infra/local/sqs-poller.ts';
import { createDocumentClient } from '../lib/aws/dynamodb-client.ts';
import { createSqsClient } from '../lib/aws/sqs-client.ts';
import { hashApiKey } from '../lib/http/auth.ts';
import { currentLogContext } from '../lib/log-context.ts';
import { DelayedQueue } from '../lib/queue/delayed-queue.ts';
import { ApiKeysRepository } from '../lib/store/api-keys-repo.ts';
import { DeliveriesRepository } from '../lib/notify/deliveries-repo.ts';
import { InstitutionStatsRepository, REPLACE_BATCH } from '../lib/aggregation/institution-stats-repo.ts';
import { JobsRepository } from '../lib/aggregation/jobs-repo.ts';
import { MxPushRepository } from '../lib/mx-events/mx-push-repo.ts';
import { DynamoSessionLease } from '../lib/mx/session-lease-repo.ts';
import { DynamoSessionStore } from '../lib/mx/sessions-repo.ts';
import { TransactionsRepository } from '../lib/transactions/transactions-repo.ts';
import { SweepCheckpointsRepository } from '../lib/aggregation/sweep-checkpoints-repo.ts';
import { WebhooksRepository } from '../lib/notify/webhooks-repo.ts';
import type { SweepReport } from '../lib/aggregation/sweeper.ts';
import { CallLedger, perJobCallTable, readBaseline, writeBaseline } from './support/call-ledger.ts';
import { labelOperations } from './support/operation-labels.ts';
import { type DynamoCall, type SqsCall, installAwsMeter } from './support/aws-meter.ts';
import { ASSUMED_AWS_LATENCY_MS, LAMBDA_MB_PER_VCPU, PRICES } from './support/pricing.ts';
import { localServicesEnv } from '../test/support/local-services.ts';
import { startRemoteSide } from './support/remote-side.ts';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { profileByOwner } from './support/attribution.ts';
import { type BenchResult, type TargetCheck, WORK_DIR, nowIso, table } from './support/report.ts';
import { fmt, max, mean, median, min, quantile, sum } from './support/stats.ts';

/**
 * Scale: 10,000 refreshes (1,000 users × 10 members) through the local stack's own parts — the gateway serving
 * lib/route-table.ts with the real handler exports, the SQS pollers calling `worker-poll` and `worker-deliver`, the
 * sweeper on its timer — in real time, with dynalite, fauxqs and the MX simulator in a child process (so the stack
 * gets one core and the engines the other; `startLocalStack` would put all of it on one). A client app receives
 * the signed webhooks and verifies each with `standardwebhooks`. Counted on the way: every DynamoDB and SQS call
 * (SDK prototypes patched, attributed per job), every MX call (undici diagnostics), every handler invocation.
 */

const USERS = Number(process.env.BENCH_SCALE_USERS ?? 1_000);
const MEMBERS_PER_USER = 10;
const DRIVER_CONCURRENCY = Number(process.env.BENCH_SCALE_DRIVERS ?? 16);
/**
 * At most this many jobs between their refresh and their terminal webhook: the driver waits below it, so the run
 * measures the stack at the rate it can sustain instead of building a queue backlog (a backlog over 2 minutes makes
 * the sweeper re-poll every waiting job: it cannot tell a lost poll message from a late one).
 */
const MAX_IN_FLIGHT = 300;
/** No refresh is sent after this; jobs already started get SETTLE_MS more to end (a job takes seconds when the stack keeps up). */
const TIMEOUT_MS = Number(process.env.BENCH_SCALE_TIMEOUT_S ?? 900) * 1000;
const SETTLE_MS = 120_000;
/** The delivery stall window of the run's sweeper (see the stack's environment below). */
const DELIVERY_STALL_S = 20;

/** Issue 20's target for the cost of one million aggregations, in dollars. */
const COST_TARGET_PER_MILLION = 15;

/** The per-job call table of an earlier run, shown beside this run's ("before"); `BENCH_SCALE_BASELINE=write` replaces it. */
const BASELINE_PATH = new URL('./baselines/scale-calls.json', import.meta.url);

interface JobCounters {
  ddbWrites: number;
  failedConditions: number;
  ddbReads: number;
  wru: number;
  rru: number;
  sqsSent: number;
  mxCalls: number;
}
const newCounters = (): JobCounters => ({
  ddbWrites: 0,
  failedConditions: 0,
  ddbReads: 0,
  wru: 0,
  rru: 0,
  sqsSent: 0,
  mxCalls: 0,
});

interface FunctionCounters {
  invocations: number;
  ms: number[];
  dynamo: number;
  sqs: number;
  mx: number;
  webhooks: number;
  /** Modelled time waiting on calls in AWS, summed over invocations (see `Invocation`). */
  waitingMs: number;
}

/**
 * One handler invocation: its modelled waiting, per SQS record (Powertools' BatchProcessor runs a batch's records at
 * once, so an invocation waits as long as its slowest record) and outside any record.
 */
interface Invocation {
  name: FunctionName;
  waitingByRecord: Map<string, number>;
}

export async function run(): Promise<BenchResult> {
  const jobsTotal = USERS * MEMBERS_PER_USER;
  const remote = await startRemoteSide();
  const { engines, simulatorUrl } = remote;
  const simOrigin = new URL(simulatorUrl).origin;

  // The functions' environment, as startLocalStack sets it (deployed log level; output counted, not printed).
  const apiKey = `nxr_bench_${randomBytes(24).toString('base64url')}`;
  Object.assign(
    process.env,
    localServicesEnv(engines, simulatorUrl, {
      NEXUS_RELAY_ENV: 'local',
      AWS_REGION: engines.region,
      MX_SSO_BASE_URL: simulatorUrl,
      LOCAL_API_KEY: apiKey,
      LOG_LEVEL: 'INFO',
      // Short enough that the sweeps during the run, and one after it, read every delivery's log entry once, as the
      // deployed sweeper does (its reads are part of the cost); long enough that none is still pending by then.
      DELIVERY_STALLED_AFTER_SECONDS: String(DELIVERY_STALL_S),
    }),
  );
  const setupTable = {
    client: createDocumentClient({ region: engines.region, dynamoDbEndpoint: engines.dynamoDbEndpoint }),
    tableName: engines.tableName,
  };
  await new ApiKeysRepository(setupTable).put({ hash: hashApiKey(apiKey), name: 'bench', createdAt: new Date().toISOString() });
  setupTable.client.destroy();

  // ---- Meters -------------------------------------------------------------------------------------------------
  let metering = false;
  const byOwner = new Map<string, JobCounters>(); // job id, or member guid until its job id is known
  const unattributed = new Map<string, JobCounters & { calls: number }>();
  const running = new AsyncLocalStorage<Invocation>();
  const ledger = new CallLedger();
  const restoreLabels = labelOperations({
    JobsRepository,
    DeliveriesRepository,
    WebhooksRepository,
    InstitutionStatsRepository,
    DynamoSessionStore,
    DynamoSessionLease,
    ApiKeysRepository,
    MxPushRepository,
    TransactionsRepository,
    SweepCheckpointsRepository,
    DelayedQueue,
  });
  /** Adds `ms` of modelled waiting to the running invocation, on the record (queue message) the call belongs to. */
  const waits = (ms: number) => {
    const invocation = running.getStore();
    if (!invocation) return;
    const record = currentLogContext()?.message_id ?? '';
    invocation.waitingByRecord.set(record, (invocation.waitingByRecord.get(record) ?? 0) + ms);
  };
  const functions = new Map<FunctionName, FunctionCounters>();
  const fnCounters = (name: FunctionName) => {
    if (!functions.has(name))
      functions.set(name, { invocations: 0, ms: [], dynamo: 0, sqs: 0, mx: 0, webhooks: 0, waitingMs: 0 });
    return functions.get(name)!;
  };
  const countersOf = (owner: string) => {
    if (!byOwner.has(owner)) byOwner.set(owner, newCounters());
    return byOwner.get(owner)!;
  };
  const other = (category: string) => {
    if (!unattributed.has(category)) unattributed.set(category, { ...newCounters(), calls: 0 });
    return unattributed.get(category)!;
  };
  const dynamoOwner = (call: DynamoCall): string | { category: string } => {
    const { pk = '', sk = '' } = call;
    if (pk.startsWith('JOB#')) return pk.slice(4);
    if (pk.startsWith('ACTIVE#') && sk.startsWith('MEMBER#')) return sk.slice(7);
    const job = /^MSG#msg_(job_[a-z0-9]+)_/.exec(sk)?.[1];
    if (job) return job;
    if (pk.startsWith('USER#')) return { category: 'MX sessions (per user)' };
    if (pk.startsWith('INSTITUTION#')) return { category: 'institution duration stats' };
    if (pk === 'WEBHOOKS') return { category: 'subscription list (per event published)' };
    if (pk.startsWith('WEBHOOK#')) return { category: 'subscription item (per delivery)' };
    if (pk.startsWith('APIKEY#')) return { category: 'API keys' };
    if (pk.startsWith('ACTIVE#')) return { category: 'sweeper scans' };
    return { category: `other (${pk.split('#')[0]})` };
  };
  const meter = installAwsMeter({
    dynamo(call) {
      if (!metering) return;
      const fn = running.getStore()?.name;
      if (fn) fnCounters(fn).dynamo++;
      waits(ASSUMED_AWS_LATENCY_MS.dynamo);
      ledger.record({
        fn: fn ?? '(local poller)',
        operation: call.operation ?? '(unlabelled)',
        command: call.command,
        failedCondition: call.failedCondition,
        wru: call.write ? call.units : 0,
        indexWru: call.write ? call.indexUnits : 0,
        rru: call.write ? 0 : call.units,
      });
      const owner = dynamoOwner(call);
      let counters: JobCounters;
      if (typeof owner === 'string') counters = countersOf(owner);
      else {
        const category = other(owner.category);
        category.calls++;
        counters = category;
      }
      if (call.failedCondition) counters.failedConditions++;
      if (call.write) {
        counters.ddbWrites++;
        counters.wru += call.units;
      } else {
        counters.ddbReads++;
        counters.rru += call.units;
      }
    },
    sqs(call: SqsCall) {
      if (!metering) return;
      const fn = running.getStore()?.name;
      if (fn) {
        fnCounters(fn).sqs++;
        waits(ASSUMED_AWS_LATENCY_MS.sqs);
      }
      if (call.command.startsWith('SendMessage')) {
        ledger.record({
          fn: fn ?? '(local poller)',
          operation: `${call.operation ?? '(unlabelled)'} → ${call.queue.replace(/^.*-(poll|delivery)(-dlq)?$/, '$1$2')}`,
          command: call.command,
          wru: 0,
          indexWru: 0,
          rru: 0,
        });
      }
      if (call.command.startsWith('SendMessage') && call.jobId) countersOf(call.jobId).sqsSent++;
      else {
        const key = `${call.command.replace('Command', '')} (${call.queue}${call.messages === 0 && call.command === 'ReceiveMessageCommand' ? ', empty' : ''})`;
        const counters = other(key);
        counters.calls++;
        counters.sqsSent += call.command.startsWith('SendMessage') ? 1 : 0;
      }
    },
  });
  const mxByRoute = new Map<string, number>();
  const onMxRequest = (message: unknown) => {
    if (!metering) return;
    const { request } = message as { request: { origin: unknown; method: string; path: string } };
    const origin = String(request.origin);
    const fn = running.getStore()?.name;
    if (!origin.startsWith(simOrigin)) {
      if (fn === 'worker-deliver') {
        fnCounters(fn).webhooks++;
        waits(ASSUMED_AWS_LATENCY_MS.webhook);
      }
      return;
    }
    const path = request.path.split('?')[0]!;
    if (fn) {
      fnCounters(fn).mx++;
      waits(ASSUMED_AWS_LATENCY_MS.mx);
    }
    const member = /^\/members\/(MBR-[^/]+)/.exec(path)?.[1];
    if (member) countersOf(member).mxCalls++;
    const route = `${request.method} ${path.replace(/MBR-[^/]+/, '{member_guid}').replace(/^\/sim-client\/users\/[^/]+/, '/{client_id}/users/{user_id}')}`;
    mxByRoute.set(route, (mxByRoute.get(route) ?? 0) + 1);
  };
  subscribe('undici:request:create', onMxRequest);

  let logBytes = 0;
  let logLines = 0;
  // What reaches CloudWatch Logs besides the functions' own lines: EMF metric lines (lib/metrics.ts) and the API's
  // access log lines (the local gateway writes API Gateway's fields), counted apart.
  let emfBytes = 0;
  let emfLines = 0;
  let accessLogBytes = 0;
  const realWrite = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    if (metering) {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      const bytes = Buffer.byteLength(text);
      if (text.startsWith('{"_aws"')) {
        emfBytes += bytes;
        emfLines++;
      } else if (text.startsWith('{"requestId"')) {
        accessLogBytes += bytes;
      } else {
        logBytes += bytes;
        logLines++;
      }
    }
    return true;
  }) as typeof process.stdout.write;
  const repolledByStatus = new Map<string, number>();
  const realErrorWrite = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    // Powertools writes WARN and ERROR lines to stderr: counted (and dropped) like the INFO lines on stdout.
    if (text.startsWith('{"level"')) {
      if (metering) {
        logBytes += Buffer.byteLength(text);
        logLines++;
        // The sweeper says why it re-polls: a job still aggregating (a poll over 2 min late) or a terminal one not yet notified.
        if (text.includes('"sweeper: re-polling a stalled job"')) {
          const status = /"status":"([a-z_]+)"/.exec(text)?.[1] ?? '?';
          repolledByStatus.set(status, (repolledByStatus.get(status) ?? 0) + 1);
        }
      }
      return true;
    }
    return (realErrorWrite as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  const progress = (line: string) => realWrite(`${line}\n`);

  // ---- The stack: the same handler exports, gateway, pollers and sweeper timer as startLocalStack ---------------
  const timed =
    <E, R>(name: FunctionName, handler: (event: E, context: ReturnType<typeof lambdaContext>) => Promise<R>) =>
    (event: E, context: ReturnType<typeof lambdaContext>) =>
      running.run({ name, waitingByRecord: new Map() }, async () => {
        const started = performance.now();
        try {
          return await handler(event, context);
        } finally {
          if (metering) {
            const counters = fnCounters(name);
            counters.invocations++;
            counters.ms.push(performance.now() - started);
            const { waitingByRecord } = running.getStore()!;
            const outside = waitingByRecord.get('') ?? 0;
            waitingByRecord.delete('');
            counters.waitingMs += outside + Math.max(0, ...waitingByRecord.values());
          }
        }
      });
  for (const name of Object.keys(httpFunctions) as (keyof typeof httpFunctions)[]) {
    const load = httpFunctions[name];
    httpFunctions[name] = async () => timed(name, await load()) as HttpLambda;
  }
  const sqs = createSqsClient({ region: engines.region, sqsEndpoint: engines.sqsEndpoint });
  const pollers = (['poll', 'delivery'] as const).map((role) => {
    const worker = queueWorkers[role];
    return startPoller({
      sqs,
      queueUrl: engines.queueUrls[role],
      functionName: worker.name,
      handler: async () => timed(worker.name as FunctionName, await worker.load()) as SqsLambda,
      concurrency: role === 'delivery' ? 4 : 2,
    });
  });
  const sweeps: SweepReport[] = [];
  const sweepNow = await Promise.all(
    scheduledFunctions.map(async (scheduled) => {
      const handler = timed(scheduled.name as FunctionName, await scheduled.load());
      return () =>
        handler({}, lambdaContext(scheduled.name)).then((report) => {
          if (metering) sweeps.push(report as SweepReport);
        });
    }),
  );
  const sweeperTimers = sweepNow.map((sweep, i) => {
    const timer = setInterval(() => void sweep().catch(() => {}), scheduledFunctions[i]!.everyMs);
    timer.unref();
    return timer;
  });
  const gateway = await startGateway({ port: 0 });

  // ---- The client app: verifies every webhook, records terminal events per job -----------------------------------
  let verifier: Webhook | undefined;
  const terminalByJob = new Map<string, Set<string>>();
  const deliveriesById = new Map<string, number>();
  let started = 0;
  let rejected = 0;
  let lastTerminalAt = 0;
  const receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, String(v)]));
      try {
        const event = verifier!.verify(body, headers) as { type: string; data: { job: { id: string } } };
        const id = headers['webhook-id']!;
        deliveriesById.set(id, (deliveriesById.get(id) ?? 0) + 1);
        if (event.type === 'aggregation.started') started++;
        else {
          const ids = terminalByJob.get(event.data.job.id) ?? new Set<string>();
          ids.add(id);
          terminalByJob.set(event.data.job.id, ids);
          lastTerminalAt = performance.now();
        }
        response.writeHead(204).end();
      } catch {
        rejected++;
        response.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;

  const api = new Pool(gateway.url, { connections: DRIVER_CONCURRENCY });
  const created = await api.request({
    method: 'POST',
    path: '/webhooks',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url: receiverUrl }),
  });
  const subscription = (await created.body.json()) as { webhook: { secret: string } };
  if (created.statusCode !== 201)
    throw new Error(`creating the subscription failed: ${created.statusCode} ${JSON.stringify(subscription)}`);
  verifier = new Webhook(subscription.webhook.secret);

  // ---- Members: 1,000 users × 10 members, each aggregation scripted as the simulator's default (2 s, CONNECTED) ------
  const sim = new Pool(simulatorUrl, { connections: 16 });
  const members: { userId: string; guid: string }[] = [];
  let nextMember = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let i = nextMember++; i < jobsTotal; i = nextMember++) {
        const userId = `bench-scale-user-${Math.floor(i / MEMBERS_PER_USER)}`;
        const response = await sim.request({
          method: 'POST',
          path: '/_sim/members',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ user_id: userId }),
        });
        const { member } = (await response.body.json()) as { member: { guid: string } };
        members[i] = { userId, guid: member.guid };
      }
    }),
  );
  await (await sim.request({ method: 'POST', path: '/_sim/reset' })).body.dump();
  progress(`scale: ${jobsTotal} members ready; refreshing`);

  // ---- The run -----------------------------------------------------------------------------------------------------
  const profiler = process.env.BENCH_SCALE_PROFILE ? new (await import('node:inspector/promises')).Session() : undefined;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.setSamplingInterval', { interval: 500 });
    await profiler.post('Profiler.start');
  }
  const cpuBefore = process.cpuUsage();
  const remoteCpuBefore = await remote.cpuMs();
  metering = true;
  const t0 = performance.now();
  const jobOfMember = new Map<string, string>();
  const refreshLatencies: number[] = [];
  const refreshErrors: string[] = [];
  let nextRefresh = 0;
  let rssPeak = process.memoryUsage().rss;
  const rssTimer = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 250);
  // A CPU profile of the stack process over a window of steady state (from 30 % of the jobs notified, 20 s): where
  // its CPU per job goes. Sampling at 1 ms costs little; the window's CPU and jobs are counted to normalise.
  const window = {
    session: undefined as import('node:inspector/promises').Session | undefined,
    startedAt: 0,
    cpuMs: 0,
    jobs: 0,
    owners: new Map<string, number>(),
    done: false,
  };
  const windowCpu = { before: process.cpuUsage(), jobsBefore: 0 };
  const windowTimer = setInterval(() => {
    if (profiler || window.done) return;
    if (!window.session && terminalByJob.size >= jobsTotal * 0.3) {
      void (async () => {
        const { Session } = await import('node:inspector/promises');
        window.session = new Session();
        window.session.connect();
        await window.session.post('Profiler.enable');
        await window.session.post('Profiler.setSamplingInterval', { interval: 1000 });
        await window.session.post('Profiler.start');
        window.startedAt = performance.now();
        windowCpu.before = process.cpuUsage();
        windowCpu.jobsBefore = terminalByJob.size;
      })();
    } else if (window.session && window.startedAt > 0 && performance.now() - window.startedAt > 20_000) {
      window.done = true;
      const session = window.session;
      void (async () => {
        const { profile } = await session.post('Profiler.stop');
        const cpu = process.cpuUsage(windowCpu.before);
        window.cpuMs = (cpu.user + cpu.system) / 1000;
        window.jobs = terminalByJob.size - windowCpu.jobsBefore;
        session.disconnect();
        const file = join(WORK_DIR, 'scale-window.cpuprofile');
        mkdirSync(WORK_DIR, { recursive: true });
        writeFileSync(file, JSON.stringify(profile));
        window.owners = profileByOwner(file);
      })();
    }
  }, 250);
  const progressTimer = setInterval(
    () =>
      progress(
        `scale: ${jobOfMember.size} refreshed, ${terminalByJob.size} notified after ${fmt((performance.now() - t0) / 1000, 0)} s`,
      ),
    30_000,
  );
  await Promise.all(
    Array.from({ length: DRIVER_CONCURRENCY }, async () => {
      for (let i = nextRefresh++; i < jobsTotal; i = nextRefresh++) {
        while (i - terminalByJob.size >= MAX_IN_FLIGHT) await new Promise((resolve) => setTimeout(resolve, 20));
        if (performance.now() - t0 > TIMEOUT_MS) break;
        const { userId, guid } = members[i]!;
        const t = performance.now();
        const response = await api.request({
          method: 'POST',
          path: `/users/${userId}/members/${guid}/refresh`,
          headers: { authorization: `Bearer ${apiKey}` },
        });
        const body = (await response.body.json()) as { job?: { id: string } };
        refreshLatencies.push(performance.now() - t);
        if (response.statusCode !== 202 || !body.job)
          refreshErrors.push(`${response.statusCode} ${JSON.stringify(body).slice(0, 200)}`);
        else jobOfMember.set(guid, body.job.id);
      }
    }),
  );
  const refreshedAt = performance.now();
  progress(`scale: ${jobOfMember.size} refreshes accepted in ${fmt((refreshedAt - t0) / 1000, 1)} s; waiting for webhooks`);

  const queueDepth = async () => {
    let depth = 0;
    for (const url of Object.values(engines.queueUrls)) {
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: [
            'ApproximateNumberOfMessages',
            'ApproximateNumberOfMessagesNotVisible',
            'ApproximateNumberOfMessagesDelayed',
          ],
        }),
      );
      depth += Object.values(Attributes).reduce((total, value) => total + Number(value), 0);
    }
    return depth;
  };
  let lastReport = performance.now();
  while (terminalByJob.size < jobOfMember.size && performance.now() - refreshedAt < SETTLE_MS) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    if (performance.now() - lastReport > 15_000) {
      progress(
        `scale: ${terminalByJob.size}/${jobOfMember.size} terminal webhooks after ${fmt((performance.now() - t0) / 1000, 0)} s`,
      );
      lastReport = performance.now();
    }
  }
  const allTerminalAt = lastTerminalAt;
  // One more sweep once the last deliveries are a stall window old: it reads the rest of the delivery log, so every
  // delivery of the run is read by a sweep once (the deployed sweeper's cost per delivery).
  const finalSweepAt = lastTerminalAt + DELIVERY_STALL_S * 1000 + 1_000;
  progress(`scale: all terminal webhooks in; one more sweep in ${fmt((finalSweepAt - performance.now()) / 1000, 0)} s`);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, finalSweepAt - performance.now())));
  for (const sweep of sweepNow) await sweep();
  // Let in-flight work settle (duplicates would show up here), then stop counting.
  metering = false;
  const drainStarted = performance.now();
  while ((await queueDepth()) > 0 && performance.now() - drainStarted < 30_000)
    await new Promise((resolve) => setTimeout(resolve, 250));
  clearInterval(rssTimer);
  clearInterval(progressTimer);
  clearInterval(windowTimer);
  const cpu = process.cpuUsage(cpuBefore);
  if (profiler) {
    const { profile } = await profiler.post('Profiler.stop');
    (await import('node:fs')).writeFileSync(process.env.BENCH_SCALE_PROFILE!, JSON.stringify(profile));
    profiler.disconnect();
  }
  const remoteCpuMs = (await remote.cpuMs()) - remoteCpuBefore;
  const peakRss = { parent: Math.max(rssPeak, process.resourceUsage().maxRSS * 1024), remote: await remote.peakRssBytes() };
  const simCalls = (
    (await (await sim.request({ method: 'GET', path: '/_sim/stats' })).body.json()) as { calls: Record<string, number> }
  ).calls;

  for (const poller of pollers) await poller.stop();
  for (const timer of sweeperTimers) clearInterval(timer);
  await gateway.close();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  await api.close();
  await sim.close();
  sqs.destroy();
  unsubscribe('undici:request:create', onMxRequest);
  meter.restore();
  restoreLabels();
  process.stdout.write = realWrite;
  process.stderr.write = realErrorWrite;
  await remote.stop();

  // ---- Per job -----------------------------------------------------------------------------------------------------
  const perJob: JobCounters[] = [];
  for (const [guid, jobId] of jobOfMember) {
    if (!terminalByJob.has(jobId)) continue;
    const job = countersOf(jobId);
    const member = byOwner.get(guid);
    if (member) for (const key of Object.keys(job) as (keyof JobCounters)[]) job[key] += member[key];
    perJob.push(job);
  }
  const jobs = perJob.length; // jobs that completed (the per-job figures and costs are over these)
  const lost = [...jobOfMember.values()].filter((id) => !terminalByJob.has(id)).length;
  const duplicateJobs = [...terminalByJob.values()].filter((ids) => ids.size > 1).length;
  const redelivered = [...deliveriesById.values()].filter((n) => n > 1).length;
  const wallSeconds = ((allTerminalAt || performance.now()) - t0) / 1000;

  const totalOther = (key: keyof JobCounters) => sum([...unattributed.values()].map((c) => c[key]));
  const dist = (pick: (c: JobCounters) => number) => {
    const values = perJob.map(pick);
    return [fmt(min(values), 0), fmt(median(values), 0), fmt(max(values), 0), fmt(mean(values), 2)];
  };
  const mxTotal = sum([...mxByRoute.values()]);

  // ---- Cost per 1M aggregations ---------------------------------------------------------------------------------------
  const perMillion = 1_000_000 / jobs;
  const stackCpuSeconds = (cpu.user + cpu.system) / 1e6;
  const fnRows: (string | number)[][] = [];
  let lambdaRequests = 0;
  let gbSecondsWaiting = 0;
  for (const [name, c] of [...functions].sort()) {
    const memoryGb = FUNCTION_SPECS[name].memorySize / 1024;
    const waitingMs = c.waitingMs;
    lambdaRequests += c.invocations;
    gbSecondsWaiting += (waitingMs / 1000) * memoryGb;
    fnRows.push([
      `\`${name}\``,
      FUNCTION_SPECS[name].memorySize,
      fmt(c.invocations / jobs, 3),
      `${fmt(c.dynamo / c.invocations, 1)} / ${fmt(c.sqs / c.invocations, 1)} / ${fmt(c.mx / c.invocations, 1)} / ${fmt(c.webhooks / c.invocations, 1)}`,
      fmt(waitingMs / c.invocations, 0),
      `${fmt(median(c.ms), 0)} / ${fmt(quantile(c.ms, 0.99), 0)}`,
    ]);
  }
  // CPU: the stack process's CPU time per job (handlers, and also the local gateway, pollers and client: an upper
  // bound), billed as a Lambda below one vCPU runs it (LAMBDA_MB_PER_VCPU).
  const gbSecondsCpu = stackCpuSeconds * (LAMBDA_MB_PER_VCPU / 1024);
  const gbSeconds = gbSecondsWaiting + gbSecondsCpu;
  const apiRequests = functions.get('api-refresh')?.invocations ?? 0;
  const sqsRequests =
    sum(perJob.map((c) => c.sqsSent)) +
    [...unattributed].filter(([k]) => /^(Send|Receive|DeleteMessageBatch)/.test(k)).reduce((t, [, c]) => t + c.calls, 0);
  const sqsRequestsBusy =
    sum(perJob.map((c) => c.sqsSent)) +
    [...unattributed]
      .filter(([k]) => /^(Send|DeleteMessageBatch)/.test(k) || (k.startsWith('ReceiveMessage') && !k.includes('empty')))
      .reduce((t, [, c]) => t + c.calls, 0);
  const wru = sum(perJob.map((c) => c.wru)) + totalOther('wru');
  const rru = sum(perJob.map((c) => c.rru)) + totalOther('rru');
  const costRows: { item: string; perJob: string; unit: string; price: string; usd: number }[] = [
    {
      item: 'Lambda requests',
      perJob: fmt(lambdaRequests / jobs, 3),
      unit: 'invocations',
      price: `$${PRICES.lambdaPerMillionRequests} / 1M`,
      usd: (lambdaRequests / jobs) * PRICES.lambdaPerMillionRequests,
    },
    {
      item: 'Lambda duration (arm64): waiting on DynamoDB, SQS, MX, webhooks (modelled)',
      perJob: fmt(gbSecondsWaiting / jobs, 4),
      unit: 'GB-s',
      price: `$${PRICES.lambdaPerGbSecond} / GB-s`,
      usd: gbSecondsWaiting * perMillion * PRICES.lambdaPerGbSecond,
    },
    {
      item: 'Lambda duration (arm64): CPU (measured)',
      perJob: fmt(gbSecondsCpu / jobs, 4),
      unit: 'GB-s',
      price: `$${PRICES.lambdaPerGbSecond} / GB-s`,
      usd: gbSecondsCpu * perMillion * PRICES.lambdaPerGbSecond,
    },
    {
      item: 'SQS requests (sends + non-empty receives + delete batches)',
      perJob: fmt(sqsRequestsBusy / jobs, 2),
      unit: 'requests',
      price: `$${PRICES.sqsPerMillionRequests} / 1M`,
      usd: (sqsRequestsBusy / jobs) * PRICES.sqsPerMillionRequests,
    },
    {
      item: 'DynamoDB writes (on-demand)',
      perJob: fmt(wru / jobs, 2),
      unit: 'WRU',
      price: `$${PRICES.dynamoPerMillionWriteUnits} / 1M`,
      usd: (wru / jobs) * PRICES.dynamoPerMillionWriteUnits,
    },
    {
      item: 'DynamoDB reads (on-demand)',
      perJob: fmt(rru / jobs, 2),
      unit: 'RRU',
      price: `$${PRICES.dynamoPerMillionReadUnits} / 1M`,
      usd: (rru / jobs) * PRICES.dynamoPerMillionReadUnits,
    },
    {
      item: 'API Gateway HTTP API requests',
      perJob: fmt(apiRequests / jobs, 2),
      unit: 'requests',
      price: `$${PRICES.httpApiPerMillionRequests} / 1M`,
      usd: (apiRequests / jobs) * PRICES.httpApiPerMillionRequests,
    },
  ];
  const ingestionCost = (bytes: number) => (bytes / jobs) * 1_000_000 * (PRICES.logsPerGbIngested / 1024 ** 3);
  const logsCost = ingestionCost(logBytes);
  costRows.push({
    item: `CloudWatch metrics: EMF lines (${fmt(emfLines / jobs, 1)} per aggregation), ingested as logs`,
    perJob: fmt(emfBytes / jobs, 0),
    unit: 'bytes',
    price: `$${PRICES.logsPerGbIngested} / GB`,
    usd: ingestionCost(emfBytes),
  });
  const total = sum(costRows.map((r) => r.usd));
  const baseline = readBaseline(BASELINE_PATH.pathname);
  if (process.env.BENCH_SCALE_BASELINE === 'write') {
    writeBaseline(BASELINE_PATH.pathname, {
      commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim(),
      measuredAt: nowIso(),
      jobs,
      costPerMillion: Math.round(total * 100) / 100,
      rows: ledger.rows,
    });
  }
  const metricsShare = ingestionCost(emfBytes) / total;
  const costTable = table(
    ['item', 'per aggregation (measured)', 'unit', 'price (assumed)', '$ per 1M aggregations'],
    [
      ...costRows.map((r) => [r.item, r.perJob, r.unit, r.price, fmt(r.usd, 2)]),
      ['**total**', '', '', '', `**${fmt(total, 2)}**`],
      [
        'CloudWatch Logs ingestion at INFO (outside the list asked for)',
        fmt(logBytes / jobs, 0),
        'bytes',
        `$${PRICES.logsPerGbIngested} / GB`,
        fmt(logsCost, 2),
      ],
      [
        'API access log ingestion (outside the list asked for)',
        fmt(accessLogBytes / jobs, 0),
        'bytes',
        `$${PRICES.logsPerGbIngested} / GB`,
        fmt(ingestionCost(accessLogBytes), 2),
      ],
    ],
  );
  const perExtra10ms = (lambdaRequests / jobs) * 0.01 * 0.5 * 1_000_000 * PRICES.lambdaPerGbSecond;

  const checks: TargetCheck[] = [
    {
      target: `Scale: ${jobsTotal} refreshes, zero lost terminal webhooks`,
      measured:
        `${lost} lost (${terminalByJob.size}/${jobOfMember.size} started jobs notified, ${refreshErrors.length} refreshes refused` +
        (jobOfMember.size < jobsTotal
          ? `; only ${jobOfMember.size} of ${jobsTotal} refreshes sent within the ${TIMEOUT_MS / 60_000}-min limit`
          : '') +
        ')',
      met: lost === 0 && refreshErrors.length === 0 && jobOfMember.size === jobsTotal,
    },
    {
      target: `Scale: zero duplicate terminal webhooks`,
      measured: `${duplicateJobs} jobs with > 1 terminal event, ${redelivered} webhook-ids delivered twice`,
      met: duplicateJobs === 0 && redelivered === 0,
    },
    {
      target: 'Scale: metrics (EMF) add under 10 % of the cost per 1M aggregations',
      measured: `$${fmt(ingestionCost(emfBytes), 2)} of $${fmt(total, 2)} (${fmt(metricsShare * 100, 1)} %), ${fmt(emfBytes / jobs, 0)} bytes per aggregation`,
      met: metricsShare < 0.1,
    },
    {
      target: `Scale: cost per 1M aggregations ≤ $${COST_TARGET_PER_MILLION} (issue 20)`,
      measured: `$${fmt(total, 2)} (DynamoDB writes $${fmt((wru / jobs) * PRICES.dynamoPerMillionWriteUnits, 2)}: ${fmt(wru / jobs, 1)} WRU per job)`,
      met: total <= COST_TARGET_PER_MILLION,
    },
    {
      target: 'Scale: wall time, peak RSS, cost per 1M aggregations (no target)',
      measured: `${fmt(wallSeconds, 0)} s, ${fmt((peakRss.parent + peakRss.remote) / 1024 ** 2, 0)} MiB, $${fmt(total, 2)} per 1M`,
      met: true,
      info: true,
    },
  ];

  const otherRows = [...unattributed]
    .sort((a, b) => b[1].calls - a[1].calls)
    .map(([category, c]) => [
      category,
      c.calls,
      fmt(c.calls / jobs, 3),
      c.failedConditions,
      fmt(c.wru / jobs, 3),
      fmt(c.rru / jobs, 3),
    ]);
  const stats = unattributed.get('institution duration stats');
  const sharesOfCost = costRows
    .map((r) => ({ item: r.item, share: r.usd / total }))
    .sort((a, b) => b.share - a.share)
    .slice(0, 3)
    .map((r) => `${r.item} ${fmt(r.share * 100, 0)} %`)
    .join(', ');
  const jobWru = sum(perJob.map((c) => c.wru)) / jobs;
  const topWrites = ledger.rows
    .filter((row) => row.wru > 0)
    .sort((a, b) => b.wru - a.wru)
    .slice(0, 6)
    .map(
      (row) =>
        `\`${row.operation}\` in ${row.fn} ${fmt(row.wru / jobs, 2)}${row.indexWru > 0 ? ` (${fmt(row.indexWru / jobs, 2)} of it index entries)` : ''}`,
    )
    .join(', ');
  const costHeading =
    total > COST_TARGET_PER_MILLION
      ? `**Missed: $${fmt(total, 2)} against $${COST_TARGET_PER_MILLION}. What dominates:**`
      : `**Met: $${fmt(total, 2)} against $${COST_TARGET_PER_MILLION} ($${fmt(COST_TARGET_PER_MILLION - total, 2)} to spare; reruns differ by a few cents). Where it goes:**`;
  const costProfile =
    `${costHeading} ${sharesOfCost}. The write units per job, largest first: ${topWrites}. ` +
    'Every write is already one unit (items under 1 KB, keys-only indexes, no write a read could replace); what is left is one write per state change the guarantees need — ' +
    "a job's create (once MX has answered: the start is in it) and end, its member's pointer (claimed and released: the one-active-job rule and the sweeper's worklist); per event and subscription a delivery created, " +
    'its attempt claimed (so a duplicate message never sends twice) and recorded — and the index entries that let the API list jobs and deliveries. ' +
    "Tried and measured here: keys-only indexes, deflated payloads, no 'notified' write, cached subscriptions for the delivery worker, institution durations written " +
    `${REPLACE_BATCH} to a write once their list is full, ` +
    'the active-job pointers kept in sharded table partitions rather than an index, deliveries without a due-index entry unless the sweeper finds them unsettled (it reads each log once instead), ' +
    `the job written once MX has answered (no separate start record) (53.3 → ${fmt(wru / jobs, 1)} WRU per job); the functions on the aggregation path at 256 MB. ` +
    'Not done: caching the subscription list per container (a new subscription would miss the events of its first seconds); ' +
    'the rest (Lambda, SQS, API Gateway) is per request and already one of each per step.';

  // What bounds the wall time: the stack process's CPU (measured), and where it goes (the profiled window).
  const stackCpuShare = stackCpuSeconds / wallSeconds;
  const windowTotal = sum([...window.owners.values()]);
  const windowPerJob = window.jobs > 0 ? window.cpuMs / window.jobs : Number.NaN;
  const windowOwners = [...window.owners]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([owner, ms]) => `${owner} ${fmt((ms / windowTotal) * 100, 0)} %`)
    .join(', ');
  const wallLimit =
    `**What bounds the wall time:** the stack process's CPU — ${fmt(stackCpuSeconds, 0)} s over ${fmt(wallSeconds, 0)} s (${fmt(stackCpuShare * 100, 0)} % of its core), ` +
    `${fmt((stackCpuSeconds * 1000) / jobs, 1)} ms per job: every handler, the gateway, the pollers and the client share one Node process, as they share one core here, so a job's refresh ` +
    "waits behind the others' work (refresh p50 above): with the core near full, more concurrent refreshes would only queue longer. " +
    (window.jobs > 0
      ? `Where that CPU goes (CPU profile of the stack over 20 s of steady state, ${window.jobs.toLocaleString('en-US')} jobs, ${fmt(windowPerJob, 1)} ms of CPU per job; self time by owner; \`.local/bench/scale-window.cpuprofile\`): ${windowOwners}. `
      : '') +
    'The AWS SDK work is per call (building, signing, sending and parsing each DynamoDB and SQS request): the per-job call table below is the lever — ' +
    `${fmt(mean(perJob.map((c) => c.ddbWrites)), 1)} writes and ${fmt(mean(perJob.map((c) => c.ddbReads)), 1)} reads on the job's own items, the shared reads (subscriptions, sessions) and the SQS sends; the engines (dynalite, fauxqs, the simulator) took ` +
    `${fmt(remoteCpuMs / 1000, 0)} s of CPU on the other core.`;

  const markdown = [
    `**Targets:** ${jobsTotal.toLocaleString('en-US')} refreshes end with exactly one terminal webhook each — none lost, none duplicated. Wall time, peak memory, calls per job and the cost per 1M aggregations are reported.`,
    '',
    `**Method:** real time, no ManualClock. The local stack's parts as \`startLocalStack\` wires them — \`startGateway\` (lib/route-table.ts → the handler exports), \`startPoller\` for the poll queue (2 loops) and the delivery queue (4 loops), batches of 10, ` +
      `the sweeper every 60 s with a ${DELIVERY_STALL_S} s delivery stall window, and once more that long after the last terminal webhook (so the sweeps read every delivery of the run once, as deployed), \`LOG_LEVEL=INFO\` (output counted, not printed) — with dynalite, fauxqs and the MX simulator moved to a child process so the engines get their own core ` +
      `(\`startLocalStack\` runs everything on one). ${USERS.toLocaleString('en-US')} users × ${MEMBERS_PER_USER} members on the simulator, each aggregation scripted as the simulator's default (2 s, CONNECTED), ` +
      `so each job is: refresh → first poll 3 s later finds it done → terminal event. A webhook subscription points at a client endpoint that verifies every delivery with \`standardwebhooks\`. ` +
      `${DRIVER_CONCURRENCY} concurrent \`POST /users/{user}/members/{member}/refresh\` through the gateway, never more than ${MAX_IN_FLIGHT} jobs between refresh and terminal webhook (so the run goes at the rate the stack sustains instead of piling up a queue backlog). DynamoDB and SQS calls are counted in the SDK (prototypes patched) and attributed to the job their key or body names; ` +
      "DynamoDB capacity units are dynalite's size-based count of each item (1 KB per write unit, 4 KB per read unit, half for an eventually consistent read), plus for every write the units DynamoDB charges its global secondary indexes, which dynalite does not count: taught to it by `bench/support/dynalite-capacity.ts` (an entry put or deleted costs its projection's size, a changed index key both, a changed projected attribute one write, anything else nothing); MX calls are counted on the wire.",
    '',
    table(
      [
        'wall time (first refresh → last terminal webhook)',
        'refreshes accepted in',
        'refresh p50 / p99',
        'peak RSS: stack / engines + simulator',
        'CPU: stack / engines + simulator',
      ],
      [
        [
          `**${fmt(wallSeconds, 1)} s** (${fmt(jobs / wallSeconds, 0)} jobs/s)`,
          `${fmt((refreshedAt - t0) / 1000, 1)} s`,
          `${fmt(median(refreshLatencies), 0)} / ${fmt(quantile(refreshLatencies, 0.99), 0)} ms`,
          `${fmt(peakRss.parent / 1024 ** 2, 0)} MiB / ${fmt(peakRss.remote / 1024 ** 2, 0)} MiB`,
          `${fmt((cpu.user + cpu.system) / 1e6, 0)} s / ${fmt(remoteCpuMs / 1000, 0)} s`,
        ],
      ],
    ),
    '',
    wallLimit,
    '',
    table(
      ['webhooks', 'count'],
      [
        ['jobs started (202)', jobOfMember.size],
        ['`aggregation.started` received', started],
        ['jobs with a terminal webhook', terminalByJob.size],
        ['**lost** (job without a terminal webhook)', `**${lost}**`],
        ['**duplicates** (jobs with > 1 terminal event / webhook-ids received twice)', `**${duplicateJobs} / ${redelivered}**`],
        ['deliveries that failed verification', rejected],
        [
          "sweeper runs / jobs it re-polled (by the job's status when re-polled)",
          `${sweeps.length} / ${sum(sweeps.map((r) => r.repolled))} (${[...repolledByStatus].map(([k, v]) => `${k} ${v}`).join(', ') || 'none'})`,
        ],
        [
          `deliveries the sweeps found unsettled ${DELIVERY_STALL_S} s after publication / re-drove`,
          `${sum(sweeps.map((r) => r.tracked))} / ${sum(sweeps.map((r) => r.redelivered))}`,
        ],
      ],
    ),
    '',
    [...repolledByStatus].some(([status]) => status !== 'aggregating')
      ? `**Sweeper re-polls of finished jobs:** ${[...repolledByStatus].filter(([k]) => k !== 'aggregating').reduce((t, [, v]) => t + v, 0)} re-polls hit jobs that had ended but whose terminal event was still being published. ` +
        '`Sweeper.sweep` treats "terminal and not yet notified" as lost at once, with no age threshold, so every sweep re-polls the jobs finishing while it scans (harmless: publishing is idempotent, no duplicate reached the client — but each costs a poll message, a worker invocation and reads). ' +
        'Cheap fix (lib/aggregation/sweeper.ts, not made here): apply `STALLED_AFTER_MS` to that case too (`now > (job.finishedAt ?? job.updatedAt) + STALLED_AFTER_MS`).'
      : '',
    '',
    '### Per job, by operation: every DynamoDB call and SQS send, per aggregation',
    '',
    'Each call is named by the function it ran in and the repository or queue method that made it (`bench/support/operation-labels.ts` wraps their methods); ' +
      'calls of all jobs and the shared ones (sessions, subscriptions, institution stats, sweeps) divided by the jobs. Write units include the indexes the write touched (in parentheses); ' +
      'a failed conditional write counts 1 unit.' +
      (baseline
        ? ` **Before:** commit \`${baseline.commit}\`, measured ${baseline.measuredAt} by this benchmark (${baseline.jobs.toLocaleString('en-US')} jobs, $${fmt(baseline.costPerMillion, 2)} per 1M aggregations); **now:** this run ($${fmt(total, 2)}).`
        : ''),
    '',
    perJobCallTable(ledger.rows, jobs, baseline),
    '',
    '### Per job (attributed calls; min / median / max / mean)',
    '',
    table(
      ['per job', 'min', 'median', 'max', 'mean'],
      [
        ['DynamoDB writes (Put/Update/Delete, incl. failed conditions)', ...dist((c) => c.ddbWrites)],
        ['DynamoDB reads (Get/Query)', ...dist((c) => c.ddbReads)],
        ['DynamoDB write units (item + its indexes)', ...dist((c) => c.wru)],
        ['SQS messages sent (poll steps + webhook deliveries)', ...dist((c) => c.sqsSent)],
        ['MX calls naming the member (aggregate + member reads)', ...dist((c) => c.mxCalls)],
      ],
    ),
    '',
    `MX calls in all: ${[...mxByRoute]
      .sort()
      .map(([k, v]) => `\`${k}\` ×${v}`)
      .join(', ')} — ${fmt(mxTotal / jobs, 2)} per job ` +
      `(simulator's own count: ${Object.entries(simCalls)
        .sort()
        .map(([k, v]) => `${k} ×${v}`)
        .join(', ')}).`,
    '',
    'Calls no job key names (amortized per job):',
    '',
    table(['category', 'calls', 'per job', 'failed conditions', 'WRU per job', 'RRU per job'], otherRows),
    '',
    stats
      ? `**Institution stats (formerly the hot item):** every successful job records its duration in the one \`INSTITUTION#…/STATS\` item of its institution — all ${jobs.toLocaleString('en-US')} jobs here at MX Bank. ` +
        'Recording is an `UpdateItem` and no read (`InstitutionStatsRepository.record`): `list_append` while the list holds fewer than 50 samples, then writes over random slots of the 50 (a random-replacement reservoir), ' +
        `${REPLACE_BATCH} samples to a write once a container has seen the list full, so writers never lose to each other: ${fmt(stats.calls / jobs, 2)} calls and ${fmt(stats.wru / jobs, 2)} WRU per job, ${stats.failedConditions.toLocaleString('en-US')} failed condition(s) ` +
        `(a container's appends that met the list just filled; each then writes a slot), ${fmt((stats.wru / (jobWru * jobs + totalOther('wru'))) * 100, 0)} % of all write units. ` +
        '(Before: a consistent GetItem + a version-conditional PutItem, up to 3 tries — 5.26 calls per job and 22,870 lost conditional puts in the 10,000-job run, samples dropped after 3 losses.)'
      : '',
    '',
    '### Lambda invocations (measured in the local run)',
    '',
    table(
      [
        'function',
        'memory, MB',
        'invocations / job',
        'DynamoDB / SQS / MX / webhook calls per invocation',
        'waiting per invocation in AWS (model), ms',
        'local wall time p50 / p99, ms (shares one CPU: not a Lambda duration)',
      ],
      fnRows,
    ),
    '',
    `### Cost per 1M aggregations (us-east-1, arm64; prices are assumptions)`,
    '',
    costTable,
    '',
    costProfile,
    '',
    `Lambda: ${fmt(gbSeconds / jobs, 4)} GB-s per aggregation in all. The largest items: ${sharesOfCost}. Per job: ${fmt(jobWru, 1)} WRU on the job's own items (job, active pointer, its deliveries, with their index entries) plus ${fmt(totalOther('wru') / jobs, 1)} WRU shared (sessions, institution stats).`,
    '',
    `Prices (assumed, us-east-1 list prices, first tier, free tiers ignored): Lambda $${PRICES.lambdaPerMillionRequests} per 1M requests and $${PRICES.lambdaPerGbSecond} per GB-s (arm64); ` +
      `SQS standard $${PRICES.sqsPerMillionRequests} per 1M requests; DynamoDB on-demand $${PRICES.dynamoPerMillionWriteUnits} per 1M WRU and $${PRICES.dynamoPerMillionReadUnits} per 1M RRU; ` +
      `HTTP API $${PRICES.httpApiPerMillionRequests} per 1M requests; CloudWatch Logs $${PRICES.logsPerGbIngested} per GB ingested. ` +
      `Memory per function from \`infra/constructs/function-specs.ts\`. Lambda duration = time waiting on calls, modelled from the calls each invocation made (measured) × assumed in-AWS latencies — ` +
      `DynamoDB ${ASSUMED_AWS_LATENCY_MS.dynamo} ms, SQS ${ASSUMED_AWS_LATENCY_MS.sqs} ms, MX ${ASSUMED_AWS_LATENCY_MS.mx} ms, webhook POST ${ASSUMED_AWS_LATENCY_MS.webhook} ms, one after another within a queue record, an invocation waiting as long as its slowest record (Powertools' BatchProcessor runs a batch's records at once) — ` +
      `plus CPU time, measured: the stack process used ${fmt(stackCpuSeconds, 0)} s of CPU for ${jobs.toLocaleString('en-US')} jobs (${fmt((stackCpuSeconds / jobs) * 1000, 1)} ms per job, which includes the local gateway, pollers and webhook client: an upper bound), billed as Lambda runs it below one vCPU: a function gets CPU in proportion to its memory, a full core at ${LAMBDA_MB_PER_VCPU.toLocaleString('en-US')} MB, so a second of a full core is ${fmt(LAMBDA_MB_PER_VCPU / 1024, 2)} GB-s at any size up to that. ` +
      `Local wall times are not used: in one process the handlers wait for each other's CPU. Each extra 10 ms per invocation adds $${fmt(perExtra10ms, 2)} per 1M aggregations. ` +
      `Lambda's SQS pollers' empty receives are a fixed cost per queue, not per job (${fmt(sqsRequests - sqsRequestsBusy, 0)} empty receives in this run are left out). ` +
      'Not included: data transfer, Secrets Manager reads (once per container), KMS, alarms. One aggregation here is one poll; a slower institution adds per extra poll one worker-poll share, one SQS message, one DynamoDB read and one write (the step), and one MX read.',
  ].join('\n');

  return { id: 'scale', title: '5. Scale', markdown, checks };
}
