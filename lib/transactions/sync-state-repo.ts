import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conditionalOutput, conditionalWrite, keys, type TableRef } from '../store/table.ts';

/** Where a user's transactions sync stands (`USER#{id}` / `TXSYNC`). */
export interface SyncState {
  /** The highest sequence number allocated (some may belong to an ingest still writing, or one that died). */
  allocated: number;
  /** Every change up to this number is written: what a sync may hand out. */
  committed: number;
  /** The day MX's `updated_between` is read from next (the last ingest's start day); undefined before the first. */
  watermarkDay?: string;
  /** When MX's whole list was last read (the first ingest, then each reconciliation). */
  fullListedAt?: number;
  /** When the last ingest started. */
  ingestedAt?: number;
  /** When an aggregation asked for the window MX may still change while another call held the ingest. */
  windowDueAt?: number;
  /** When the last ingest that read that window (or everything) started, and when its reads ended. */
  windowReadAt?: number;
  windowSeenAt?: number;
  /**
   * The relay forgot the user's transactions (no app asked about the user: RECONCILE_INACTIVE_DAYS): every pointer and
   * log entry at or below this sequence number is of the forgotten past, read by nothing and deleted in batches, and a
   * cursor below it is expired.
   */
  resetSeq?: number;
  /** Forgotten and not synced since: the relay's own upkeep (after aggregations, MX's webhooks) leaves it alone. */
  forgotten?: boolean;
}

/** How a caller claims the ingest lease (SyncStateRepository.claimIngest). */
export interface IngestClaim {
  bySync?: boolean;
  reusedWithinMs?: number;
}

/** Whether `state` (read after a claim failed) declines `claim` for good, rather than another call holding the lease. */
export const declines = (state: SyncState | undefined, claim: IngestClaim, now: number): boolean =>
  claim.bySync
    ? claim.reusedWithinMs !== undefined && state?.ingestedAt !== undefined && now - state.ingestedAt < claim.reusedWithinMs
    : !state || state.forgotten === true;

/**
 * The state item of a user's transactions sync (`USER#{id}` / `TXSYNC`): allocated and committed sequence numbers, the
 * ingest lease, MX's watermark and window, and a forgetting's reset.
 */
export class SyncStateRepository {
  constructor(private readonly table: TableRef) {}

  async state(userId: string): Promise<SyncState | undefined> {
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: keys.transactionSync(userId), ConsistentRead: true }),
    );
    return Item ? toState(Item) : undefined;
  }

  /**
   * Takes the user's ingest lease for `leaseMs`, unless another holds it or `claim` says there is nothing to claim for
   * (undefined: `declines` tells which). Only a sync (`bySync`: its app asked) makes the state, on its first use, and
   * ends a forgetting: the relay's own upkeep never recreates a state an erasure deleted, nor touches a forgotten one.
   * `reusedWithinMs`: a sync declines an ingest that started this recently (pages of one sync read MX once).
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

  /** Reserves `count` sequence numbers; the last of them is returned. */
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

  /**
   * Ends an ingest: everything up to `committed` is written, MX is read from `watermarkDay` next, the lease is
   * released. False when the lease was lost (another ingest took over): nothing is changed then.
   */
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

  /** Leaves the window MX may still change due, for the next ingest to read (pending-match.ts); never makes a state. */
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

  /** Frees the lease without committing (an ingest that failed): the next one reads MX again from the watermark. */
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

  /**
   * Deletes the sync state of a user whose transactions are all forgotten, unless a sync has claimed it since (which
   * ends the forgetting) or holds the lease: nothing of a user no app asks about is kept for ever.
   */
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
   * Forgets the user's transactions, under the ingest lease `holder`: the sequence numbers move past everything
   * allocated (`reset_seq`), so every pointer and entry written so far is of the past whatever is left of it, and MX's
   * reads start over (the next ingest reads the whole list). Answers `reset_seq`; undefined when the lease was lost.
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
});
