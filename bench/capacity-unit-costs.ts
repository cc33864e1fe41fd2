import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalEngines } from '../infra/local/engines.ts';
import { accessLogLine } from '../infra/local/gateway.ts';
import { lambdaContext } from '../infra/local/lambda-context.ts';
import { localServicesConfig } from '../infra/local/local-services.ts';
import { relayOf } from '../infra/local/relay.ts';
import type { FunctionName } from '../infra/constructs/function-specs.ts';
import { ENVIRONMENTS } from '../infra/environments.ts';
import { createSqsClient } from '../lib/aws/sqs-client.ts';
import { tableOf } from '../lib/compositions/storage.ts';
import { HINT_WINDOW_MS } from '../lib/aggregation/member-watch.ts';
import { generateSecret } from '../lib/notify/signing.ts';
import { hashApiKey } from '../lib/http/auth.ts';
import type { ApiEvent, ApiResult } from '../lib/http/api-event.ts';
import { SESSION_REUSE_MS } from '../lib/mx/sessions.ts';
import { ApiKeysRepository } from '../lib/store/api-keys-repo.ts';
import { startMxSimulator } from '../sim/server.ts';
import { installAwsMeter } from './support/aws-meter.ts';
import { startByteProxy } from './support/byte-proxy.ts';
import { type KmsStandIn, startKmsStandIn } from './support/kms-stand-in.ts';
import { onPartitionWrites } from './support/dynalite-capacity.ts';
import { sqsRecord } from './support/sqs-record.ts';
import { median } from './support/stats.ts';
import { ASSUMED_AWS_LATENCY_MS } from './support/pricing.ts';
import { createSealedWebhook } from './support/sealed-webhook.ts';
import { type SpanCpu, startSpanCpu } from './support/span-cpu.ts';

/** The kinds of work the monthly cost is made of, each measured per unit (bench/capacity-cost.ts prices them). */
export const UNITS = [
  'refresh',
  'refresh-unsynced',
  'poll',
  'mx-webhook',
  'report',
  'report-unsynced',
  'reconcile-turn',
  'delivery',
  'transaction',
  'sync',
  'read',
  'read-lapsed',
  'held',
  'held-read',
  'held-read-3',
  'held-read-unsynced',
  'held-read-unsynced-3',
] as const;
export type Unit = (typeof UNITS)[number];
/**
 * With MX_BACKGROUND_AT_TURN: a background aggregation's reports held (`held`, one aggregation; the night's last
 * releases their read), and the read that takes them, of 1 or 3 held members (a read of k members is taken as linear
 * between the two).
 */
export const HELD_READ_UNITS = {
  syncing: { one: 'held-read', three: 'held-read-3' },
  unsynced: { one: 'held-read-unsynced', three: 'held-read-unsynced-3' },
} as const satisfies Record<string, Record<'one' | 'three', Unit>>;

/** Why the relay called MX: a session made (SSO's api token, POST /sessions), a transactions list, a job started, a read. */
export const MX_CAUSES = ['session', 'transactions', 'job', 'read'] as const;
export type MxCause = (typeof MX_CAUSES)[number];
/** The simulator serves every MX host at one origin: SSO's API tokens (the only SSO calls units make) by their path. */
const isSsoPath = (path: string) => path.endsWith('/api_token.json');
const causeOf = (method: string, path: string): MxCause =>
  isSsoPath(path) || path === '/sessions'
    ? 'session'
    : path.includes('/transactions')
      ? 'transactions'
      : method !== 'GET' || /\/(aggregate|check_balance|verify|identify|extend_history)$/.test(path)
        ? 'job'
        : 'read';
const NO_CALLS: Record<MxCause, number> = { session: 0, transactions: 0, job: 0, read: 0 };

/** What MX sends with its webhooks (HTTP Basic), as the simulator is told to. */
const MX_WEBHOOK_CREDENTIALS = { MX_WEBHOOK_USERNAME: 'bench', MX_WEBHOOK_PASSWORD: 'bench-webhook-password' };

/** The relay's session with MX is gone: MX's lasts 30 minutes after its last call (reference §1.2). */
const SESSION_LAPSE_MS = SESSION_REUSE_MS + 2 * 60_000;
/** What each nightly aggregation changes (issue 77's report): two new transactions, a pending one posted. */
export const NIGHTLY_CHANGES = { add: 2, update: 0, post: 1 } as const;

/** What one unit of a kind of work costs in AWS terms. */
export interface UnitCost {
  function: FunctionName;
  /** Lambda invocations (a tenth of one for a message of a full batch). */
  invocations: number;
  /** Lambda time billed: the invocations' wall time, shared among the batch's messages (on a full core). */
  lambdaMs: number;
  /** Of it, worker-poll's batches' share where the unit's function is another's: a refresh's poll step that ends it. */
  batchedMs: number;
  /** Of it, the functions' own CPU (support/span-cpu.ts): what runs longer below a full vCPU. */
  cpuMs: number;
  wru: number;
  rru: number;
  /** Of `wru` and `rru`, each index's (the rest is the table's): what each one's capacity carries when provisioned. */
  gsi1Wru: number;
  gsi2Wru: number;
  gsi1Rru: number;
  gsi2Rru: number;
  /** KMS requests: a data key opened or made (the secret boxes' cache missed). */
  kmsRequests: number;
  /** SQS requests: sends, and a tenth of a batch's receive and delete for each message consumed. */
  sqsRequests: number;
  httpApiRequests: number;
  /** Log lines and EMF metric lines (stdout and stderr) at LOG_LEVEL INFO, and the API's access log line of a request. */
  logBytes: number;
  /** Bytes sent out of AWS to the apps (webhook requests, the API's answers). */
  outBytes: number;
  /** Bytes to MX and from it (HTTP, without TLS): what the NAT gateways process; those to MX leave AWS. */
  mxBytesOut: number;
  mxBytesIn: number;
  /** Deliveries queued (one webhook subscribed to every event). */
  deliveries: number;
  /** MX calls the unit made, by cause. */
  mxCalls: Record<MxCause, number>;
  /**
   * Those of them to MX's SSO host (API tokens): its own budget, apart from the data host's
   * (lib/compositions/mx-call-budget.ts). No unit makes users at MDX Real Time, the third host, or widget URLs.
   */
  ssoCalls: number;
}

/** Average stored bytes of an item of each kind (DynamoDB's size rule: names and values, plus 100 per index entry). */
export type ItemBytes = Record<ItemKind, number>;
const ITEM_KINDS = ['job', 'delivery', 'member', 'user', 'transaction'] as const;
type ItemKind = (typeof ITEM_KINDS)[number];

export interface UnitCosts {
  units: Record<Unit, UnitCost>;
  /** MX's webhooks about one nightly aggregation: its AGGREGATION webhook and one TRANSACTIONS webhook a change. */
  webhooksPerAggregation: number;
  itemBytes: ItemBytes;
  /** worker-deliver: a batch of ten deliveries' wall time, median (the endpoint answering in 100 ms). */
  deliveryBatchMs: number;
  /**
   * Write units per unit of work on each partition that work shares with other work of its kind — fewer partitions of
   * a kind written than units of work done (shards, counters, a webhook's log), not one user's, job's or member's own.
   */
  sharedPartitions: SharedPartition[];
  /** Write units per delivery on its webhook's log partitions: the table's and GSI1's. */
  deliveryLogWru: { table: number; gsi1: number };
  /** Where each unit's write units go, per unit of work: `table {pk kind} {sk kind}` or `{index} {pk kind}`. */
  writesByItem: Partial<Record<Unit, Record<string, number>>>;
}

/** A partition of the table or of an index, and the write units each kind of work spends on it, per unit of work. */
export interface SharedPartition {
  index: string;
  partition: string;
  /** Its kind: the name with ids and shard numbers left out (`WEBHOOK#{id}#{n}`). */
  kind: string;
  perUnit: Partial<Record<Unit, number>>;
}

/** A partition's kind: `ACTIVE#3` → `ACTIVE#{n}`, `JOB#job_x` → `JOB#{id}`. */
export const partitionKind = (partition: string): string =>
  partition.replace(/#[^#]*/g, (segment) => (/^#\d+$/.test(segment) ? '#{n}' : /^#[A-Z]+$/.test(segment) ? segment : '#{id}'));

const BATCH = 10;
const COUNT = 30;
export const UNIT_MX_LATENCY_MS = 300;

/**
 * Each kind of work done COUNT times through the relay's compositions as deployed — over dynalite, fauxqs, the MX
 * simulator answering in UNIT_MX_LATENCY_MS and a webhook endpoint answering 204 in 100 ms — with every DynamoDB and SQS call
 * metered (capacity units as DynamoDB charges them, indexes included), every MX call counted by cause, the log bytes
 * written, and the stored items sized afterwards. The work is the workload's (bench/workload.ts), not the cheapest
 * path: a nightly report finds the user's session lapsed, the user syncing and NIGHTLY_CHANGES made, and MX's own
 * webhooks (its AGGREGATION and TRANSACTIONS ones, as the simulator pushes them) are each taken by mx-events.
 */
export async function measureUnitCosts(engines: LocalEngines): Promise<UnitCosts> {
  const simulator = await startMxSimulator({ log: () => {} });
  // The relay reaches MX through a proxy counting the bytes its NAT gateways would carry.
  const toMx = await startByteProxy(simulator.url);
  /** Adds the MX bytes `work` made to the unit running. */
  const mxBytesOf = async (work: () => Promise<unknown>) => {
    const before = toMx.bytes();
    await work();
    const after = toMx.bytes();
    add('mxBytesOut', after.toMx - before.toMx);
    add('mxBytesIn', after.fromMx - before.fromMx);
  };
  const mxOrigin = new URL(toMx.url).origin;
  const mxCalls = new Map<Unit, Record<MxCause, number>>();
  const onMxRequest = ({ request }: { request: { origin: string; method: string; path: string } }) => {
    if (!unit || request.origin !== mxOrigin) return;
    const calls = mxCalls.get(unit) ?? { ...NO_CALLS };
    const path = request.path.split('?')[0]!;
    calls[causeOf(request.method, path)] += 1;
    mxCalls.set(unit, calls);
    if (isSsoPath(path)) add('ssoCalls', 1);
  };
  subscribe('undici:request:create', onMxRequest as never);
  let received = 0;
  const endpoint = createServer((request, response) => {
    received += headerBytes(request.headers);
    received += request.url!.length + 16;
    request.on('data', (chunk: Buffer) => (received += chunk.length));
    request.on('end', () => setTimeout(() => response.writeHead(204).end(), ASSUMED_AWS_LATENCY_MS.webhook));
  });
  await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
  // MX's webhooks as the simulator pushes them, kept to be handed to mx-events as its route hands them.
  const pushed: string[] = [];
  const mxWebhooks = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => {
      pushed.push(text);
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => mxWebhooks.listen(0, '127.0.0.1', resolve));
  const sqs = createSqsClient({ region: engines.region, sqsEndpoint: engines.sqsEndpoint });
  const totals = new Map<Unit, Omit<UnitCost, 'function' | 'mxCalls'>>();
  let unit: Unit | undefined;
  let cpu: SpanCpu | undefined;
  const cpuMs = new Map<string, number>();
  const add = (field: keyof Omit<UnitCost, 'function' | 'mxCalls'>, n: number) => {
    if (!unit) return;
    const t = totals.get(unit) ?? { ...NO_COST };
    t[field] += n;
    totals.set(unit, t);
  };
  // Write units by unit of work and partition (`index partition`), from dynalite's own accounting; and on the
  // webhook's log, every delivery's (the warm-up round's too: the deliveries worker-deliver takes include them).
  const partitionUnits = new Map<Unit, Map<string, number>>();
  const log = { table: 0, gsi1: 0 };
  let logPartitions: RegExp | undefined;
  const items = new Map<Unit, Map<string, number>>();
  const stopPartitions = onPartitionWrites((write) => {
    if (logPartitions?.test(write.partition)) log[write.index === 'table' ? 'table' : 'gsi1'] += write.units;
    if (write.index === 'gsi1' || write.index === 'gsi2') add(`${write.index}Wru`, write.units);
    if (unit) {
      const byItem = items.get(unit) ?? new Map<string, number>();
      const item = `${write.index} ${partitionKind(write.partition)}${write.sortKey === undefined ? '' : ` ${partitionKind(`#${write.sortKey}`).slice(1)}`}`;
      byItem.set(item, (byItem.get(item) ?? 0) + write.units);
      items.set(unit, byItem);
    }
    // A user's first syncs are its own work, at no rate of the peak's.
    if (!unit || unit === 'transaction') return;
    const byPartition = partitionUnits.get(unit) ?? new Map<string, number>();
    const key = `${write.index} ${write.partition}`;
    byPartition.set(key, (byPartition.get(key) ?? 0) + write.units);
    partitionUnits.set(unit, byPartition);
  });
  const meter = installAwsMeter({
    dynamo: (call) => {
      add(call.write ? 'wru' : 'rru', call.units);
      if (!call.write && (call.index === 'gsi1' || call.index === 'gsi2')) add(`${call.index}Rru`, call.units);
    },
    sqs: (call) => {
      if (!call.command.startsWith('Send')) return;
      add('sqsRequests', 1);
      if (call.queue === engines.queueUrls.delivery.split('/').pop()) add('deliveries', call.messages);
    },
  });
  const writes = [process.stdout.write, process.stderr.write] as const;
  // The functions' log and metric lines while the work runs: counted, not printed (CloudWatch's share of the bill).
  const counting = ((chunk: string | Uint8Array) => {
    add('logBytes', typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length);
    return true;
  }) as typeof process.stdout.write;
  const envBefore = Object.fromEntries(
    ['AWS_ENDPOINT_URL_KMS', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'].map((name) => [name, process.env[name]]),
  );
  let kms: KmsStandIn | undefined;
  try {
    // Secrets sealed under KMS as deployed (a stand-in counting its requests), not the local key.
    kms = await startKmsStandIn(() => add('kmsRequests', 1));
    const sealedUnderKms = { SESSION_TOKENS_KEY_ARN: kms.keyArn, WEBHOOK_SECRETS_KEY_ARN: kms.keyArn };
    process.env.AWS_ENDPOINT_URL_KMS = kms.url;
    // KMSClient takes the default credentials, as deployed: any do for the stand-in.
    process.env.AWS_ACCESS_KEY_ID ??= 'bench';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'bench';
    const config = localServicesConfig(engines, toMx.url, {
      MX_CALLS_PER_SECOND: String(ENVIRONMENTS.prod.mx.callsPerSecond),
      LOG_LEVEL: 'INFO',
      ...MX_WEBHOOK_CREDENTIALS,
      ...sealedUnderKms,
    });
    // The relay's clock runs ahead of the simulator's by whole session lifetimes: its sessions lapse, MX's stay.
    let ahead = 0;
    const relay = relayOf(config, { clock: { now: () => Date.now() + ahead } });
    const lapse = () => void (ahead += SESSION_LAPSE_MS);
    const apiKey = `nxr_bench_${randomBytes(24).toString('base64url')}`;
    await new ApiKeysRepository(tableOf(config)).put({
      hash: hashApiKey(apiKey),
      name: 'bench',
      createdAt: new Date().toISOString(),
    });
    process.stdout.write = counting;
    process.stderr.write = counting;
    const webhook = await createSealedWebhook(relay.workerDeliver.notifier, {
      url: `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/hooks`,
      eventTypes: ['*'],
      secret: generateSecret(),
    });
    logPartitions = new RegExp(`^(WEBHOOK|DELIVERIES)#${webhook.id}(#\\d+)?$`);
    const control = async (path: string, body: unknown) => {
      const answer = await fetch(`${simulator.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
      if (!answer.ok) throw new Error(`simulator ${path}: ${answer.status} ${await answer.text()}`);
      return (await answer.json()) as { member: { guid: string; user_guid: string } };
    };
    await control('/_sim/webhooks', {
      url: `http://127.0.0.1:${(mxWebhooks.address() as AddressInfo).port}/mx`,
      username: MX_WEBHOOK_CREDENTIALS.MX_WEBHOOK_USERNAME,
      password: MX_WEBHOOK_CREDENTIALS.MX_WEBHOOK_PASSWORD,
      mode: 'always',
    });
    const member = async (kind: string, i: number, durationMs: number, changes = { add: 0, update: 0, post: 0 }) => {
      const userId = `cost-${kind}-${i}`;
      const { member } = await control('/_sim/members', {
        user_id: userId,
        use_cases: ['PFM'],
        aggregation: { duration_ms: durationMs, final_status: 'CONNECTED', transactions: changes },
      });
      await relay.apiRead.nexus.listMembers(userId);
      return { userId, memberGuid: member.guid, userGuid: member.user_guid };
    };
    const refreshed = await Promise.all(Array.from({ length: COUNT }, (_, i) => member('refresh', i, 1)));
    // A refresh of a user whose app does not sync: its end ingests nothing.
    const refreshedUnsynced = await Promise.all(Array.from({ length: COUNT }, (_, i) => member('refresh-unsynced', i, 1)));
    const polled = await Promise.all(Array.from({ length: COUNT }, (_, i) => member('poll', i, 3_600_000)));
    const reported = await Promise.all(Array.from({ length: COUNT }, (_, i) => member('report', i, 1, NIGHTLY_CHANGES)));
    // Users whose apps do not sync: MX's wave changes their transactions too; the relay reads none.
    const unsynced = await Promise.all(Array.from({ length: COUNT }, (_, i) => member('unsynced', i, 1, NIGHTLY_CHANGES)));
    const reportedUsers = new Set(reported.map(({ userId }) => userId));
    const unsyncedUsers = new Set(unsynced.map(({ userId }) => userId));
    const reportedMembers = new Set([...reported, ...unsynced].map(({ memberGuid }) => memberGuid));
    // Their apps sync transactions: each aggregation then brings the user's sync up to date. The first syncs take in
    // every transaction the users have: what a transaction costs to keep. Each app keeps its cursor, as apps do: its
    // later syncs ask what changed since.
    unit = 'transaction';
    const cursors = new Map<string, string>();
    await mxBytesOf(async () => {
      for (const { userId } of [...refreshed, ...reported]) {
        let page: Awaited<ReturnType<typeof relay.apiRead.transactions.sync>>;
        do {
          page = await relay.apiRead.transactions.sync(userId, { count: 100, cursor: cursors.get(userId) });
          cursors.set(userId, page.next_cursor);
        } while (page.has_more);
      }
    });
    unit = undefined;
    await control('/_sim/faults', { latency_ms: UNIT_MX_LATENCY_MS });

    /** Runs `work` as `kind`'s share of Lambda time; a warm-up round (no kind) is not counted. */
    const timed = async (kind: Unit | undefined, work: () => Promise<unknown>, invocations: number, batched = false) => {
      unit = kind;
      cpu?.mark(kind);
      const started = performance.now();
      await mxBytesOf(work);
      const ms = performance.now() - started;
      add('lambdaMs', ms);
      if (batched) add('batchedMs', ms);
      add('invocations', invocations);
      cpu?.mark();
      unit = undefined;
    };
    const worker =
      (queue: string, bodies: unknown[], through = relay) =>
      async () => {
        for (let b = 0; b < bodies.length; b += BATCH) {
          const records = bodies.slice(b, b + BATCH).map((body, i) => sqsRecord(queue, `${b + i}`, JSON.stringify(body)));
          const { batchItemFailures } = await through.workerPoll.handler(
            { Records: records } as never,
            lambdaContext('worker-poll'),
          );
          if (batchItemFailures.length > 0) throw new Error(`${queue}: ${batchItemFailures.length} messages failed`);
        }
      };
    const perBatch = COUNT / BATCH;
    const stepsOf = (jobs: { id: string; step: number }[]) =>
      jobs.map((job) => ({ job_id: job.id, step: job.step, due_at: Date.now() + ahead }));
    /**
     * An app's request through its function's handler, as API Gateway hands it; the access log line API Gateway
     * writes for it counted with the function's lines.
     */
    const apiEvent = (
      method: string,
      route: string,
      pathParameters: Record<string, string>,
      query: Record<string, string> = {},
    ): ApiEvent => {
      const path = route.replace(/\{(\w+)\}/g, (_, name: string) => pathParameters[name]!);
      return {
        routeKey: `${method} ${route}`,
        rawPath: path,
        rawQueryString: new URLSearchParams(query).toString(),
        headers: { authorization: `Bearer ${apiKey}`, host: 'api.example.com', 'user-agent': 'node' },
        ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
        pathParameters,
        isBase64Encoded: false,
        requestContext: { requestId: randomUUID(), http: { method, path, sourceIp: '198.51.100.7' } },
      };
    };
    const request = async (
      fn: 'api-read' | 'api-refresh',
      method: string,
      route: string,
      pathParameters: Record<string, string>,
      query: Record<string, string> = {},
      through = relay,
    ): Promise<ApiResult> => {
      const event = apiEvent(method, route, pathParameters, query);
      const path = event.rawPath;
      const startedAt = performance.now();
      const handler = fn === 'api-read' ? through.apiRead.handler : through.apiRefresh.handler;
      const result = await handler(event, lambdaContext(fn));
      if (result.statusCode >= 300) throw new Error(`${method} ${path}: ${result.statusCode} ${result.body}`);
      const integrationLatency = Math.round(performance.now() - startedAt);
      // The answer leaves AWS to the app (HTTP without TLS, as MX's bytes are counted).
      add('outBytes', answerBytes(result));
      add(
        'logBytes',
        Buffer.byteLength(
          `${JSON.stringify(accessLogLine(event, result, { protocol: 'HTTP/1.1', integrationLatency, startedAt }))}\n`,
        ),
      );
      return result;
    };
    const read =
      (userId: string, through = relay) =>
      () =>
        request('api-read', 'GET', '/users/{user_id}/accounts', { user_id: userId }, {}, through);
    /**
     * Another api-read container, warm (it has served another user, so it knows the API key and the hour's session data
     * key) but new to the user: at scale a user's next request seldom reaches the container of its last, so it finds the
     * session in the table.
     */
    const otherContainer = async (servedUserId: string) => {
      const container = relayOf(config, { clock: { now: () => Date.now() + ahead } });
      const served = await read(servedUserId, container)();
      if (served.statusCode !== 200) throw new Error(`warm-up: ${served.statusCode} ${served.body}`);
      return container;
    };
    /** An app's sync from its cursor: the night's changes. */
    const sync = (userId: string) => () =>
      request(
        'api-read',
        'GET',
        '/users/{user_id}/transactions/sync',
        { user_id: userId },
        { count: '100', cursor: cursors.get(userId)! },
      );
    /** A refresh through api-refresh's route; the job it answers with. */
    const refreshRoute = async ({ userId, memberGuid }: { userId: string; memberGuid: string }) => {
      const route = '/users/{user_id}/members/{member_guid}/refresh';
      const result = await request('api-refresh', 'POST', route, { user_id: userId, member_guid: memberGuid });
      return (JSON.parse(result.body) as { job: { id: string } }).job.id;
    };
    /** One of MX's webhooks at mx-events' function URL, as MX posts it (no access log: a function URL writes none). */
    const mxAuthorization = `Basic ${Buffer.from(`${MX_WEBHOOK_CREDENTIALS.MX_WEBHOOK_USERNAME}:${MX_WEBHOOK_CREDENTIALS.MX_WEBHOOK_PASSWORD}`).toString('base64')}`;
    const mxWebhook = (through: typeof relay) => async (text: string) => {
      const event = {
        routeKey: '$default',
        rawPath: '/mx/webhooks',
        rawQueryString: '',
        headers: { authorization: mxAuthorization, 'content-type': 'application/json', host: 'mx-events.example.com' },
        body: text,
        isBase64Encoded: false,
        requestContext: { requestId: randomUUID(), http: { method: 'POST', path: '/mx/webhooks', sourceIp: '198.51.100.8' } },
      } satisfies ApiEvent;
      const result = await through.mxEvents.handler(event, lambdaContext('mx-events'));
      if (result.statusCode >= 300) throw new Error(`MX webhook: ${result.statusCode} ${result.body}`);
    };

    // Each user's work twice, the first time a warm-up: what a user's usual aggregation costs, not its first (MX's
    // guid of the user learnt, its member's state and its sync state made).
    let webhooksCounted = 0;
    cpu = await startSpanCpu();
    for (const round of [undefined, 'counted'] as const) {
      const counted = <U extends Unit>(kind: U) => (round ? kind : undefined);
      // A refresh: the API call, then the poll step that finds it ended (and publishes its end). The night before
      // lapsed its user's session, as it does for most refreshes of the day's first open.
      for (const [kind, users] of [
        ['refresh', refreshed],
        ['refresh-unsynced', refreshedUnsynced],
      ] as const) {
        const ids: string[] = [];
        const refreshAll = async () => {
          for (const m of users) ids.push(await refreshRoute(m));
        };
        await timed(counted(kind), refreshAll, COUNT);
        const jobs = await relay.apiRefresh.jobs.getMany(ids);
        await new Promise((resolve) => setTimeout(resolve, 50));
        await timed(counted(kind), worker('poll', stepsOf(jobs)), perBatch, true);
      }

      // The nightly wave: MX aggregates on its own hours after the users' last call, pushes its webhooks (the
      // aggregation's and one a changed transaction), each taken by mx-events; the member reports worker-poll takes.
      lapse();
      pushed.length = 0;
      for (const m of [...reported, ...unsynced]) await control(`/_sim/members/${m.memberGuid}/background_aggregation`, {});
      const ofReportedMember = (text: string) => {
        const payload = JSON.parse(text) as { member_guid?: string; transaction?: { member_guid?: string } };
        return reportedMembers.has(payload.member_guid ?? payload.transaction?.member_guid ?? '');
      };
      const aggregationsPushed = () => pushed.filter((text) => ofReportedMember(text) && text.includes('"AGGREGATION"'));
      // And, counted, the deletion of each member's pending transaction MX posts (NIGHTLY_CHANGES posts one; before the
      // warm-up some members have none pending).
      const deletions = round ? 2 * COUNT : 0;
      const deletionsPushed = () =>
        pushed.filter((text) => ofReportedMember(text) && text.includes('"transaction"') && text.includes('"deleted"'));
      for (let waited = 0; aggregationsPushed().length < 2 * COUNT || deletionsPushed().length < deletions; waited += 50) {
        if (waited > 20_000) {
          throw new Error(
            `MX's webhooks pushed: AGGREGATION ${aggregationsPushed().length}, deleted ${deletionsPushed().length} of ${2 * COUNT}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const announced = pushed.filter(ofReportedMember);
      if (round) webhooksCounted = announced.length;
      const announce = async () => {
        for (const text of announced) await mxWebhook(relay)(text);
      };
      await timed(counted('mx-webhook'), announce, announced.length);
      // A report is a hint: the user's read of MX follows on the same queue (the report's cost). The AGGREGATION's is
      // read at once and takes it alone; the deletion's, come after that read, finds its transaction removed by that
      // read's ingest and asks for no read (before the read, it would join it). Each kind's messages (reports: at least
      // one a user; reads: as many as `reads` a user) handed to worker-poll as its work.
      const handOn = async (message: 'member_report' | 'mx_hints', queued: unknown[], reads = 1) => {
        for (const [kind, users] of [
          ['report', reportedUsers],
          ['report-unsynced', unsyncedUsers],
        ] as const) {
          const bodies = queued.filter((body) =>
            users.has((body as Record<string, { user_id?: string } | undefined>)[message]?.user_id ?? ''),
          );
          // The warm-up's are not checked: some of its members had no pending transaction to post.
          if (round && (message === 'mx_hints' ? bodies.length !== reads * COUNT : bodies.length < COUNT)) {
            throw new Error(`${kind}: ${bodies.length} ${message} messages queued for ${COUNT} users`);
          }
          await timed(counted(kind), worker('member-reports', bodies), bodies.length / BATCH);
        }
      };
      const reports = await drain(sqs, engines.queueUrls['member-reports']);
      const ofAggregation = (body: unknown) =>
        (body as { member_report?: { kind?: string } }).member_report?.kind === 'aggregation';
      await handOn('member_report', reports.filter(ofAggregation));
      await handOn('mx_hints', await drain(sqs, engines.queueUrls['member-reports']));
      await handOn(
        'member_report',
        reports.filter((body) => !ofAggregation(body)),
      );
      await new Promise((resolve) => setTimeout(resolve, HINT_WINDOW_MS + 1_500));
      await handOn('mx_hints', await drain(sqs, engines.queueUrls['member-reports']), 0);
    }

    // MX_BACKGROUND_AT_TURN: the same night for users of 1 and of 3 members, syncing and not, through a relay with the
    // setting on. Each aggregation's reports are held (no read); the night's last releases one read of them all.
    const turnUsers = async (kind: string, members: number, syncing: boolean) =>
      Promise.all(
        Array.from({ length: COUNT }, async (_, i) => {
          const userId = `turn-${kind}-${i}`;
          const guids: string[] = [];
          for (let k = 0; k < members; k++) {
            const aggregation = { duration_ms: 1, final_status: 'CONNECTED', transactions: NIGHTLY_CHANGES };
            guids.push((await control('/_sim/members', { user_id: userId, use_cases: ['PFM'], aggregation })).member.guid);
          }
          await atTurn.apiRead.nexus.listMembers(userId);
          if (syncing) await atTurn.apiRead.transactions.sync(userId, { count: 100 });
          return { userId, guids };
        }),
      );
    const atTurn = relayOf(
      localServicesConfig(engines, toMx.url, {
        MX_CALLS_PER_SECOND: String(ENVIRONMENTS.prod.mx.callsPerSecond),
        LOG_LEVEL: 'INFO',
        MX_BACKGROUND_AT_TURN: 'true',
        ...MX_WEBHOOK_CREDENTIALS,
        ...sealedUnderKms,
      }),
      // Its own clock a night on for the counted round, so the app's day below keeps the others' time.
      { clock: { now: () => Date.now() + ahead + nightAhead } },
    );
    let nightAhead = 0;
    const turnGroups = [
      [HELD_READ_UNITS.syncing.one, await turnUsers('one', 1, true)],
      [HELD_READ_UNITS.syncing.three, await turnUsers('three', 3, true)],
      [HELD_READ_UNITS.unsynced.one, await turnUsers('unsynced-one', 1, false)],
      [HELD_READ_UNITS.unsynced.three, await turnUsers('unsynced-three', 3, false)],
    ] as const;
    const turnMembers = new Set(turnGroups.flatMap(([, users]) => users.flatMap(({ guids }) => guids)));
    for (const round of [undefined, 'counted'] as const) {
      const counted = <U extends Unit>(kind: U) => (round ? kind : undefined);
      // A night later: the members the warm-up's reads recorded were aggregated a day ago, each to come again.
      lapse();
      if (round) nightAhead = 24 * 3600_000;
      pushed.length = 0;
      for (const guid of turnMembers) await control(`/_sim/members/${guid}/background_aggregation`, {});
      const ofTurnMember = (text: string) => {
        const payload = JSON.parse(text) as { member_guid?: string; transaction?: { member_guid?: string } };
        return turnMembers.has(payload.member_guid ?? payload.transaction?.member_guid ?? '');
      };
      for (let waited = 0; pushed.filter((t) => ofTurnMember(t) && t.includes('"AGGREGATION"')).length < turnMembers.size;) {
        if ((waited += 50) > 20_000) throw new Error("MX's AGGREGATION webhooks of the turn's users not all pushed");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // Its deletions come after (the simulator posts as it ends): wait for them to stop arriving.
      for (let last = -1; last !== pushed.length;) {
        last = pushed.length;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      for (const text of pushed.filter(ofTurnMember)) await mxWebhook(atTurn)(text);
      // Each report held, the user's last releasing the read (its deletions join it).
      const reports = await drain(sqs, engines.queueUrls['member-reports']);
      await timed(counted('held'), worker('member-reports', reports, atTurn), reports.length / BATCH);
      // A deletion's hint taken before its aggregation's schedules a read a window on: it finds the night's read done.
      await new Promise((resolve) => setTimeout(resolve, HINT_WINDOW_MS + 1_500));
      const reads = await drain(sqs, engines.queueUrls['member-reports']);
      const readOf = (body: unknown) => (body as { mx_hints?: { user_id?: string } }).mx_hints?.user_id;
      for (const [kind, users] of turnGroups) {
        const mine = new Set(users.map(({ userId }) => userId));
        const theirs = reads.filter((body) => mine.has(readOf(body) ?? ''));
        if (theirs.length < users.length) throw new Error(`${kind}: ${theirs.length} reads for ${users.length} users`);
        await timed(counted(kind), worker('member-reports', theirs, atTurn), theirs.length / BATCH);
      }
      const followUps = await drain(sqs, engines.queueUrls['member-reports']);
      if (followUps.length > 0) throw new Error(`${followUps.length} member-reports messages after the night's reads`);
    }

    // The app's day: a sync as an open begins, hours after the night's ingest (its session lapsed), then its reads in
    // that session; another user's open begins with a read.
    lapse();
    await timed(
      'sync',
      async () => {
        for (const { userId } of reported) await sync(userId)();
      },
      COUNT,
    );
    const others = await Promise.all(reported.map((_, i) => otherContainer(reported[(i + 1) % reported.length]!.userId)));
    await timed(
      'read',
      async () => {
        for (const [i, { userId }] of reported.entries()) await read(userId, others[i])();
      },
      COUNT,
    );
    lapse();
    await timed(
      'read-lapsed',
      async () => {
        for (const { userId } of reported) await read(userId)();
      },
      COUNT,
    );

    // A poll step more, of a job still aggregating.
    const running = await relay.apiRefresh.jobs.getMany(await Promise.all(polled.map((m) => refreshRoute(m))));
    await timed('poll', worker('poll', stepsOf(running)), perBatch);

    // A reconcile turn of a user seen aggregated (the reconcile's usual turn: no MX read).
    const now = Date.now() + ahead;
    const turns = reported.map(({ userId }) => ({
      reconcile: { user_id: userId, since: now - 3_600_000, webhooks_on: true },
      due_at: now,
    }));
    await timed('reconcile-turn', worker('reconcile', turns), perBatch);

    // Every delivery the work above queued, attempted by worker-deliver in batches of ten.
    const deliveries = await drain(sqs, engines.queueUrls.delivery);
    const batchTimes: number[] = [];
    unit = 'delivery';
    cpu.mark('delivery');
    for (let b = 0; b < deliveries.length; b += BATCH) {
      const records = deliveries.slice(b, b + BATCH).map((body, i) => sqsRecord('delivery', `${b + i}`, JSON.stringify(body)));
      const started = performance.now();
      const { batchItemFailures } = await relay.workerDeliver.handler(
        { Records: records } as never,
        lambdaContext('worker-deliver'),
      );
      batchTimes.push(performance.now() - started);
      if (batchItemFailures.length > 0) throw new Error(`delivery: ${batchItemFailures.length} messages failed`);
    }
    add(
      'lambdaMs',
      batchTimes.reduce((a, b) => a + b, 0),
    );
    add('invocations', deliveries.length / BATCH);
    add('outBytes', received);
    unit = undefined;
    for (const [kind, ms] of await cpu.stop()) cpuMs.set(kind, ms);
    cpu = undefined;
    process.stdout.write = writes[0];
    process.stderr.write = writes[1];

    // Through the HTTP API (MX's webhooks come to mx-events' function URL); SQS consumers' receives and deletes otherwise.
    const viaApi = new Set<Unit>(['refresh', 'refresh-unsynced', 'mx-webhook', 'sync', 'read', 'read-lapsed']);
    const viaHttpApi = (kind: Unit) => viaApi.has(kind) && kind !== 'mx-webhook';
    const per = (kind: Unit, n: number, fn: FunctionName): UnitCost => {
      const t = totals.get(kind) ?? { ...NO_COST };
      const consumed = viaApi.has(kind) ? 0 : 0.2;
      const calls = mxCalls.get(kind) ?? NO_CALLS;
      return {
        function: fn,
        invocations: t.invocations / n,
        lambdaMs: t.lambdaMs / n,
        batchedMs: t.batchedMs / n,
        cpuMs: (cpuMs.get(kind) ?? 0) / n,
        wru: t.wru / n,
        rru: t.rru / n,
        gsi1Wru: t.gsi1Wru / n,
        gsi2Wru: t.gsi2Wru / n,
        gsi1Rru: t.gsi1Rru / n,
        gsi2Rru: t.gsi2Rru / n,
        sqsRequests: t.sqsRequests / n + consumed,
        kmsRequests: t.kmsRequests / n,
        httpApiRequests: viaHttpApi(kind) ? 1 : 0,
        logBytes: t.logBytes / n,
        outBytes: t.outBytes / n,
        mxBytesOut: t.mxBytesOut / n,
        mxBytesIn: t.mxBytesIn / n,
        deliveries: t.deliveries / n,
        mxCalls: Object.fromEntries(MX_CAUSES.map((cause) => [cause, calls[cause] / n])) as Record<MxCause, number>,
        ssoCalls: t.ssoCalls / n,
      };
    };
    // A refresh's poll step is worker-poll's: its share is a consumed message too.
    const [refresh, refreshUnsynced] = (['refresh', 'refresh-unsynced'] as const).map((kind) => {
      const cost = per(kind, COUNT, 'api-refresh');
      return { ...cost, sqsRequests: cost.sqsRequests + 0.2 };
    }) as [UnitCost, UnitCost];
    const units: Record<Unit, UnitCost> = {
      refresh,
      'refresh-unsynced': refreshUnsynced,
      poll: per('poll', COUNT, 'worker-poll'),
      'mx-webhook': per('mx-webhook', webhooksCounted, 'mx-events'),
      report: per('report', COUNT, 'worker-poll'),
      'report-unsynced': per('report-unsynced', COUNT, 'worker-poll'),
      'reconcile-turn': per('reconcile-turn', COUNT, 'worker-poll'),
      delivery: per('delivery', Math.max(1, deliveries.length), 'worker-deliver'),
      transaction: per('transaction', 1, 'api-read'),
      sync: per('sync', COUNT, 'api-read'),
      read: per('read', COUNT, 'api-read'),
      'read-lapsed': per('read-lapsed', COUNT, 'api-read'),
      held: per('held', turnMembers.size, 'worker-poll'),
      ...(Object.fromEntries(turnGroups.map(([kind]) => [kind, per(kind, COUNT, 'worker-poll')])) as Record<
        (typeof turnGroups)[number][0],
        UnitCost
      >),
    };
    const stored = await sizeItems(config);
    units.transaction = per('transaction', Math.max(1, stored.transactions), 'api-read');
    units.transaction.sqsRequests = 0;
    units.transaction.lambdaMs = 0;
    units.transaction.cpuMs = 0;
    units.transaction.httpApiRequests = 0;
    const instances: Record<Unit, number> = {
      ...Object.fromEntries(UNITS.map((kind) => [kind, COUNT])),
      'mx-webhook': webhooksCounted,
      delivery: deliveries.length,
      held: turnMembers.size,
    } as Record<Unit, number>;
    return {
      units,
      webhooksPerAggregation: webhooksCounted / (2 * COUNT),
      itemBytes: stored.bytes,
      deliveryBatchMs: median(batchTimes),
      sharedPartitions: sharedPartitions(partitionUnits, instances),
      deliveryLogWru: { table: log.table / Math.max(1, deliveries.length), gsi1: log.gsi1 / Math.max(1, deliveries.length) },
      writesByItem: Object.fromEntries(
        [...items].map(([kind, byItem]) => [
          kind,
          Object.fromEntries([...byItem].map(([item, wru]) => [item, wru / (kind === 'transaction' ? 1 : instances[kind])])),
        ]),
      ),
    };
  } finally {
    await cpu?.stop();
    unsubscribe('undici:request:create', onMxRequest as never);
    stopPartitions();
    process.stdout.write = writes[0];
    process.stderr.write = writes[1];
    meter.restore();
    sqs.destroy();
    await new Promise((resolve) => endpoint.close(resolve));
    await new Promise((resolve) => mxWebhooks.close(resolve));
    await toMx.close();
    await simulator.close();
    await kms?.close();
    for (const [name, value] of Object.entries(envBefore)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/**
 * From the write units each kind of work spent per partition: the partitions shared by work of a kind (its partitions
 * of some kind fewer than its units of work), per unit of work.
 */
function sharedPartitions(partitionUnits: Map<Unit, Map<string, number>>, instances: Record<Unit, number>): SharedPartition[] {
  const shared = new Map<string, SharedPartition>();
  for (const [unit, byPartition] of partitionUnits) {
    const kinds = new Map<string, number>();
    for (const key of byPartition.keys()) {
      const kind = `${key.split(' ')[0]} ${partitionKind(key.split(' ')[1]!)}`;
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    for (const [key, units] of byPartition) {
      const [index, partition] = key.split(' ') as [string, string];
      const kind = partitionKind(partition);
      if (kinds.get(`${index} ${kind}`)! >= instances[unit]) continue;
      const entry = shared.get(key) ?? { index, partition, kind, perUnit: {} };
      entry.perUnit[unit] = (entry.perUnit[unit] ?? 0) + units / instances[unit];
      shared.set(key, entry);
    }
  }
  return [...shared.values()];
}

/** Headers' bytes on the wire (`name: value\r\n` each). */
const headerBytes = (headers: Record<string, unknown> = {}) =>
  Object.entries(headers).reduce((n, [k, v]) => n + k.length + String(v).length + 4, 0);

/** An answer's bytes on the wire: its status line, headers and body. */
const answerBytes = (result: { statusCode: number; headers?: Record<string, unknown>; body?: string }) =>
  `HTTP/1.1 ${result.statusCode} \r\n\r\n`.length + headerBytes(result.headers) + Buffer.byteLength(result.body ?? '');

/** A unit that cost nothing: what each is counted up from. */
export const NO_COST: Omit<UnitCost, 'function' | 'mxCalls'> = {
  invocations: 0,
  lambdaMs: 0,
  batchedMs: 0,
  cpuMs: 0,
  wru: 0,
  rru: 0,
  gsi1Wru: 0,
  gsi2Wru: 0,
  gsi1Rru: 0,
  gsi2Rru: 0,
  sqsRequests: 0,
  kmsRequests: 0,
  httpApiRequests: 0,
  logBytes: 0,
  outBytes: 0,
  mxBytesOut: 0,
  mxBytesIn: 0,
  deliveries: 0,
  ssoCalls: 0,
};

/** Every message waiting in a queue, taken off it (their bodies). */
async function drain(sqs: ReturnType<typeof createSqsClient>, queueUrl: string): Promise<unknown[]> {
  const bodies: unknown[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 600 }),
    );
    if (Messages.length === 0) return bodies;
    for (const message of Messages) bodies.push(JSON.parse(message.Body!));
  }
}

/** DynamoDB's item size: attribute names and values (numbers about 21 bytes), plus 100 per keys-only index entry. */
function itemSize(item: Record<string, unknown>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    size += name.length;
    if (typeof value === 'string') size += Buffer.byteLength(value);
    else if (typeof value === 'number') size += 21;
    else if (typeof value === 'boolean' || value === null) size += 1;
    else if (value instanceof Uint8Array) size += value.byteLength;
    else size += Buffer.byteLength(JSON.stringify(value));
    if (name === 'gsi1pk' || name === 'gsi2pk') size += 100;
  }
  return size;
}

/**
 * The stored items sized, by kind: what a job, a delivery, a member (its state), a user (session, schedule, sync
 * state) and a transaction (its pointer and log entry) keep in the table. Users and members are this run's own.
 */
async function sizeItems(config: ReturnType<typeof localServicesConfig>): Promise<{ bytes: ItemBytes; transactions: number }> {
  const table = tableOf(config);
  const bytes = Object.fromEntries(ITEM_KINDS.map((kind) => [kind, 0])) as Record<ItemKind, number>;
  const owners = Object.fromEntries(ITEM_KINDS.map((kind) => [kind, new Set<string>()])) as Record<ItemKind, Set<string>>;
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await table.client.send(new ScanCommand({ TableName: table.tableName, ExclusiveStartKey }));
    for (const item of page.Items ?? []) {
      const found = kindOf(String(item.pk), String(item.sk));
      if (!found) continue;
      bytes[found.kind] += itemSize(item) + 100;
      if (found.owner) owners[found.kind].add(found.owner);
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  const average = ITEM_KINDS.map((kind) => [kind, owners[kind].size === 0 ? 0 : bytes[kind] / owners[kind].size]);
  return { bytes: Object.fromEntries(average) as ItemBytes, transactions: owners.transaction.size };
}

/** An item's kind, and what it is counted by (a transaction's log entry is its pointer's). */
function kindOf(pk: string, sk: string): { kind: ItemKind; owner?: string } | undefined {
  if (pk.startsWith('JOB#')) return { kind: 'job', owner: pk };
  if (pk.startsWith('WEBHOOK#') && sk.startsWith('MSG#')) return { kind: 'delivery', owner: `${pk}/${sk}` };
  const user = /^(?:USER|RECONCILE)#(cost-[^#]+)(#TXN|#TXLOG)?$/.exec(pk);
  if (!user) return undefined;
  if (user[2] === '#TXN') return { kind: 'transaction', owner: `${pk}/${sk}` };
  if (user[2] === '#TXLOG') return { kind: 'transaction' };
  if (sk.startsWith('MEMBER#')) return { kind: 'member', owner: sk };
  return { kind: 'user', owner: user[1] };
}
