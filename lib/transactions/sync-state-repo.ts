import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conditionalOutput, conditionalWrite, keys, type TableRef } from '../store/table.ts';

/** Where a user's transactions sync stands. */
export interface SyncState {
  /** Some may belong to an ingest still writing, or one that died. */
  allocated: number;
  /** Every change up to this number is written: what a sync may hand out. */
  committed: number;
  /** The day MX's `updated_between` is read from next. */
  watermarkDay?: string;
  /** When MX's whole list was last read. */
  fullListedAt?: number;
  ingestedAt?: number;
  /** When an aggregation asked for the window MX may still change while another call held the ingest. */
  windowDueAt?: number;
  windowReadAt?: number;
  windowSeenAt?: number;
  /** Everything at or below this is forgotten: read by nothing, deleted in batches; a cursor below it is expired. */
  resetSeq?: number;
  /** Forgotten and not synced since: the relay's own upkeep leaves it alone. */
  forgotten?: boolean;
  /** While an ingest holds the lease: until when. */
  leaseUntil?: number;
}

/** How a caller claims the ingest lease. */
export interface IngestClaim {
  bySync?: boolean;
  reusedWithinMs?: number;
}

/** Whether `state` (read after a failed claim) declines `claim` for good, rather than another call holding the lease. */
export const declines = (state: SyncState | undefined, claim: IngestClaim, now: number): boolean =>
  claim.bySync
    ? claim.reusedWithinMs !== undefined && state?.ingestedAt !== undefined && now - state.ingestedAt < claim.reusedWithinMs
    : !state || state.forgotten === true;

/** The state item of a user's transactions sync, holding the ingest lease. */
export class SyncStateRepository {
  constructor(private readonly table: TableRef) {}

  async state(userId: string): Promise<SyncState | undefined> {
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: keys.transactionSync(userId), ConsistentRead: true }),
    );
    return Item ? toState(Item) : undefined;
  }

  /**
   * Takes the ingest lease; undefined when refused (`declines` tells why). Only a sync makes the state or ends a
   * forgetting: the relay's own upkeep never recreates a state an erasure deleted, nor touches a forgotten one.
   */
  async claimIngest(
    userId: string,
    holder: string,
    now: number,
    leaseMs: number,
    claim: IngestClaim,
  ): Promise<SyncState | undefined> {
    const conditions = ['(attribute_not_exists(lease_until) OR lease_until < :now)'];
    if (!claim.bySync) conditions.push('attribute_exists(pk)', 'attribute_not_exists(forgotten_at)');
    if (claim.reusedWithinMs) conditions.push('(attribute_not_exists(ingested_at) OR ingested_at <= :recent)');
    const answer = await conditionalOutput(
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.transactionSync(userId),
          UpdateExpression:
            'SET holder = :holder, lease_until = :until, allocated = if_not_exists(allocated, :zero), committed = if_not_exists(committed, :zero)' +
            (claim.bySync ? ' REMOVE forgotten_at' : ''),
          ConditionExpression: conditions.join(' AND '),
          ExpressionAttributeValues: {
            ':holder': holder,
            ':until': now + leaseMs,
            ':now': now,
            ':zero': 0,
            ...(claim.reusedWithinMs ? { ':recent': now - claim.reusedWithinMs } : {}),
          },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return answer ? toState(answer.output.Attributes!) : undefined;
  }

  /** Returns the last of the `count` numbers reserved. */
  async allocate(userId: string, count: number): Promise<number> {
    const { Attributes } = await this.table.client.send(
      new UpdateCommand({
        TableName: this.table.tableName,
        Key: keys.transactionSync(userId),
        UpdateExpression: 'ADD allocated :count',
        ExpressionAttributeValues: { ':count': count },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(Attributes!.allocated);
  }

  /** Ends an ingest and releases the lease. False when the lease was lost: nothing is changed then. */
  commit(
    userId: string,
    holder: string,
    update: {
      committed: number;
      watermarkDay: string;
      ingestedAt: number;
      fullListedAt?: number;
      windowReadAt?: number;
      windowSeenAt?: number;
    },
  ): Promise<boolean> {
    return conditionalWrite(
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.transactionSync(userId),
          UpdateExpression:
            'SET committed = :committed, watermark_day = :day, ingested_at = :at' +
            (update.fullListedAt === undefined ? '' : ', full_listed_at = :full') +
            (update.windowReadAt === undefined ? '' : ', window_read_at = :window, window_seen_at = :seen') +
            ' REMOVE holder, lease_until',
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeValues: {
            ':committed': update.committed,
            ':day': update.watermarkDay,
            ':at': update.ingestedAt,
            ':holder': holder,
            ...(update.fullListedAt === undefined ? {} : { ':full': update.fullListedAt }),
            ...(update.windowReadAt === undefined
              ? {}
              : { ':window': update.windowReadAt, ':seen': update.windowSeenAt ?? update.windowReadAt }),
          },
        }),
      ),
    );
  }

  /** Leaves the window due for the next ingest; never makes a state. */
  async requestWindow(userId: string, now: number): Promise<void> {
    await conditionalWrite(
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.transactionSync(userId),
          UpdateExpression: 'SET window_due_at = :now',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':now': now },
        }),
      ),
    );
  }

  /** Frees the lease without committing: the next ingest reads MX again from the watermark. */
  async release(userId: string, holder: string): Promise<void> {
    await conditionalWrite(
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.transactionSync(userId),
          UpdateExpression: 'REMOVE holder, lease_until',
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeValues: { ':holder': holder },
        }),
      ),
    );
  }

  /** Deletes a forgotten user's state unless a sync claimed it since or holds the lease. */
  async dropForgotten(userId: string): Promise<boolean> {
    return conditionalWrite(
      this.table.client.send(
        new DeleteCommand({
          TableName: this.table.tableName,
          Key: keys.transactionSync(userId),
          ConditionExpression: 'attribute_exists(forgotten_at) AND attribute_not_exists(holder)',
        }),
      ),
    );
  }

  /**
   * Under the lease, moves the sequence past everything allocated, so all written so far is the past, and MX's reads
   * start over. Answers `reset_seq`; undefined when the lease was lost.
   */
  async forget(userId: string, holder: string, now: number): Promise<number | undefined> {
    const answer = await conditionalOutput(
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.transactionSync(userId),
          UpdateExpression:
            'SET reset_seq = allocated + :one, allocated = allocated + :one, committed = allocated + :one, ' +
            'forgotten_at = :now REMOVE watermark_day, full_listed_at, ingested_at, window_due_at, window_read_at, window_seen_at',
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeValues: { ':one': 1, ':now': now, ':holder': holder },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return answer ? Number(answer.output.Attributes!.reset_seq) : undefined;
  }
}

const toState = (item: Record<string, unknown>): SyncState => ({
  allocated: Number(item.allocated ?? 0),
  committed: Number(item.committed ?? 0),
  ...(typeof item.watermark_day === 'string' ? { watermarkDay: item.watermark_day } : {}),
  ...(typeof item.full_listed_at === 'number' ? { fullListedAt: item.full_listed_at } : {}),
  ...(typeof item.ingested_at === 'number' ? { ingestedAt: item.ingested_at } : {}),
  ...(typeof item.window_due_at === 'number' ? { windowDueAt: item.window_due_at } : {}),
  ...(typeof item.window_read_at === 'number' ? { windowReadAt: item.window_read_at } : {}),
  ...(typeof item.window_seen_at === 'number' ? { windowSeenAt: item.window_seen_at } : {}),
  ...(typeof item.reset_seq === 'number' ? { resetSeq: item.reset_seq } : {}),
  ...(typeof item.forgotten_at === 'number' ? { forgotten: true } : {}),
  ...(typeof item.lease_until === 'number' ? { leaseUntil: item.lease_until } : {}),
});
