import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { DeleteCommand, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { toEpochSeconds } from '../clock.ts';
import type { PendingFacts } from './pending-match.ts';
import {
  conditionalOutput,
  conditionalWrite,
  getItems,
  keys,
  queryAll,
  seqKey,
  type TableRef,
  type WriteRequest,
  writeItems,
} from '../store/table.ts';

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

/** The latest version the relay knows of one transaction (`USER#{id}#TXN` / `{guid}`). */
export interface TransactionPointer {
  guid: string;
  /** Its entry in the change log (the latest change). */
  seq: number;
  /** The change that added it: a cursor below this has never seen it. */
  firstSeq: number;
  /** Digest of MX's body, to tell a real change from a re-read. */
  version: string;
  removed: boolean;
  /** While MX shows it PENDING (and once removed): what its posted version is matched on. */
  pending?: PendingFacts;
  /** MX showed it PENDING before it posted in place (same guid): it replaced no other. */
  wasPending?: boolean;
  /** A posted transaction: the removed pending one it replaced (`pending_transaction_guid`). */
  pendingGuid?: string;
  /** A removed pending transaction: linked to its posted version already. */
  linked?: boolean;
  /** When the relay removed it (epoch ms). */
  removedAt?: number;
}

/** One entry of the change log (`USER#{id}#TXLOG` / `{seq}`): one per transaction, its latest change. */
export interface TransactionChange {
  seq: number;
  firstSeq: number;
  guid: string;
  /** MX's body as JSON text; undefined for a removal. */
  body?: string;
  removed: boolean;
}

/** A change to write: the transaction's new entry and pointer, and its previous entry to drop. */
export interface ChangeWrite
  extends TransactionChange, Pick<TransactionPointer, 'version' | 'pending' | 'wasPending' | 'pendingGuid' | 'linked'> {
  previousSeq?: number;
  /** Pending, dated inside the window MX may still change, and not held there before: its window item is written. */
  enteredWindow?: boolean;
}

/** A transaction is expected in the window read this many days past its date: the window's reach, and a day more. */
const WINDOW_ITEM_DAYS = 16;

/** Removal entries (tombstones) are kept this long: also how long a sync cursor stays valid. */
export const REMOVED_RETENTION_MS = 30 * 24 * 3600_000;

/**
 * The per-user transaction change log behind `GET /users/{user_id}/transactions/sync`: a state item (allocated and
 * committed sequence numbers, the ingest lease, the MX watermark), one pointer per transaction (its latest version)
 * and a log with exactly one entry per transaction, at the sequence number of its latest change. Reads of the log are
 * strongly consistent; entries above `committed` are never handed out.
 */
export class TransactionsRepository {
  constructor(private readonly table: TableRef) {}

  async state(userId: string): Promise<SyncState | undefined> {
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: keys.transactionSync(userId), ConsistentRead: true }),
    );
    return Item ? toState(Item) : undefined;
  }

  /**
   * Takes the user's ingest lease for `leaseMs`; undefined while another holds it, or when the user has no state. Only
   * a sync (`bySync`: its app asked) makes the state, on its first use, and ends a forgetting (`forgotten` cleared):
   * the relay's own upkeep never recreates a state an erasure deleted.
   */
  async claimIngest(
    userId: string,
    holder: string,
    now: number,
    leaseMs: number,
    options: { bySync?: boolean } = {},
  ): Promise<SyncState | undefined> {
    const leaseFree = 'attribute_not_exists(lease_until) OR lease_until < :now';
    try {
      const { Attributes } = await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.transactionSync(userId),
          UpdateExpression:
            'SET holder = :holder, lease_until = :until, allocated = if_not_exists(allocated, :zero), committed = if_not_exists(committed, :zero)' +
            (options.bySync ? ' REMOVE forgotten_at' : ''),
          ConditionExpression: options.bySync ? leaseFree : `attribute_exists(pk) AND (${leaseFree})`,
          ExpressionAttributeValues: { ':holder': holder, ':until': now + leaseMs, ':now': now, ':zero': 0 },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toState(Attributes!);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
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

  /** The pointers of these transactions, where known (above `resetSeq`: the rest are forgotten). */
  async pointers(userId: string, guids: readonly string[], resetSeq = 0): Promise<Map<string, TransactionPointer>> {
    const items = await getItems(
      this.table,
      guids.map((guid) => keys.transactionPointer(userId, guid)),
      { consistent: true },
    );
    return new Map(
      items.map((item) => toPointer(item)).flatMap((pointer) => (pointer.seq > resetSeq ? [[pointer.guid, pointer]] : [])),
    );
  }

  /** Every pointer of the user above `resetSeq` (a reconciliation compares them with MX's whole list). */
  async allPointers(userId: string, resetSeq = 0): Promise<TransactionPointer[]> {
    const pointers: TransactionPointer[] = [];
    const { pk } = keys.transactionPointer(userId, '');
    for await (const item of queryAll(this.table, {
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': pk },
      ConsistentRead: true,
    })) {
      const pointer = toPointer(item);
      if (pointer.seq > resetSeq) pointers.push(pointer);
    }
    return pointers;
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

  /**
   * Deletes up to `limit` of the forgotten past (log entries at or below `resetSeq` and their pointers); true when none
   * is left. Each transaction has one entry, at its pointer's sequence number, so the entries name the pointers: the
   * pointers written since a user came back are not read until one last pass finds pointers left without an entry (a
   * write stopped part-way, an entry gone by TTL first). Safe to stop anywhere, and beside syncs: reads ignore what it
   * deletes, and a pointer an ingest has written again since (above `resetSeq`) is kept by its delete's condition.
   */
  async collect(userId: string, resetSeq: number, limit: number): Promise<boolean> {
    const entries: { pk: string; sk: string; guid: string }[] = [];
    for await (const item of queryAll(this.table, {
      KeyConditionExpression: 'pk = :pk AND sk <= :upTo',
      ExpressionAttributeValues: { ':pk': keys.transactionChange(userId, 0).pk, ':upTo': seqKey(resetSeq) },
      ProjectionExpression: 'pk, sk, guid',
    })) {
      entries.push({ pk: String(item.pk), sk: String(item.sk), guid: String(item.guid) });
      if (entries.length >= limit) break;
    }
    // Pointers first: an entry left by a stop in between names its pointer again next time.
    await this.#dropPointers(
      userId,
      entries.map(({ guid }) => guid),
      resetSeq,
    );
    await writeItems(
      this.table,
      entries.map(({ pk, sk }) => ({ DeleteRequest: { Key: { pk, sk } } })),
    );
    if (entries.length >= limit) return false;
    const strays: string[] = [];
    for await (const item of queryAll(this.table, {
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.transactionPointer(userId, '').pk },
      ProjectionExpression: 'sk, seq',
    })) {
      if (Number(item.seq) <= resetSeq) strays.push(String(item.sk));
      if (strays.length > limit - entries.length) break;
    }
    const room = limit - entries.length;
    await this.#dropPointers(userId, strays.slice(0, room), resetSeq);
    return strays.length <= room;
  }

  /** Deletes these pointers where they are still of the forgotten past (at or below `resetSeq`). */
  async #dropPointers(userId: string, guids: readonly string[], resetSeq: number): Promise<void> {
    for (let i = 0; i < guids.length; i += 25) {
      await Promise.all(
        guids.slice(i, i + 25).map((guid) =>
          conditionalWrite(
            this.table.client.send(
              new DeleteCommand({
                TableName: this.table.tableName,
                Key: keys.transactionPointer(userId, guid),
                ConditionExpression: 'seq <= :reset',
                ExpressionAttributeValues: { ':reset': resetSeq },
              }),
            ),
          ),
        ),
      );
    }
  }

  /** Writes each change's log entry and pointer, and drops its previous entry. */
  async write(userId: string, changes: readonly ChangeWrite[], now: number): Promise<void> {
    const requests: WriteRequest[] = [];
    for (const change of changes) {
      const ttl = change.removed ? { ttl: toEpochSeconds(now + REMOVED_RETENTION_MS) } : {};
      requests.push({
        PutRequest: {
          Item: {
            ...keys.transactionChange(userId, change.seq),
            guid: change.guid,
            first_seq: change.firstSeq,
            removed: change.removed,
            // Deflated (raw DEFLATE): MX's transaction JSON halves, under the 1 KB of one write unit; and the table's
            // largest share of storage at scale (BENCHMARKS.md → capacity).
            ...(change.body === undefined ? {} : { body_z: deflateRawSync(change.body) }),
            ...ttl,
          },
        },
      });
      requests.push({ PutRequest: { Item: { ...pointerItem(userId, change, now), ...ttl } } });
      if (change.enteredWindow && change.pending) {
        const { day } = change.pending;
        requests.push({
          PutRequest: {
            Item: {
              ...keys.transactionInWindow(userId, day, change.guid),
              ttl: toEpochSeconds(Date.parse(day) + WINDOW_ITEM_DAYS * 24 * 3600_000),
            },
          },
        });
      }
      if (change.previousSeq !== undefined) {
        requests.push({ DeleteRequest: { Key: keys.transactionChange(userId, change.previousSeq) } });
      }
    }
    await writeItems(this.table, requests);
  }

  /**
   * The guids and days of the transactions the relay has seen pending, dated from `from` to `to` (`YYYY-MM-DD`), as
   * their window items hold them (strongly consistent; read their pointers for what they are now).
   */
  async pendingInWindow(userId: string, from: string, to: string): Promise<{ guid: string; day: string }[]> {
    const found: { guid: string; day: string }[] = [];
    for await (const item of queryAll(this.table, {
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': keys.transactionInWindow(userId, '', '').pk, ':from': `${from}#`, ':to': `${to}#~` },
      ConsistentRead: true,
    })) {
      const [day, guid] = String(item.sk).split('#');
      found.push({ guid: guid!, day: day! });
    }
    return found;
  }

  /** Marks removed pending transactions as linked to their posted versions (never linked twice). */
  async markLinked(userId: string, guids: readonly string[]): Promise<void> {
    for (const guid of guids) {
      await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.transactionPointer(userId, guid),
          UpdateExpression: 'SET linked = :true',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':true': true },
        }),
      );
    }
  }

  /** The log entries at these sequence numbers (strongly consistent): MX's bodies of transactions the relay holds. */
  async entries(userId: string, seqs: readonly number[]): Promise<TransactionChange[]> {
    return (
      await getItems(
        this.table,
        seqs.map((seq) => keys.transactionChange(userId, seq)),
        { consistent: true },
      )
    ).map(toChange);
  }

  /** Every log entry of the user above `resetSeq` (strongly consistent; a member deleted: whose transactions are whose). */
  async allChanges(userId: string, resetSeq = 0): Promise<TransactionChange[]> {
    const changes: TransactionChange[] = [];
    for await (const item of queryAll(this.table, {
      KeyConditionExpression: 'pk = :pk AND sk > :after',
      ExpressionAttributeValues: { ':pk': keys.transactionChange(userId, 0).pk, ':after': seqKey(resetSeq) },
      ConsistentRead: true,
    })) {
      changes.push(toChange(item));
    }
    return changes;
  }

  /** Up to `limit` log entries after `afterSeq`, up to `upToSeq`, in order (strongly consistent). */
  async changes(userId: string, afterSeq: number, upToSeq: number, limit: number): Promise<TransactionChange[]> {
    if (upToSeq <= afterSeq) return [];
    const { pk } = keys.transactionChange(userId, 0);
    const { Items = [] } = await this.table.client.send(
      new QueryCommand({
        TableName: this.table.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': pk, ':from': seqKey(afterSeq + 1), ':to': seqKey(upToSeq) },
        ConsistentRead: true,
        Limit: limit,
      }),
    );
    return Items.map(toChange);
  }
}

const toChange = (item: Record<string, unknown>): TransactionChange => ({
  seq: Number(item.sk),
  firstSeq: Number(item.first_seq),
  guid: String(item.guid),
  removed: item.removed === true,
  ...bodyOf(item),
});

/** A pointer as stored. */
function pointerItem(userId: string, change: ChangeWrite, now: number): Record<string, unknown> {
  const { pending } = change;
  return {
    ...keys.transactionPointer(userId, change.guid),
    seq: change.seq,
    first_seq: change.firstSeq,
    version: change.version,
    removed: change.removed,
    ...(pending === undefined
      ? {}
      : {
          pending_key: pending.key,
          pending_day: pending.day,
          ...(pending.createdMs === undefined ? {} : { pending_created: pending.createdMs }),
          ...(pending.member === undefined ? {} : { pending_member: pending.member }),
        }),
    ...(change.wasPending ? { was_pending: true } : {}),
    ...(change.pendingGuid === undefined ? {} : { pending_guid: change.pendingGuid }),
    ...(change.linked ? { linked: true } : {}),
    ...(change.removed ? { removed_at: now } : {}),
  };
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

/** MX's body of a log entry: deflated, or as text in entries written before (kept until the transaction changes). */
function bodyOf(item: Record<string, unknown>): { body?: string } {
  if (item.body_z instanceof Uint8Array) return { body: inflateRawSync(item.body_z).toString('utf8') };
  return typeof item.body === 'string' ? { body: item.body } : {};
}

function toPointer(item: Record<string, unknown>): TransactionPointer {
  const pendingDay = typeof item.pending_day === 'string' ? item.pending_day : undefined;
  return {
    guid: String(item.sk),
    seq: Number(item.seq),
    firstSeq: Number(item.first_seq),
    version: String(item.version),
    removed: item.removed === true,
    ...(typeof item.pending_key === 'string' && pendingDay !== undefined
      ? {
          pending: {
            key: item.pending_key,
            day: pendingDay,
            ...(typeof item.pending_created === 'number' ? { createdMs: item.pending_created } : {}),
            ...(typeof item.pending_member === 'string' ? { member: item.pending_member } : {}),
          },
        }
      : {}),
    ...(typeof item.pending_guid === 'string' ? { pendingGuid: item.pending_guid } : {}),
    ...(item.was_pending === true ? { wasPending: true } : {}),
    ...(item.linked === true ? { linked: true } : {}),
    ...(typeof item.removed_at === 'number' ? { removedAt: item.removed_at } : {}),
  };
}
