import { type Clock, toIso } from '../clock.ts';
import type { OverdueDelivery, PendingEndpointDelivery } from './delivery.ts';
import type { DeliveryLog } from './deliveries-repo.ts';
import {
  DELIVERY_LOG_SHARDS,
  DUE_DELIVERY_SHARDS,
  getItems,
  gsi2,
  queryAll,
  TABLE_KEYS,
  type TableRef,
  tableKeyOf,
  type Key,
} from '../store/table.ts';

/** A retry the sweeper sends. */
export interface SweptRetry {
  webhookId: string;
  msgId: string;
  attempt: number;
  dueAt: number;
}

const SHARDS = Array.from({ length: DELIVERY_LOG_SHARDS }, (_, shard) => shard);

/**
 * Deliveries waiting for an attempt or for their endpoint. The index holds keys only and lags the table, so each delivery
 * found is read itself and kept only if it still waits.
 */
export class WaitingDeliveries {
  constructor(
    private readonly table: TableRef,
    private readonly clock: Clock,
  ) {}

  /** Oldest first per shard; only deliveries expecting an attempt carry a due key, so no settled one is read. */
  async overdue(beforeMs: number, limit: number): Promise<OverdueDelivery[]> {
    const found: OverdueDelivery[] = [];
    const before = toIso(beforeMs);
    for (let shard = 0; shard < DUE_DELIVERY_SHARDS && found.length < limit; shard++) {
      const entries = queryAll(this.table, {
        IndexName: TABLE_KEYS.gsi2,
        KeyConditionExpression: '#pk = :pk AND #sk < :before',
        ExpressionAttributeNames: { '#pk': TABLE_KEYS.gsi2pk, '#sk': TABLE_KEYS.gsi2sk },
        ExpressionAttributeValues: { ':pk': gsi2.dueDeliveries(shard), ':before': before },
      });
      const candidates = [];
      for await (const entry of entries) {
        candidates.push(tableKeyOf(entry));
        if (found.length + candidates.length >= limit) break;
      }
      for (const item of await getItems(this.table, candidates, { consistent: true })) {
        if (item.status !== 'pending' || typeof item.gsi2sk !== 'string' || item.gsi2sk >= before) continue;
        found.push({
          webhookId: item.webhook_id as string,
          msgId: item.msg_id as string,
          attemptCount: item.attempt_count as number,
          dueAt: item.gsi2sk.split('#')[0]!,
          ...(typeof item.lease_until === 'number' ? { leaseUntil: item.lease_until } : {}),
        });
      }
    }
    return found;
  }

  /** From the index's keys alone (each names its attempt). `through`: how far every shard was read. */
  async sweptRetriesDue(after: string, untilMs: number, limit: number): Promise<{ retries: SweptRetry[]; through: string }> {
    const retries: SweptRetry[] = [];
    let through = toIso(untilMs);
    for (let shard = 0; shard < DUE_DELIVERY_SHARDS; shard++) {
      const entries = queryAll(this.table, {
        IndexName: TABLE_KEYS.gsi2,
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :after AND :until',
        ExpressionAttributeNames: { '#pk': TABLE_KEYS.gsi2pk, '#sk': TABLE_KEYS.gsi2sk },
        // Every sort key past `after` starts with a later time, or with `after` and a '#': '$' sorts after '#'.
        ExpressionAttributeValues: { ':pk': gsi2.dueDeliveries(shard), ':after': `${after}$`, ':until': `${toIso(untilMs)}$` },
      });
      let taken = 0;
      for await (const entry of entries) {
        const [dueAt, webhookId, msgId, attempt] = (entry.gsi2sk as string).split('#');
        if (attempt === undefined) continue;
        if (taken === limit) {
          // Read again from just before the first one left: retries due in that same millisecond are not skipped.
          const before = toIso(Date.parse(dueAt!) - 1);
          if (before < through) through = before;
          break;
        }
        retries.push({ webhookId: webhookId!, msgId: msgId!, attempt: Number(attempt), dueAt: Date.parse(dueAt!) });
        taken++;
      }
    }
    return { retries, through };
  }

  /** Every delivery of a webhook waiting for its endpoint: held, or pending with a retry due later (none under way). */
  async listWaiting(log: DeliveryLog): Promise<PendingEndpointDelivery[]> {
    const now = this.clock.now();
    // DynamoDB filters no key attribute: the webhook's are picked out by sort key. Only retrying deliveries are read.
    const retryKeys: Key[] = [];
    for (let shard = 0; shard < DUE_DELIVERY_SHARDS; shard++) {
      for await (const entry of queryAll(this.table, {
        IndexName: TABLE_KEYS.gsi2,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': TABLE_KEYS.gsi2pk },
        ExpressionAttributeValues: { ':pk': gsi2.dueDeliveries(shard) },
      })) {
        if ((entry.gsi2sk as string).split('#')[1] === log.id) retryKeys.push(tableKeyOf(entry));
      }
    }
    const retries = (await getItems(this.table, retryKeys, { consistent: true })).filter(
      (item) =>
        item.status === 'pending' &&
        item.next_attempt_at !== undefined &&
        (typeof item.lease_until !== 'number' || item.lease_until <= now),
    );
    return [...(await this.held(log)), ...retries.map(toPending)];
  }

  /** All shards at once, or shard after shard until `limit` are found. */
  async held(log: DeliveryLog, limit = Number.POSITIVE_INFINITY): Promise<PendingEndpointDelivery[]> {
    const readShard = async (shard: number, wanted: number) => {
      const entries: Key[] = [];
      for await (const entry of queryAll(this.table, {
        IndexName: TABLE_KEYS.gsi2,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': TABLE_KEYS.gsi2pk },
        ExpressionAttributeValues: { ':pk': gsi2.heldDeliveries(log.id, shard) },
      })) {
        entries.push(tableKeyOf(entry));
        if (entries.length >= wanted) break;
      }
      return (await getItems(this.table, entries, { consistent: true }))
        .filter((item) => item.status === 'pending_endpoint')
        .map(toPending);
    };
    if (limit === Number.POSITIVE_INFINITY) return (await Promise.all(SHARDS.map((shard) => readShard(shard, limit)))).flat();
    const found: PendingEndpointDelivery[] = [];
    for (let shard = 0; shard < DELIVERY_LOG_SHARDS && found.length < limit; shard++) {
      found.push(...(await readShard(shard, limit - found.length)));
    }
    return found;
  }

  /** One held delivery, to probe its endpoint. */
  async firstPendingEndpoint(log: DeliveryLog): Promise<PendingEndpointDelivery | undefined> {
    return (await this.held(log, 1))[0];
  }
}

const toPending = (item: Record<string, unknown>): PendingEndpointDelivery => ({
  msgId: item.msg_id as string,
  attemptCount: item.attempt_count as number,
});
