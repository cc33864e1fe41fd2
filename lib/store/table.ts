import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  type BatchWriteCommandInput,
  type DynamoDBDocumentClient,
  paginateQuery,
  type QueryCommandInput,
  type QueryCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { NexusRelayError } from '../errors.ts';

/**
 * The single table (docs/ARCHITECTURE.md → Data model). Indexes hold keys only, so a write changing no index key costs the
 * index nothing; lists read keys, then items (`getItems`). dynalite never expires `ttl`, so readers check `isExpired`.
 */
export const TABLE_KEYS = {
  pk: 'pk',
  sk: 'sk',
  gsi1: 'gsi1',
  gsi1pk: 'gsi1pk',
  gsi1sk: 'gsi1sk',
  gsi2: 'gsi2',
  gsi2pk: 'gsi2pk',
  gsi2sk: 'gsi2sk',
  ttl: 'ttl',
} as const;

export const keys = {
  session: (userId: string) => ({ pk: `USER#${userId}`, sk: 'SESSION' }),
  job: (jobId: string) => ({ pk: `JOB#${jobId}`, sk: 'JOB' }),
  /**
   * In the table itself, so the sweeper needs no index. Per user and member: a refresh claims it before MX says whose
   * member it is, so a claim under another user's id never touches the owner's pointer.
   */
  activeJob: (member: MemberRef) => ({
    pk: activeJobsPartition(shardOf(member.memberGuid, ACTIVE_JOB_SHARDS)),
    sk: `${activeJobsOfMember(member.memberGuid)}USER#${member.userId}`,
  }),
  webhook: (webhookId: string) => ({ pk: `WEBHOOK#${webhookId}`, sk: 'WEBHOOK' }),
  /** A deleted webhook's id, kept while its log may hold deliveries (an erasure reads it). `~` is in no webhook id. */
  deletedWebhook: (webhookId: string) => ({ pk: 'WEBHOOK#~deleted', sk: webhookId }),
  delivery: (webhookId: string, shard: number, msgId: string) => ({
    pk: `WEBHOOK#${webhookId}${logShard(shard)}`,
    sk: `MSG#${msgId}`,
  }),
  apiKey: (sha256Hex: string) => ({ pk: `APIKEY#${sha256Hex}`, sk: 'APIKEY' }),
  idempotency: (hash: string) => ({ pk: `IDEMP#${hash}`, sk: 'IDEMP' }),
  institutionStats: (institution: string) => ({ pk: `INSTITUTION#${institution}`, sk: 'STATS' }),
  mxPushCounts: (hour: string) => ({ pk: 'MXPUSH', sk: `COUNTS#${hour}` }),
  /** One of MX's webhooks seen lately, by its body's digest. */
  mxWebhook: (digest: string) => ({ pk: `MXHOOK#${digest}`, sk: 'MXHOOK' }),
  /** Jobs ended per outcome in one hour, across users. */
  jobOutcomes: (hour: string) => ({ pk: 'OUTCOMES', sk: hour }),
  transactionSync: (userId: string) => ({ pk: `USER#${userId}`, sk: 'TXSYNC' }),
  /** MX refused to aggregate the member for its use cases, or showed them without PFM. */
  pfmRefusal: (userId: string, memberGuid: string) => ({ pk: `USER#${userId}`, sk: `NOPFM#${memberGuid}` }),
  /** MX's webhooks about the user, gathered for one read of MX. */
  mxHints: (userId: string) => ({ pk: `USER#${userId}`, sk: 'MXHINTS' }),
  memberState: (userId: string, memberGuid: string) => ({ pk: `USER#${userId}`, sk: `MEMBER#${memberGuid}` }),
  /** A job that ended needing someone, under its day, so the operator's overview lists them without a scan. Job id only. */
  attention: (day: string, jobId: string) => ({ pk: `ATTENTION#${day}`, sk: jobId }),
  /** An erased user, by a keyed digest of its id. */
  erasedUser: (userDigest: string) => ({ pk: `ERASED#${userDigest}`, sk: 'ERASED' }),
  /** A user's erasure under way, with its progress; deleted when it ends. */
  erasure: (userId: string) => ({ pk: `ERASURE#${userId}`, sk: 'ERASURE' }),
  /** When the reconcile next reads the user's members. */
  reconcile: (userId: string) => ({ pk: `RECONCILE#${userId}`, sk: 'RECONCILE' }),
  /** How far the reconcile's dispatcher has walked a shard of the cycle (`~`: never a user id). */
  reconcileCursor: (shard: number) => ({ pk: 'RECONCILE#~cursor', sk: `SHARD#${shard}` }),
  transactionPointer: (userId: string, guid: string) => ({ pk: `USER#${userId}#TXN`, sk: guid }),
  /** One of the user's events and where its deliveries are: what an erasure deletes. */
  userEvent: (userId: string, eventId: string) => ({ pk: `USER#${userId}#EVENTS`, sk: eventId }),
  transactionChange: (userId: string, seq: number) => ({ pk: `USER#${userId}#TXLOG`, sk: seqKey(seq) }),
  /**
   * A pending transaction inside the window MX may still change (pending-match.ts): what the read after an aggregation
   * expects MX to list, without reading every pointer. Expires with the window.
   */
  transactionInWindow: (userId: string, day: string, guid: string) => ({ pk: `USER#${userId}#TXWIN`, sk: `${day}#${guid}` }),
  deliverySweepCheckpoints: { pk: 'SWEEP', sk: 'DELIVERIES' },
  sweptRetriesCheckpoint: { pk: 'SWEEP', sk: 'RETRIES' },
  rateWindow: (name: string, windowStartMs: number | '*') => ({ pk: `RATE#${name}#${windowStartMs}`, sk: 'RATE' }),
  /** The data key the fleet seals `purpose` under in an hour (`2026-11-29T14`), encrypted by KMS (decision 0038). */
  fleetDataKey: (purpose: string, hour: string) => ({ pk: `DATAKEY#${purpose}`, sk: hour }),
};

/** A member as the relay addresses it: MX's member guid under the user the request names. */
export interface MemberRef {
  userId: string;
  memberGuid: string;
}

/** The sort-key prefix of a member's active-job pointers (one per claiming user). */
export const activeJobsOfMember = (memberGuid: string): string => `MEMBER#${memberGuid}#`;

/** A change-log sequence number as a sort key: zero-padded, so text order is number order. */
export const seqKey = (seq: number): string => String(seq).padStart(15, '0');

/** Active-job pointers are spread over this many partitions so none runs hot; the sweeper reads them all. */
export const ACTIVE_JOB_SHARDS = 8;
export const activeJobsPartition = (shard: number | '*') => `ACTIVE#${shard}`;

/** GSI1 partitions: jobs by member (newest first by createdAt), webhooks listed together, each webhook's deliveries by time. */
export const gsi1 = {
  memberJobs: (memberGuid: string) => `MEMBER#${memberGuid}`,
  webhooks: 'WEBHOOKS',
  webhookDeliveries: (webhookId: string, shard: number) => `DELIVERIES#${webhookId}${logShard(shard)}`,
  apiKeys: 'APIKEYS',
  /** Users by their slot in the reconcile's cycle (sort key `{slot}#{user_id}`). */
  reconcileSlots: (shard: number) => `RECONCILE-SLOTS#${shard}`,
  /** Member states whose connection status needs the user (sort key `{since ISO}#{user_id}#{member_guid}`). */
  membersNeedingUser: (shard: number) => `NEEDSUSER#${shard}`,
  /** Erasures under way, oldest first (sort key `{started ISO}#{user_id}`): the sweeper's age metric. */
  erasures: 'ERASURES',
};

/** Members needing their user are spread over this many GSI1 partitions (an expiry wave at one bank writes many). */
export const MEMBERS_NEEDING_USER_SHARDS = 4;

/** The reconcile's schedule is spread over this many GSI1 partitions (the sweeper reads them all). */
export const RECONCILE_SHARDS = 4;

/**
 * A webhook's delivery log is spread over this many partitions (shard from the event id), since one partition's write
 * limit caps a busy webhook (BENCHMARKS.md, capacity). A page of the log merges one query per shard.
 */
export const DELIVERY_LOG_SHARDS = 16;

const logShard = (shard: number) => (shard === 0 ? '' : `#${shard}`);

/** Due webhook deliveries are spread over this many GSI2 partitions (the sweeper reads them all). */
export const DUE_DELIVERY_SHARDS = 8;

/**
 * GSI2 partitions: each user's jobs (sort key `{created_at ISO}#{job_id}`), and the deliveries the sweeper watches by when
 * their attempt is due (sort key `{due ISO}#{webhook_id}#{msg_id}`, `dueKey` in deliveries-repo.ts), found without a scan.
 */
export const gsi2 = {
  userJobs: (userId: string) => `USER#${userId}#JOBS`,
  /** Sort key: the record id. Lets an erasure find them. */
  userIdempotency: (userId: string) => `USER#${userId}#IDEMP`,
  /** Sort key: the key's digest. Lets an erasure find them without reading every key. */
  userApiKeys: (userId: string) => `USER#${userId}#KEYS`,
  dueDeliveries: (shard: number | '*') => `DUE#${shard}`,
  /** Deliveries held for the endpoint, per log shard (sort key: event id): what enabling it or closing its breaker sends. */
  heldDeliveries: (webhookId: string, shard: number) => `HELD#${webhookId}#${shard}`,
  /** MX's user guid of a user on the reconcile's schedule: whose a webhook is. */
  mxUser: (userGuid: string) => `MXUSER#${userGuid}`,
};

/**
 * Partitions as IAM `dynamodb:LeadingKeys` patterns, built from the key builders so the two cannot drift. A role touches only the
 * partitions its spec names. Index queries are not narrowed: indexes hold keys only, and their items are read under this rule.
 */
export const PARTITIONS = {
  /** A user's MX-read data: sessions, leases, sync state, transaction pointers and change log, member states. */
  users: keys.session('*').pk,
  attention: keys.attention('*', '*').pk,
  /** Tombstones: read before serving or making a user. */
  erasedUsers: keys.erasedUser('*').pk,
  erasures: keys.erasure('*').pk,
  /** Apart from the users' partitions, which hold their sealed sessions. */
  reconcile: keys.reconcile('*').pk,
  jobs: keys.job('*').pk,
  activeJobs: activeJobsPartition('*'),
  /** Webhooks (with sealed signing secrets) and their deliveries. */
  webhooks: keys.webhook('*').pk,
  apiKeys: keys.apiKey('*').pk,
  idempotency: keys.idempotency('*').pk,
  institutions: keys.institutionStats('*').pk,
  mxPushCounts: keys.mxPushCounts('*').pk,
  /** MX's webhooks seen within its retry horizon (replays do nothing more). */
  mxWebhooks: keys.mxWebhook('*').pk,
  jobOutcomes: keys.jobOutcomes('*').pk,
  sweepMarks: keys.deliverySweepCheckpoints.pk,
  rateWindows: keys.rateWindow('*', '*').pk,
  /** A webhook's own delivery rate: not the MX budget, nor the keys' counts. */
  webhookPace: keys.rateWindow('webhook:*', '*').pk,
  /** The fleet's data keys, encrypted: those that seal MX sessions read and make them. */
  dataKeys: keys.fleetDataKey('*', '*').pk,
} as const;
export type PartitionName = keyof typeof PARTITIONS;

/** A stable shard of `key` among `shards` (FNV-1a). */
export function shardOf(key: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % shards;
}

/** The handle every repository takes: a document client and the table name. */
export interface TableRef {
  client: DynamoDBDocumentClient;
  tableName: string;
}

export const isExpired = (item: { ttl?: number } | undefined, nowMs: number): boolean =>
  item?.ttl !== undefined && item.ttl * 1000 <= nowMs;

/** Every item a query matches, across pages. */
export async function* queryAll(
  table: TableRef,
  query: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>,
): AsyncGenerator<NonNullable<QueryCommandOutput['Items']>[number]> {
  for await (const page of paginateQuery({ client: table.client }, { ...query, TableName: table.tableName })) {
    yield* page.Items ?? [];
  }
}

export type Key = { pk: string; sk: string };
/** An item as the document client reads it (the type of a query's `Items`). */
export type Item = NonNullable<QueryCommandOutput['Items']>[number];

/** BatchGetItem's per-call key limit. */
const BATCH_GET_MAX_KEYS = 100;
/** Retries of the keys or requests a batch left unprocessed (throttling), with doubling waits from 25 ms. */
const BATCH_RETRIES = 6;
const beforeRetry = (attempt: number) =>
  attempt > 0 ? new Promise((resolve) => setTimeout(resolve, 25 * 2 ** (attempt - 1))) : undefined;

/** The table key of an index entry (what a keys-only index answers with). */
export const tableKeyOf = (entry: Item): Key => ({ pk: entry.pk as string, sk: entry.sk as string });

/** The items of `keys` in their order, missing ones left out. `consistent` cannot make the index itself consistent. */
export async function getItems(table: TableRef, keys: readonly Key[], options: { consistent?: boolean } = {}): Promise<Item[]> {
  const found = new Map<string, Item>();
  const id = (key: Key) => `${key.pk}\u0000${key.sk}`;
  const unique = [...new Map(keys.map((key) => [id(key), { pk: key.pk, sk: key.sk }])).values()];
  for (let start = 0; start < unique.length; start += BATCH_GET_MAX_KEYS) {
    let pending: Key[] = unique.slice(start, start + BATCH_GET_MAX_KEYS);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > BATCH_RETRIES)
        throw new NexusRelayError(
          'DYNAMODB_UNPROCESSED',
          `BatchGetItem left ${pending.length} key(s) unprocessed after ${BATCH_RETRIES} retries`,
        );
      await beforeRetry(attempt);
      const result = await table.client.send(
        new BatchGetCommand({
          RequestItems: { [table.tableName]: { Keys: pending, ConsistentRead: options.consistent ?? false } },
        }),
      );
      for (const item of result.Responses?.[table.tableName] ?? []) found.set(id(tableKeyOf(item)), item);
      pending = (result.UnprocessedKeys?.[table.tableName]?.Keys ?? []) as Key[];
    }
  }
  return keys.map((key) => found.get(id(key))).filter((item): item is Item => item !== undefined);
}

/** BatchWriteItem's per-call request limit. */
const BATCH_WRITE_MAX = 25;

/** One put or delete of a BatchWriteItem. */
export type WriteRequest = NonNullable<BatchWriteCommandInput['RequestItems']>[string][number];

/** Runs `requests` (no two on one key) in order, retrying what DynamoDB leaves unprocessed. */
export async function writeItems(table: TableRef, requests: readonly WriteRequest[]): Promise<void> {
  for (let start = 0; start < requests.length; start += BATCH_WRITE_MAX) {
    let pending = requests.slice(start, start + BATCH_WRITE_MAX);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > BATCH_RETRIES) {
        throw new NexusRelayError(
          'DYNAMODB_UNPROCESSED',
          `BatchWriteItem left ${pending.length} request(s) unprocessed after ${BATCH_RETRIES} retries`,
        );
      }
      await beforeRetry(attempt);
      const { UnprocessedItems } = await table.client.send(
        new BatchWriteCommand({ RequestItems: { [table.tableName]: pending } }),
      );
      pending = UnprocessedItems?.[table.tableName] ?? [];
    }
  }
}

/** Deletes the items of `keys` (absent ones are no error). */
export async function deleteItems(table: TableRef, keys: readonly Key[]): Promise<void> {
  const id = (key: Key) => `${key.pk}\u0000${key.sk}`;
  const unique = [...new Map(keys.map((key) => [id(key), { pk: key.pk, sk: key.sk }])).values()];
  await writeItems(
    table,
    unique.map((key) => ({ DeleteRequest: { Key: key } })),
  );
}

/** Every item an index query matches, in its order. */
export async function queryItems(
  table: TableRef,
  query: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>,
): Promise<Item[]> {
  const keys: Key[] = [];
  for await (const entry of queryAll(table, query)) keys.push(tableKeyOf(entry));
  return getItems(table, keys);
}

/** Runs a conditional write: true when it applied, false when its condition did not hold. */
export async function conditionalWrite(write: Promise<unknown>): Promise<boolean> {
  return (await conditionalOutput(write)) !== undefined;
}

/** Runs a conditional write: its output when it applied (e.g. the `Attributes` it was asked to return), else undefined. */
export async function conditionalOutput<T>(write: Promise<T>): Promise<{ output: T } | undefined> {
  try {
    return { output: await write };
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return undefined;
    throw error;
  }
}

/**
 * Key schema and indexes: what createTable makes locally and test/infra/stack.test.ts holds the stack's table to.
 * A new object per call, since the SDK's input types are mutable.
 */
export const tableKeySchema = (): Required<Pick<CreateTableCommandInput, 'KeySchema' | 'GlobalSecondaryIndexes'>> => ({
  KeySchema: [
    { AttributeName: TABLE_KEYS.pk, KeyType: 'HASH' },
    { AttributeName: TABLE_KEYS.sk, KeyType: 'RANGE' },
  ],
  GlobalSecondaryIndexes: [
    {
      IndexName: TABLE_KEYS.gsi1,
      KeySchema: [
        { AttributeName: TABLE_KEYS.gsi1pk, KeyType: 'HASH' },
        { AttributeName: TABLE_KEYS.gsi1sk, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'KEYS_ONLY' },
    },
    {
      IndexName: TABLE_KEYS.gsi2,
      KeySchema: [
        { AttributeName: TABLE_KEYS.gsi2pk, KeyType: 'HASH' },
        { AttributeName: TABLE_KEYS.gsi2sk, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'KEYS_ONLY' },
    },
  ],
});

/** Creates the table as CDK does in AWS, for the local runtime and tests. Idempotent. */
export async function createTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: TABLE_KEYS.pk, AttributeType: 'S' },
          { AttributeName: TABLE_KEYS.sk, AttributeType: 'S' },
          { AttributeName: TABLE_KEYS.gsi1pk, AttributeType: 'S' },
          { AttributeName: TABLE_KEYS.gsi1sk, AttributeType: 'S' },
          { AttributeName: TABLE_KEYS.gsi2pk, AttributeType: 'S' },
          { AttributeName: TABLE_KEYS.gsi2sk, AttributeType: 'S' },
        ],
        ...tableKeySchema(),
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
}
