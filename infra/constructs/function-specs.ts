import type { HttpFunctionName } from '../../lib/http/route.ts';
import { MX_WORK_QUEUES, QUEUE_NAMES, type QueueName } from '../../lib/queue/queue-names.ts';
import type { PartitionName } from '../../lib/store/table.ts';
import { PUBLIC_DIRECTORY } from '../../lib/api-docs/public-files.ts';
import { RECONCILE_DISPATCH_EVERY_MINUTES } from '../../lib/aggregation/reconcile-dispatcher.ts';

export type WorkerFunctionName = 'worker-poll' | 'worker-deliver' | 'events-refresh';
export type ScheduledFunctionName = 'sweeper' | 'reconcile-dispatch';
export type FunctionName = HttpFunctionName | WorkerFunctionName | ScheduledFunctionName;

export type ItemAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:BatchGetItem'
  | 'dynamodb:BatchWriteItem';

/**
 * What a function may do to API key items (`APIKEY#…`): read the caller's, record its use, read and delete a user's
 * keys when erasing it. Never put or batch-write: keys are made by the CLI, so no function can mint one.
 */
export type ApiKeyAction = 'dynamodb:GetItem' | 'dynamodb:UpdateItem' | 'dynamodb:DeleteItem' | 'dynamodb:BatchGetItem';

/** What a function runs Query on: the table's own key (`pk` + `sk` prefix), the gsi1 index or the gsi2 index. */
export type QueryTarget = 'table' | 'gsi1' | 'gsi2';

/**
 * What one Lambda is and exactly what it may touch, read off what its code path in lib/ does. Every function
 * behind an `api_key` route reads the caller's key item (GetItem), records its use (UpdateItem) and adds to its
 * per-minute count (`rateWindows`).
 */
export interface FunctionSpec {
  description: string;
  memorySize: number;
  timeoutSeconds: number;
  itemActions: readonly ItemAction[];
  queries: readonly QueryTarget[];
  /**
   * The partitions (lib/store/table.ts → PARTITIONS) its item actions and table queries may touch: the role's
   * `dynamodb:LeadingKeys`. A function that does not call MX never names `users`, where sessions live; API keys are
   * `apiKeys`'s, apart.
   */
  partitions: readonly Exclude<PartitionName, 'apiKeys'>[];
  /** What it does to API key items (every function behind an `api_key` route reads and stamps the caller's). */
  apiKeys?: readonly ApiKeyAction[];
  sendsTo: readonly QueueName[];
  /** Queues whose dead-letter queue this function writes to itself (messages that can never succeed). */
  deadLettersTo?: readonly QueueName[];
  /** Queues whose dead-letter queue this function counts (GetQueueAttributes): the operator's overview. */
  countsDeadLetters?: readonly QueueName[];
  /** The queues it consumes, each through an event source of its own (its concurrency: EnvironmentSettings). */
  consumes?: readonly QueueName[];
  /**
   * Reads the MX credentials secret and calls MX: `true` Nexus, through the user's session (sealed with the session
   * tokens' KMS key); `'sso'` the partner's APIs only (SSO widget URLs, MDX Real Time users), no session.
   */
  callsMx: boolean | 'sso';
  /** Seals MX's answers to the writes it relays (the session tokens' key, its own purpose). */
  sealsMxAnswers?: true;
  /** Reads the MX webhook credentials secret (HTTP Basic). */
  verifiesMxWebhooks?: boolean;
  /** Invoked by an EventBridge schedule this many minutes apart. */
  everyMinutes?: number;
  /** Webhook signing secrets: `seal` new ones (create, rotate) and open them, or only `open` them (to sign). */
  webhookSecrets?: 'seal' | 'open';
  /** Reads the key that signs transactions-sync cursors. */
  signsSyncCursors?: boolean;
  /**
   * Folders its code reads at run time from beside its module (`new URL('./public/', import.meta.url)`), as that
   * module names them: each is copied beside the bundle's `index.mjs` under its own name (infra/bundling.ts).
   */
  readsFolders?: readonly URL[];
}

/** The AWS SDK clients a function needs for what its spec says it touches: its bundle holds these and no other. */
export type SdkClient = 'dynamodb' | 'sqs' | 'secrets' | 'kms';

/** The packages of each SDK client, as a bundle imports them. */
export const SDK_CLIENT_PACKAGES: Readonly<Record<SdkClient, readonly string[]>> = {
  dynamodb: ['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb'],
  sqs: ['@aws-sdk/client-sqs'],
  secrets: ['@aws-sdk/client-secrets-manager'],
  kms: ['@aws-sdk/client-kms'],
};

/**
 * Whether the function keys digests (lib/digest-keys.ts), reading the digest key secret: it reads erased users'
 * tombstones or idempotency records, both keyed by digests of what users send.
 */
export const keysDigests = (spec: FunctionSpec): boolean =>
  spec.partitions.includes('erasedUsers') || spec.partitions.includes('idempotency');

export function sdkClientsOf(spec: FunctionSpec): SdkClient[] {
  const used: SdkClient[] = [];
  if (spec.itemActions.length > 0 || spec.queries.length > 0) used.push('dynamodb');
  if (spec.sendsTo.length > 0 || spec.consumes || (spec.countsDeadLetters ?? []).length > 0) used.push('sqs');
  if (spec.callsMx || spec.verifiesMxWebhooks || spec.signsSyncCursors || keysDigests(spec)) used.push('secrets');
  // Webhook signing secrets and MX session tokens are sealed with a KMS data key (seal and open both call KMS).
  if (spec.webhookSecrets || spec.callsMx === true) used.push('kms');
  return used;
}

const GET = 'dynamodb:GetItem';
const PUT = 'dynamodb:PutItem';
const UPDATE = 'dynamodb:UpdateItem';
const DELETE = 'dynamodb:DeleteItem';
const BATCH_GET = 'dynamodb:BatchGetItem';
const BATCH_WRITE = 'dynamodb:BatchWriteItem';

/**
 * The functions that call MX and DynamoDB mostly wait, and Lambda bills memory for every millisecond of it. At 256 MB
 * a warm invocation gets 0.145 vCPU (a full one at 1,769 MB): their own CPU (a nightly report's 57 ms on a full core,
 * most of it the AWS SDK's: BENCHMARKS.md → Capacity) runs 6.9 times as long, billed alike at any size, so headroom
 * comes from their concurrency (infra/environments.ts), not their memory. Initialisation runs on a full vCPU whatever
 * the size (on-demand functions), and 256 MB is several times their init RSS (BENCHMARKS.md → Cold start).
 */
const MOSTLY_WAITING_MB = 256;

export const FUNCTION_SPECS: Readonly<Record<FunctionName, FunctionSpec>> = {
  'api-refresh': {
    description:
      "Starts or joins a member aggregation (sessions, job, active pointer, first poll, started event); members written, listed when they need their user, and users' erasures begun.",
    memorySize: MOSTLY_WAITING_MB,
    // HttpApi gives up after 30 s; MX_RETRY_BUDGET_MS (12 s) bounds each MX call below this.
    timeoutSeconds: 25,
    // BatchGetItem: the webhooks an event goes to (their keys from gsi1, then the items).
    itemActions: [GET, PUT, UPDATE, DELETE, BATCH_GET],
    // Webhooks and the members needing their user (gsi1); the first poll's schedule reads the push counters of the
    // last hours (the table's own key).
    queries: ['table', 'gsi1'],
    apiKeys: [GET, UPDATE],
    // An erasure begins here (its tombstone and record); worker-poll takes its steps.
    partitions: [
      'rateWindows',
      'erasedUsers',
      'erasures',
      'idempotency',
      'users',
      'reconcile',
      'activeJobs',
      'jobs',
      'institutions',
      'mxPushCounts',
      'webhooks',
      'dataKeys',
    ],
    // A member deleted is reported to worker-poll (its transactions out of the user's sync).
    sendsTo: ['poll', 'delivery', 'member-reports', 'erasures'],
    callsMx: true,
  },
  'api-jobs': {
    description: 'Reads aggregation jobs; across users, the jobs to watch and the dead letters waiting in each queue.',
    memorySize: 512,
    timeoutSeconds: 10,
    // UpdateItem: the API key's last_used_at (lib/http/auth.ts), written by every function that takes a key.
    // BatchGetItem: the jobs of a page of keys from gsi2.
    itemActions: [GET, UPDATE, BATCH_GET],
    // A member's latest job (gsi1); a user's jobs, newest first (gsi2); across users, the active-job pointers, the
    // days of jobs that ended needing someone and the hours' job outcomes (the table's own key).
    queries: ['table', 'gsi1', 'gsi2'],
    apiKeys: [GET, UPDATE],
    partitions: ['rateWindows', 'erasedUsers', 'jobs', 'activeJobs', 'attention', 'jobOutcomes'],
    sendsTo: [],
    countsDeadLetters: QUEUE_NAMES,
    callsMx: false,
  },
  'api-read': {
    description: 'Relays Nexus operations as the user, with session management; transactions sync over its change log.',
    // A read or a sync waits on MX nearly all its time (5 and 30 ms of CPU on a full core: BENCHMARKS.md → Capacity);
    // a first sync of a long history, its CPU-heavy call, takes seven times its full-core CPU time at this size.
    memorySize: MOSTLY_WAITING_MB,
    timeoutSeconds: 25,
    // Sessions; the sync state, and its transaction pointers and change log (batches: lib/transactions/transactions-repo.ts).
    itemActions: [GET, PUT, UPDATE, DELETE, BATCH_GET, BATCH_WRITE],
    // A user's change log and transaction pointers (the table's own key).
    queries: ['table'],
    // A user a session is made for joins the reconcile (lib/aggregation/reconcile-enrolment.ts).
    apiKeys: [GET, UPDATE],
    // Idempotency: the answers of the writes it relays, for their Idempotency-Key.
    partitions: ['rateWindows', 'erasedUsers', 'idempotency', 'users', 'reconcile', 'dataKeys'],
    sendsTo: [],
    callsMx: true,
    sealsMxAnswers: true,
    signsSyncCursors: true,
  },
  'api-connect': {
    description: 'MX Connect widget URLs; makes a user at MX the first time it is needed.',
    memorySize: MOSTLY_WAITING_MB,
    // HttpApi gives up after 30 s; a request's MX calls share one MX_RETRY_BUDGET_MS (12 s) deadline, below this.
    timeoutSeconds: 25,
    // UpdateItem: the API key's last_used_at (lib/http/auth.ts), written by every function that takes a key.
    // GetItem, UpdateItem: a user a widget URL is made for joins the reconcile (lib/aggregation/reconcile-enrolment.ts).
    itemActions: [GET, PUT, UPDATE],
    queries: [],
    apiKeys: [GET, UPDATE],
    partitions: ['rateWindows', 'erasedUsers', 'reconcile'],
    sendsTo: [],
    // MX's partner APIs only (SSO widget URLs, MDX Real Time users): the credentials secret, no sessions.
    callsMx: 'sso',
  },
  'api-webhooks': {
    description: 'Webhooks, their delivery log, replays and test pings.',
    memorySize: 512,
    // The test operation waits for one attempt (WEBHOOK_TIMEOUT_MS, 10 s) inside the request.
    timeoutSeconds: 25,
    // BatchGetItem: the webhooks and deliveries of a page of gsi1 keys.
    itemActions: [GET, PUT, UPDATE, DELETE, BATCH_GET],
    // The delivery log pages through gsi1; enabling a webhook lists what waits for it from gsi2.
    queries: ['table', 'gsi1', 'gsi2'],
    apiKeys: [GET, UPDATE],
    partitions: ['rateWindows', 'idempotency', 'webhooks'],
    sendsTo: ['delivery'],
    callsMx: false,
    // Seals the secrets of new and rotated webhooks (and their stored idempotent answers); opens them to test.
    webhookSecrets: 'seal',
  },
  'api-fallback': {
    description: 'Answers unknown routes and wrong methods with problem+json.',
    memorySize: 256,
    timeoutSeconds: 5,
    itemActions: [],
    queries: [],
    partitions: [],
    sendsTo: [],
    callsMx: false,
  },
  'api-docs': {
    description: 'Serves the OpenAPI document, generated from the schemas the operations validate with.',
    memorySize: 256,
    timeoutSeconds: 5,
    itemActions: [],
    queries: [],
    partitions: [],
    sendsTo: [],
    callsMx: false,
    readsFolders: [PUBLIC_DIRECTORY],
  },
  'mx-events': {
    description: "Takes MX's webhooks (HTTP Basic) as hints: the member's active job polled at once, or a report to worker-poll.",
    memorySize: MOSTLY_WAITING_MB,
    timeoutSeconds: 10,
    // Notes each body seen (PutItem, lib/mx-events/mx-webhook-replays-repo.ts); reads the member's active pointers (a
    // query of its shard) and their jobs, noting a push per step on the job; adds to the hour's push counter.
    itemActions: [GET, PUT, UPDATE],
    queries: ['table'],
    partitions: ['activeJobs', 'jobs', 'mxPushCounts', 'mxWebhooks'],
    sendsTo: ['poll', 'member-reports'],
    callsMx: false,
    verifiesMxWebhooks: true,
  },
  'worker-poll': {
    description:
      'One aggregation poll step per message; reschedules itself and ends jobs. Members MX reported on: jobs for aggregations MX ran, status changes. Users erased, a bounded step per message.',
    memorySize: MOSTLY_WAITING_MB,
    timeoutSeconds: 30,
    // After a success, the user's transactions sync change log is brought up to date (batches); an erasure's
    // deletions (batches).
    itemActions: [GET, PUT, UPDATE, DELETE, BATCH_GET, BATCH_WRITE],
    // The push counters of the last hours and a user's transaction pointers (the table's own key); active pointers (gsi1);
    // the user MX's CONNECTION_STATUS names by MX's guid (gsi2, lib/aggregation/reconcile-repo.ts); an erased user's
    // jobs, Idempotency-Key records and API keys (gsi2).
    queries: ['table', 'gsi1', 'gsi2'],
    // An erasure deletes the user's keys, one at a time (never a batch write: no function can mint a key).
    apiKeys: [DELETE],
    // Members' states and MX's hints are in the users' partitions; the reconcile's items say which users apps are
    // served (it makes no user at MX, so reads no tombstone). A job that ends needing someone is listed for the
    // operator's overview (attention). An erasure deletes the user's Idempotency-Key records and, once done, its record.
    partitions: [
      'users',
      'rateWindows',
      'reconcile',
      'activeJobs',
      'jobs',
      'attention',
      'jobOutcomes',
      'institutions',
      'mxPushCounts',
      'webhooks',
      'erasures',
      'idempotency',
      'dataKeys',
    ],
    sendsTo: ['poll', 'member-reports', 'reconcile', 'erasures', 'delivery'],
    // Messages it cannot parse go to their queue's DLQ at once, with their reason.
    deadLettersTo: MX_WORK_QUEUES,
    consumes: MX_WORK_QUEUES,
    callsMx: true,
  },
  sweeper: {
    description:
      'Puts jobs and webhook deliveries whose queue message was lost back on their loops; measures erasures under way.',
    memorySize: 256,
    timeoutSeconds: 60,
    // Reads every active-job pointer (table shards) and its job, recording a re-drive on it (update); releases leftover
    // pointers. Reads the webhooks and their delivery logs since its marks (gsi1, then the items), gives unsettled
    // deliveries a due key (update) and saves the marks (put); reads the overdue deliveries (gsi2 shards) and sends
    // their next attempt. Reads when each erasure under way began (gsi1's keys alone).
    itemActions: [GET, PUT, UPDATE, DELETE, BATCH_GET],
    queries: ['table', 'gsi1', 'gsi2'],
    partitions: ['activeJobs', 'jobs', 'sweepMarks', 'webhooks'],
    sendsTo: ['poll', 'delivery'],
    callsMx: false,
    everyMinutes: 2,
  },
  'reconcile-dispatch': {
    description: 'Walks the reconcile cycle and sends the turns of the users whose slots time has passed, paced.',
    memorySize: 256,
    timeoutSeconds: 60,
    // The users in the slots passed (gsi1 shards), their items (batch get), each shard's cursor (get, conditional put),
    // users listed by due time moved to their slots (update); whether MX pushed lately (the push counters, a query);
    // users no app asked about for RECONCILE_INACTIVE_DAYS taken off the slots (update).
    itemActions: [GET, PUT, UPDATE, BATCH_GET],
    queries: ['table', 'gsi1'],
    partitions: ['reconcile', 'mxPushCounts'],
    sendsTo: ['reconcile'],
    callsMx: false,
    everyMinutes: RECONCILE_DISPATCH_EVERY_MINUTES,
  },
  'events-refresh': {
    description: 'Refreshes asked for by upstream systems on the refresh-requests queue, capped per second.',
    memorySize: MOSTLY_WAITING_MB,
    // A refresh as api-refresh (MX_RETRY_BUDGET_MS, 12 s, per MX call) plus the aggregate call's wait for its rate
    // slot (RateLimiter.maxWaitMs, about 7 s at most).
    timeoutSeconds: 30,
    // The refresh service's, plus the idempotency keys and the rate counter (UpdateItem).
    itemActions: [GET, PUT, UPDATE, DELETE, BATCH_GET],
    queries: ['table', 'gsi1'],
    partitions: [
      'idempotency',
      'rateWindows',
      'erasedUsers',
      'users',
      'reconcile',
      'activeJobs',
      'jobs',
      'institutions',
      'mxPushCounts',
      'webhooks',
      'dataKeys',
    ],
    // Deferred requests go back to its own queue; invalid ones straight to that queue's DLQ, with their reason.
    sendsTo: ['poll', 'delivery', 'refresh-requests'],
    deadLettersTo: ['refresh-requests'],
    consumes: ['refresh-requests'],
    callsMx: true,
  },
  'worker-deliver': {
    description: 'One webhook delivery attempt per message; schedules retries.',
    memorySize: MOSTLY_WAITING_MB,
    // One attempt is bounded by WEBHOOK_TIMEOUT_MS (10 s); a batch's records run in parallel.
    timeoutSeconds: 30,
    itemActions: [GET, UPDATE, BATCH_GET],
    // Closing an endpoint's breaker sends what waits for it: held deliveries and retries, from GSI2 (a log of one
    // shard, made before logs were sharded, by the table's own key).
    queries: ['table', 'gsi2'],
    // A subscription's own rate is counted per second (RATE#webhook:…): no other counter.
    partitions: ['webhooks', 'webhookPace'],
    // Attempts its endpoint does not answer within the patience go on to the slow lane, consumed here too.
    sendsTo: ['delivery', 'delivery-slow'],
    deadLettersTo: ['delivery', 'delivery-slow'],
    consumes: ['delivery', 'delivery-slow'],
    callsMx: false,
    webhookSecrets: 'open',
  },
};

export const FUNCTION_NAMES = Object.keys(FUNCTION_SPECS) as FunctionName[];

/** The function consuming `role`'s queue: its timeout sets the queue's visibility timeout. */
export function consumerOf(role: QueueName): FunctionSpec {
  const consumer = Object.values(FUNCTION_SPECS).find((spec) => spec.consumes?.includes(role));
  if (!consumer) throw new Error(`No function consumes the ${role} queue`);
  return consumer;
}
