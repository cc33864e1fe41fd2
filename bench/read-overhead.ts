import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { Pool } from 'undici';
import type { ApiEvent, ApiResult } from '../lib/http/api-event.ts';
import { createDocumentClient } from '../lib/aws/dynamodb-client.ts';
import { hashApiKey } from '../lib/http/auth.ts';
import { ApiKeysRepository } from '../lib/store/api-keys-repo.ts';
import { lambdaContext } from '../infra/local/lambda-context.ts';
import { addInto, profileByOwner } from './support/attribution.ts';
import { startRemoteSide } from './support/remote-side.ts';
import { type BenchResult, type TargetCheck, WORK_DIR, table } from './support/report.ts';
import { fmt, median, quantile, sum } from './support/stats.ts';

/**
 * Read overhead: `GET /users/sim-user-pfm/transactions?page=N` through the `api-read` handler, called in-process
 * (as its Lambda would run it, with its real DynamoDB client, session manager and undici pool), against the same
 * request made straight to the simulator with undici, at the same concurrency. DynamoDB (dynalite) and the
 * simulator run in a child process, as remote services would, so this process holds only what a Lambda holds.
 */

const REQUESTS = Number(process.env.BENCH_READ_REQUESTS ?? 5_000);
const WARMUP = 500;
const BLOCKS = 4;
const CONCURRENCIES = [1, 50] as const;
const PAGES = 13; // 315 transactions, 25 per page
const USER = 'sim-user-pfm';
const NEXUS = 'application/vnd.mx.nexus.v1+json';
const TARGETS = { medianMs: 0.5, p99Ms: 3, throughput: 0.85 };

type Caller = (page: number) => Promise<number>;

interface Block {
  latencies: number[];
  seconds: number;
}

/** `count` calls with `concurrency` in flight; per-call latency (ms) and wall time. */
async function runBlock(call: Caller, count: number, concurrency: number, firstPage: number): Promise<Block> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) {
        const t = performance.now();
        const status = await call(((firstPage + i) % PAGES) + 1);
        latencies.push(performance.now() - t);
        if (status !== 200) throw new Error(`request answered ${status}`);
      }
    }),
  );
  return { latencies, seconds: (performance.now() - started) / 1000 };
}

export async function run(): Promise<BenchResult> {
  const remote = await startRemoteSide();
  const { engines, simulatorUrl } = remote;

  // The handler's environment, as the local runtime sets it; deployed log level (INFO), output counted and dropped.
  const apiKey = `nxr_bench_${randomBytes(24).toString('base64url')}`;
  Object.assign(process.env, {
    NEXUS_RELAY_ENV: 'local',
    AWS_REGION: engines.region,
    AWS_ENDPOINT_URL_DYNAMODB: engines.dynamoDbEndpoint,
    AWS_ENDPOINT_URL_SQS: engines.sqsEndpoint,
    TABLE_NAME: engines.tableName,
    POLL_QUEUE_URL: engines.queueUrls.poll,
    DELIVERY_QUEUE_URL: engines.queueUrls.delivery,
    MX_BASE_URL: simulatorUrl,
    MX_CLIENT_ID: 'sim-client',
    MX_API_KEY: 'sim-api-key',
    LOG_LEVEL: 'INFO',
  });
  const keysTable = {
    client: createDocumentClient({ region: engines.region, dynamoDbEndpoint: engines.dynamoDbEndpoint }),
    tableName: engines.tableName,
  };
  await new ApiKeysRepository(keysTable).put({ hash: hashApiKey(apiKey), name: 'bench', createdAt: new Date().toISOString() });
  keysTable.client.destroy();

  let logBytes = 0;
  let logLines = 0;
  const realWrite = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    logBytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    logLines += 1;
    return true;
  }) as typeof process.stdout.write;

  const { handler } = (await import('../functions/api-read.ts')) as {
    handler: (event: ApiEvent, context: ReturnType<typeof lambdaContext>) => Promise<ApiResult>;
  };
  const { getServices } = await import('../lib/services/container.ts');
  const { table: serviceTable } = await import('../lib/services/store.ts');
  // Time and count the handler's DynamoDB calls (its own client, built by the composition root).
  let dynamoCalls = 0;
  let dynamoMs = 0;
  serviceTable(getServices()).client.middlewareStack.add(
    (next) => async (args) => {
      const t = performance.now();
      try {
        return await next(args);
      } finally {
        dynamoMs += performance.now() - t;
        dynamoCalls += 1;
      }
    },
    { step: 'initialize', name: 'benchTiming' },
  );

  // The proposed fix, emulated here (lib/ is not changed): the container keeps the session it last read or wrote
  // in memory instead of reading DynamoDB on every call; writes (create, touch, invalidate) still go to the table.
  const { DynamoSessionStore } = await import('../lib/store/sessions-repo.ts');
  const store = DynamoSessionStore.prototype;
  const original = { get: store.get, put: store.put, touch: store.touch, delete: store.delete };
  const remembered = new Map<string, Awaited<ReturnType<typeof store.get>>>();
  let remember = false;
  store.get = async function (this: InstanceType<typeof DynamoSessionStore>, userId: string) {
    if (remember && remembered.get(userId)) return remembered.get(userId);
    const session = await original.get.call(this, userId);
    if (remember) remembered.set(userId, session);
    return session;
  };
  store.put = async function (this: InstanceType<typeof DynamoSessionStore>, userId, session) {
    remembered.set(userId, session);
    return original.put.call(this, userId, session);
  };
  store.touch = async function (this: InstanceType<typeof DynamoSessionStore>, userId, token, lastUsedAt) {
    const touched = await original.touch.call(this, userId, token, lastUsedAt);
    const known = remembered.get(userId);
    if (touched && known?.token === token) remembered.set(userId, { ...known, lastUsedAt });
    return touched;
  };
  store.delete = async function (this: InstanceType<typeof DynamoSessionStore>, userId, token) {
    remembered.delete(userId);
    return original.delete.call(this, userId, token);
  };

  const relay: Caller = async (page) => {
    const path = `/users/${USER}/transactions`;
    const event: ApiEvent = {
      routeKey: 'GET /users/{user_id}/transactions',
      rawPath: path,
      rawQueryString: `page=${page}`,
      headers: { authorization: `Bearer ${apiKey}`, host: 'api.example.com' },
      queryStringParameters: { page: String(page) },
      pathParameters: { user_id: USER },
      isBase64Encoded: false,
      requestContext: { requestId: randomUUID(), http: { method: 'GET', path } },
    };
    // A context per invocation, as the runtime gives one: middy ends the call early near its deadline.
    const result = await handler(event, lambdaContext('api-read'));
    return result.statusCode;
  };

  // The direct client: its own keep-alive pool and a session of its own, as an app calling MX would have.
  const pool = new Pool(simulatorUrl);
  const apiToken = (await (
    await pool.request({
      method: 'GET',
      path: `/sim-client/users/${USER}/api_token`,
      headers: { 'md-api-key': 'sim-api-key', accept: 'application/json' },
    })
  ).body.json()) as { api_token: { token: string } };
  const session = (await (
    await pool.request({
      method: 'POST',
      path: '/sessions',
      headers: { 'md-api-token': apiToken.api_token.token, accept: NEXUS, 'content-type': NEXUS },
      body: '{}',
    })
  ).body.json()) as { session: { token: string } };
  const direct: Caller = async (page) => {
    const response = await pool.request({
      method: 'GET',
      path: `/transactions?page=${page}`,
      headers: { accept: NEXUS, 'content-type': NEXUS, 'md-session-token': session.session.token },
    });
    await response.body.text();
    return response.statusCode;
  };

  // Warm both paths (JIT, pools, the relay's session and API-key cache).
  await runBlock(direct, WARMUP, 10, 0);
  await runBlock(relay, WARMUP, 10, 0);
  remember = true;
  await runBlock(relay, WARMUP / 5, 10, 0);
  remember = false;
  const simStats = async () =>
    ((await (await fetch(`${simulatorUrl}/_sim/stats`)).json()) as { calls: Record<string, number> }).calls;
  const callsBefore = await simStats();
  const logBefore = { bytes: logBytes, lines: logLines };

  // Alternating blocks (direct, relay, direct, relay…) so drift on the machine hits both alike.
  const results = new Map<
    string,
    { latencies: number[]; seconds: number; remoteCpuMs: number; localCpuMs: number; dynamoMs: number; dynamoCalls: number }
  >();
  const perBlock = Math.ceil(REQUESTS / BLOCKS);
  const profileDir = join(WORK_DIR, 'read-overhead');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(profileDir, { recursive: true });
  const profile = new Map<string, number>();
  let profiledRelayRequests = 0;
  const inspector = new Session();
  inspector.connect();
  await inspector.post('Profiler.enable');
  await inspector.post('Profiler.setSamplingInterval', { interval: 200 });

  for (const concurrency of CONCURRENCIES) {
    for (let block = 0; block < BLOCKS; block++) {
      for (const [name, call] of [
        ['direct', direct],
        ['relay', relay],
        ['relay-memo', relay],
      ] as const) {
        remember = name === 'relay-memo';
        const key = `${name}@${concurrency}`;
        const entry = results.get(key) ?? {
          latencies: [],
          seconds: 0,
          remoteCpuMs: 0,
          localCpuMs: 0,
          dynamoMs: 0,
          dynamoCalls: 0,
        };
        const cpuBefore = await remote.cpuMs();
        const localBefore = process.cpuUsage();
        const ddb = { calls: dynamoCalls, ms: dynamoMs };
        // One relay block at concurrency 1 runs under the CPU profiler: where the handler's own time goes.
        const profiled = name === 'relay' && concurrency === 1 && block === BLOCKS - 1;
        if (profiled) await inspector.post('Profiler.start');
        const { latencies, seconds } = await runBlock(call, perBlock, concurrency, block * 7);
        if (profiled) {
          const { profile: cpuProfile } = await inspector.post('Profiler.stop');
          const file = join(profileDir, 'relay-c1.cpuprofile');
          writeFileSync(file, JSON.stringify(cpuProfile));
          addInto(profile, profileByOwner(file));
          profiledRelayRequests = perBlock;
        } else {
          entry.latencies.push(...latencies);
          entry.seconds += seconds;
          const local = process.cpuUsage(localBefore);
          entry.localCpuMs += (local.user + local.system) / 1000;
          entry.remoteCpuMs += (await remote.cpuMs()) - cpuBefore;
          entry.dynamoMs += dynamoMs - ddb.ms;
          entry.dynamoCalls += dynamoCalls - ddb.calls;
        }
        results.set(key, entry);
      }
    }
  }
  inspector.disconnect();
  const callsAfter = await simStats();
  process.stdout.write = realWrite;
  const logged = { bytes: logBytes - logBefore.bytes, lines: logLines - logBefore.lines };
  await pool.close();
  await remote.stop();

  const relayRequests =
    sum(
      CONCURRENCIES.flatMap((c) => [results.get(`relay@${c}`)!, results.get(`relay-memo@${c}`)!].map((r) => r.latencies.length)),
    ) + profiledRelayRequests;
  const directRequests = sum(CONCURRENCIES.map((c) => results.get(`direct@${c}`)!.latencies.length));
  const mxCalls = (route: string) => (callsAfter[route] ?? 0) - (callsBefore[route] ?? 0);
  const txCalls = mxCalls('GET /transactions') - directRequests;
  const sessionsMade = mxCalls('POST /sessions');

  const checks: TargetCheck[] = [];
  const rows: (string | number)[][] = [];
  const summaries: string[] = [];
  const memoRows: string[] = [];
  for (const concurrency of CONCURRENCIES) {
    const d = results.get(`direct@${concurrency}`)!;
    const r = results.get(`relay@${concurrency}`)!;
    const addedMedian = median(r.latencies) - median(d.latencies);
    const addedP99 = quantile(r.latencies, 0.99) - quantile(d.latencies, 0.99);
    const throughputD = d.latencies.length / d.seconds;
    const throughputR = r.latencies.length / r.seconds;
    const ratio = throughputR / throughputD;
    const m = results.get(`relay-memo@${concurrency}`)!;
    memoRows.push(
      `| c=${concurrency} | ${fmt(median(m.latencies) - median(d.latencies), 2)} ms | ${fmt(quantile(m.latencies, 0.99) - quantile(d.latencies, 0.99), 2)} ms | ` +
        `${fmt((m.latencies.length / m.seconds / throughputD) * 100, 0)} % |`,
    );
    for (const [label, x] of [
      ['direct (undici → simulator)', d],
      ['relay (`api-read` handler → simulator)', r],
      ['relay, session kept in memory (fix emulated)', m],
    ] as const) {
      rows.push([
        `c=${concurrency}`,
        label,
        x.latencies.length,
        fmt(median(x.latencies), 2),
        fmt(quantile(x.latencies, 0.9), 2),
        fmt(quantile(x.latencies, 0.99), 2),
        fmt(x.latencies.length / x.seconds, 0),
        fmt(x.localCpuMs / x.latencies.length, 3),
        fmt(x.remoteCpuMs / x.latencies.length, 3),
        x.dynamoCalls > 0 ? `${fmt(x.dynamoCalls / x.latencies.length, 2)} / ${fmt(x.dynamoMs / x.dynamoCalls, 2)} ms` : '–',
      ]);
    }
    const metMedian = addedMedian <= TARGETS.medianMs;
    const metP99 = addedP99 <= TARGETS.p99Ms;
    const metThroughput = ratio >= TARGETS.throughput;
    checks.push(
      {
        target: `Read overhead c=${concurrency}: added median ≤ ${TARGETS.medianMs} ms`,
        measured: `${fmt(addedMedian, 2)} ms`,
        met: metMedian,
      },
      {
        target: `Read overhead c=${concurrency}: added p99 ≤ ${TARGETS.p99Ms} ms`,
        measured: `${fmt(addedP99, 2)} ms`,
        met: metP99,
      },
      {
        target: `Read overhead c=${concurrency}: throughput ≥ ${TARGETS.throughput * 100} % of direct`,
        measured: `${fmt(ratio * 100, 0)} % (${fmt(throughputR, 0)} vs ${fmt(throughputD, 0)} req/s)`,
        met: metThroughput,
      },
    );
    summaries.push(
      `| c=${concurrency} | ${fmt(addedMedian, 2)} ms ${metMedian ? '✅' : '❌'} | ${fmt(addedP99, 2)} ms ${metP99 ? '✅' : '❌'} | ` +
        `${fmt(ratio * 100, 0)} % ${metThroughput ? '✅' : '❌'} |`,
    );
  }

  // Where a relay request's time goes at c=1: DynamoDB round trips (timed) and this process's CPU (profiled).
  const r1 = results.get('relay@1')!;
  const d1 = results.get('direct@1')!;
  const m1 = results.get('relay-memo@1')!;
  const r50 = results.get('relay@50')!;
  const d50 = results.get('direct@50')!;
  const m50 = results.get('relay-memo@50')!;
  const perRequestDynamo = r1.dynamoMs / r1.latencies.length;
  const profileTotal = sum([...profile.values()]);
  const topCpu = [...profile]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
    .map(([owner, ms]) => [owner, fmt((ms / profiledRelayRequests) * 1000, 0), `${fmt((ms / profileTotal) * 100, 0)} %`]);
  const missed = checks.filter((c) => !c.met);

  const markdown = [
    `**Target:** the relay adds ≤ ${TARGETS.medianMs} ms at the median and ≤ ${TARGETS.p99Ms} ms at p99 over calling MX directly, and keeps ≥ ${TARGETS.throughput * 100} % of the direct throughput, at concurrency 1 and 50.`,
    '',
    `**Method:** \`GET /users/${USER}/transactions?page=N\` (N cycling 1–${PAGES}, 25 transactions a page) through the \`api-read\` handler export, called in-process with an API Gateway v2 event ` +
      `(real middy pipeline, API-key check, session manager, DynamoDB client, undici pool, \`LOG_LEVEL=INFO\` with the log output counted and dropped), ` +
      `beside the same \`GET /transactions?page=N\` sent straight to the simulator with an undici Pool and a session of its own. ` +
      `dynalite and the simulator run in a child process (one core for them, one for the caller, as remote services). ` +
      `${WARMUP} warm-up calls each, then ${REQUESTS} measured calls per path and concurrency in ${BLOCKS} alternating blocks (direct, relay, direct, …). ` +
      `Throughput = calls / wall time of the blocks. "Caller CPU" is this process's CPU time per call (the handler, or the direct client); "remote CPU" the child's (dynalite + simulator).`,
    '',
    table(
      [
        'concurrency',
        'path',
        'calls',
        'p50, ms',
        'p90, ms',
        'p99, ms',
        'req/s',
        'caller CPU / call, ms',
        'remote CPU / call, ms',
        'DynamoDB calls / call (mean latency)',
      ],
      rows,
    ),
    '',
    '| concurrency | added median | added p99 | relay throughput / direct |',
    '| :-- | --: | --: | --: |',
    ...summaries,
    '',
    `Over ${relayRequests} relay calls MX saw ${txCalls} \`GET /transactions\` (one per call) and ${sessionsMade} new session(s) (the session is reused; ` +
      `\`lastUsedAt\` is written at most once a minute). The handler logged ${fmt(logged.lines / relayRequests, 1)} line(s), ${fmt(logged.bytes / relayRequests, 0)} bytes, per call at INFO ` +
      `(what CloudWatch Logs would ingest).`,
    '',
    '**With the proposed fix emulated** (the container keeps its session in memory; see below) — same run, same blocks:',
    '',
    '| concurrency | added median | added p99 | throughput / direct |',
    '| :-- | --: | --: | --: |',
    ...memoRows,
    '',
    "### Where a relay call's time goes (c=1)",
    '',
    `- **DynamoDB:** ${fmt(r1.dynamoCalls / r1.latencies.length, 2)} calls per request, ${fmt(perRequestDynamo, 2)} ms per request (timed around the handler's own DynamoDB client). ` +
      'Every read does a strongly consistent `GetItem` of the `USER#…/SESSION` item (`DynamoSessionStore.get`) before calling MX — the API key is cached per container, the session is not.',
    `- **MX:** the direct call's median is ${fmt(median(d1.latencies), 2)} ms; the relay makes the same call.`,
    `- **CPU in the caller** (profile of the last c=1 relay block, ${profiledRelayRequests} calls, 200 µs sampling; self time per call by owner, µs):`,
    '',
    table(['owner', 'µs per call', 'share'], topCpu),
    '',
    missed.length === 0
      ? '**All targets met.**'
      : [
          `**Missed:** ${missed.map((c) => `${c.target} (${c.measured})`).join('; ')}.`,
          '',
          `**What dominates.** At c=1, the session read: every relay call makes one strongly consistent \`GetItem\` of \`USER#…/SESSION\` (\`DynamoSessionStore.get\`) before calling MX — ` +
            `${fmt(perRequestDynamo, 2)} ms per call on average here (dynalite on loopback; a DynamoDB GetItem from Lambda is typically several ms), against an added median of ${fmt(median(r1.latencies) - median(d1.latencies), 2)} ms; ` +
            `with the session kept in memory the added median drops to ${fmt(median(m1.latencies) - median(d1.latencies), 2)} ms. ` +
            `At c=50 the caller's CPU is the limit: ${fmt(r50.localCpuMs / r50.latencies.length, 2)} ms of CPU per relay call against ${fmt(d50.localCpuMs / d50.latencies.length, 2)} ms per direct call ` +
            `(${fmt(m50.localCpuMs / m50.latencies.length, 2)} ms with the session in memory); the profile above shows where: the AWS SDK (building, signing and parsing the GetItem) is the largest owner, then undici, Powertools logging (one INFO line per MX call) and the middy pipeline. ` +
            'A Lambda container serves one call at a time, so in AWS this CPU shows up as duration and cost rather than queueing, but it caps what one container can serve.',
          '',
          '**Cheap fix (lib/mx/sessions.ts, not made here):** keep the token this container last read or created in memory and trust it while `lastUsedAt + 25 min > now`; ' +
            'a 401 already invalidates and renews it, and other containers still share sessions through the table on a miss — so the DynamoDB read leaves every warm call ' +
            '(measured above as "session kept in memory", which emulates exactly that by wrapping `DynamoSessionStore` in bench/). The remaining gap to direct at c=50 is the handler\'s own CPU per call.',
        ].join('\n'),
  ].join('\n');

  return { id: 'read-overhead', title: '2. Read overhead', markdown, checks };
}
