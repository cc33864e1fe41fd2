import { type Clock, toIso } from '../clock.ts';
import { type DeliveryItem, type DeliveryLog, type DeliveryLogPosition, fromItem } from './deliveries-repo.ts';
import type { CreatedDeliveries, Delivery, DeliveryFilter, DeliveryStatus } from './delivery.ts';
import { mergeSorted } from '../store/merge-sorted.ts';
import {
  DELIVERY_LOG_SHARDS,
  getItems,
  gsi1,
  isExpired,
  queryAll,
  TABLE_KEYS,
  type TableRef,
  tableKeyOf,
} from '../store/table.ts';

export interface DeliveryPageRequest {
  order: 'newest_first' | 'oldest_first';
  limit: number;
  after?: DeliveryLogPosition;
}

export interface DeliveryPage {
  deliveries: Delivery[];
  /** Absent when the log has been read to the end. */
  next?: DeliveryLogPosition;
}

/** A selective status filter may take several reads per page; past this the page comes back short. */
const MAX_READS_PER_PAGE = 5;

const SHARDS = Array.from({ length: DELIVERY_LOG_SHARDS }, (_, shard) => shard);

/** A webhook's delivery log read in time order, its shards merged as they are read. */
export class DeliveryLogReader {
  constructor(
    private readonly table: TableRef,
    private readonly clock: Clock,
  ) {}

  /**
   * Deliveries logged after `after` and created before `untilMs`, oldest first. Eventually consistent: a stale read only
   * shows an earlier state, and the sweeper's window ended long after the index caught up.
   */
  async createdBetween(log: DeliveryLog, after: string, untilMs: number, limit: number): Promise<CreatedDeliveries> {
    // No position is a bare ISO time, so `until` bounds created_at < until.
    const reader = new LogReader(this.#positions(log, { order: 'oldest_first', from: after, to: toIso(untilMs) }, limit));
    const taken = await reader.take(limit);
    await reader.close();
    const items = await getItems(this.table, taken.entries);
    return {
      deliveries: items.map((item) => ({
        msgId: item.msg_id as string,
        status: item.status as DeliveryStatus,
        createdAt: item.created_at as string,
        hasDueKey: typeof item.gsi2pk === 'string',
      })),
      ...(taken.more ? { last: taken.entries.at(-1)!.position } : {}),
    };
  }

  /** A status filter applies to what each read found, as a query filter would. Eventually consistent. */
  async page(log: DeliveryLog, filter: DeliveryFilter, request: DeliveryPageRequest): Promise<DeliveryPage> {
    const { order, limit, after } = request;
    // Positions are `{created_at}#{msg_id}` and since/until bare ISO times: since ≤ created_at < until.
    const [first, last] = order === 'oldest_first' ? [filter.since, filter.until] : [filter.until, filter.since];
    const reader = new LogReader(this.#positions(log, { order, from: after ?? first, to: last }, limit));
    const deliveries: Delivery[] = [];
    let taken: Taken = { entries: [], more: true };
    let position = after;
    for (let reads = 0; taken.more && deliveries.length < limit && reads < MAX_READS_PER_PAGE; reads++) {
      taken = await reader.take(limit - deliveries.length);
      const now = this.clock.now();
      for (const item of (await getItems(this.table, taken.entries)) as DeliveryItem[]) {
        if (!isExpired(item, now) && (filter.status === undefined || item.status === filter.status))
          deliveries.push(fromItem(item));
      }
      position = taken.entries.at(-1)?.position ?? position;
    }
    await reader.close();
    return { deliveries, ...(taken.more && position !== undefined ? { next: position } : {}) };
  }

  /** The log's entries strictly between `from` and `to`, each shard read a page at a time as they are taken. */
  #positions(
    log: DeliveryLog,
    range: { order: DeliveryPageRequest['order']; from?: string; to?: string },
    pageSize: number,
  ): AsyncGenerator<LogEntry> {
    const ascending = range.order === 'oldest_first';
    const [low, high] = ascending ? [range.from, range.to] : [range.to, range.from];
    const condition =
      low !== undefined && high !== undefined
        ? ' AND #gsi1sk BETWEEN :low AND :high'
        : low !== undefined
          ? ' AND #gsi1sk >= :low'
          : high !== undefined
            ? ' AND #gsi1sk <= :high'
            : '';
    const table = this.table;
    async function* shardEntries(shard: number): AsyncGenerator<LogEntry> {
      for await (const entry of queryAll(table, {
        IndexName: TABLE_KEYS.gsi1,
        KeyConditionExpression: `#gsi1pk = :partition${condition}`,
        ExpressionAttributeNames: { '#gsi1pk': TABLE_KEYS.gsi1pk, ...(condition === '' ? {} : { '#gsi1sk': TABLE_KEYS.gsi1sk }) },
        ExpressionAttributeValues: {
          ':partition': gsi1.webhookDeliveries(log.id, shard),
          ...(low === undefined ? {} : { ':low': low }),
          ...(high === undefined ? {} : { ':high': high }),
        },
        ScanIndexForward: ascending,
        // One more than a page: the bound it starts from may be an entry itself, skipped.
        Limit: pageSize + 1,
      })) {
        // The bounds are exclusive: a position given as a bound was read already, and `to` is a bare ISO time.
        const position = entry.gsi1sk as string;
        if (position !== range.from && position !== range.to) yield { ...tableKeyOf(entry), position };
      }
    }
    return mergeSorted(SHARDS.map(shardEntries), ascending ? byPosition : (a, b) => byPosition(b, a));
  }
}

interface LogEntry {
  pk: string;
  sk: string;
  position: DeliveryLogPosition;
}

const byPosition = (a: LogEntry, b: LogEntry) => (a.position < b.position ? -1 : a.position > b.position ? 1 : 0);

interface Taken {
  entries: LogEntry[];
  more: boolean;
}

/** A log read in order, one entry looked at ahead: whether it goes on is known without taking more. */
class LogReader {
  #ahead: IteratorResult<LogEntry> | undefined;

  constructor(private readonly entries: AsyncGenerator<LogEntry>) {}

  async take(n: number): Promise<Taken> {
    const taken: LogEntry[] = [];
    for (;;) {
      const next = this.#ahead ?? (await this.entries.next());
      this.#ahead = undefined;
      if (next.done) return { entries: taken, more: false };
      if (taken.length === n) {
        this.#ahead = next;
        return { entries: taken, more: true };
      }
      taken.push(next.value);
    }
  }

  async close(): Promise<void> {
    await this.entries.return(undefined);
  }
}
