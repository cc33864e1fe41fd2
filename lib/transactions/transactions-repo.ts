import { inflateRawSync } from 'node:zlib';
import { DeleteCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { toEpochSeconds } from '../clock.ts';
import type { PendingFacts } from './pending-match.ts';
import { deflateTransaction, inflateTransaction } from './transaction-dictionary.ts';
import {
  conditionalWrite,
  getItems,
  keys,
  queryAll,
  seqKey,
  type TableRef,
  type WriteRequest,
  writeItems,
} from '../store/table.ts';

/** The latest version the relay knows of one transaction. */
export interface TransactionPointer {
  guid: string;
  /** Its latest change's entry in the log. */
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
  /** A posted transaction: the removed pending one it replaced. */
  pendingGuid?: string;
  /** A removed pending transaction: linked to its posted version already. */
  linked?: boolean;
  removedAt?: number;
}

/** One entry of the change log: one per transaction, its latest change. */
export interface TransactionChange {
  seq: number;
  firstSeq: number;
  guid: string;
  /** Undefined for a removal. */
  body?: string;
  removed: boolean;
}

/** A transaction's new entry and pointer, and its previous entry to drop. */
export interface ChangeWrite
  extends TransactionChange, Pick<TransactionPointer, 'version' | 'pending' | 'wasPending' | 'pendingGuid' | 'linked'> {
  previousSeq?: number;
  /** Pending, newly inside the window MX may still change: its window item is written. */
  enteredWindow?: boolean;
}

/** The window's reach, and a day more. */
const WINDOW_ITEM_DAYS = 16;
/** Changes whose items are built and written together (each up to four requests, 25 a batch). */
const WRITE_SLICE = 250;

/** Removal entries (tombstones) are kept this long: also how long a sync cursor stays valid. */
export const REMOVED_RETENTION_MS = 30 * 24 * 3600_000;

/**
 * The per-user change log behind transactions sync: one pointer per transaction and exactly one log entry per
 * transaction, at its latest change. Reads are strongly consistent; entries above `committed` are never handed out.
 */
export class TransactionsRepository {
  constructor(private readonly table: TableRef) {}

  /** Those at or below `resetSeq` are forgotten. */
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
   * Deletes up to `limit` of the forgotten past (at or below `resetSeq`); true when none is left. Safe to stop anywhere,
   * and beside syncs: reads ignore it, and a pointer an ingest wrote again since is kept by its delete's condition.
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

  /** Writes `changes` a slice at a time: a first ingest's thousands of items never exist at once. */
  async write(userId: string, changes: readonly ChangeWrite[], now: number): Promise<void> {
    for (let start = 0; start < changes.length; start += WRITE_SLICE) {
      await writeItems(this.table, this.#requests(userId, changes.slice(start, start + WRITE_SLICE), now));
    }
  }

  #requests(userId: string, changes: readonly ChangeWrite[], now: number): WriteRequest[] {
    const requests: WriteRequest[] = [];
    for (const change of changes) {
      const ttl = change.removed ? { ttl: toEpochSeconds(now + REMOVED_RETENTION_MS) } : {};
      requests.push({
        PutRequest: {
          Item: {
            ...keys.transactionChange(userId, change.seq),
            guid: change.guid,
            first_seq: change.firstSeq,
            ...(change.removed ? { removed: true } : {}),
            // Deflated with MX's field names: under one write unit, and the table's largest share of storage at scale.
            ...(change.body === undefined ? {} : { body_zd: deflateTransaction(change.body) }),
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
    return requests;
  }

  /** Transactions seen pending, dated `from`–`to`; their pointers say what they are now. */
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

  async entries(userId: string, seqs: readonly number[]): Promise<TransactionChange[]> {
    return (
      await getItems(
        this.table,
        seqs.map((seq) => keys.transactionChange(userId, seq)),
        { consistent: true },
      )
    ).map(toChange);
  }

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

function pointerItem(userId: string, change: ChangeWrite, now: number): Record<string, unknown> {
  const { pending } = change;
  return {
    ...keys.transactionPointer(userId, change.guid),
    seq: change.seq,
    first_seq: change.firstSeq,
    version: change.version,
    ...(change.removed ? { removed: true } : {}),
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

/** `body_z`: deflated without the dictionary, as entries were written before it. */
function bodyOf(item: Record<string, unknown>): { body?: string } {
  if (item.body_zd instanceof Uint8Array) return { body: inflateTransaction(item.body_zd) };
  return item.body_z instanceof Uint8Array ? { body: inflateRawSync(item.body_z).toString('utf8') } : {};
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
