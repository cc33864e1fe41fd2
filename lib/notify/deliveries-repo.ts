import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { GetCommand, PutCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { type Clock, toEpochSeconds, toIso } from '../clock.ts';
import { MAX_SQS_DELAY_SECONDS } from '../queue/delayed-queue.ts';
import type { AttemptError } from './attempt.ts';
import {
  type AttemptRecord,
  type AttemptResolution,
  type CreatedDeliveries,
  DELIVERY_MOVES,
  DELIVERY_RETENTION_MS,
  type Delivery,
  type DeliveryFailureReason,
  type DeliveryFilter,
  type DeliveryMove,
  type MoveFrom,
  type DeliveryStatus,
  type NewDelivery,
  type OverdueDelivery,
  type PendingEndpointDelivery,
} from './delivery.ts';
import { mergeSorted } from '../store/merge-sorted.ts';
import {
  conditionalOutput,
  conditionalWrite,
  DUE_DELIVERY_SHARDS,
  getItems,
  gsi1,
  gsi2,
  isExpired,
  keys,
  queryAll,
  shardOf,
  TABLE_KEYS,
  type TableRef,
  tableKeyOf,
} from '../store/table.ts';

/**
 * The GSI2 key a delivery carries while the sweeper must watch its next attempt, found by when that attempt is due:
 * a retry after a failed attempt, a new round (replay, resumption), or a first attempt still not made a stall
 * window after it was published (`track`). A first attempt carries none: most settle within a second. A retry due
 * further out than SQS can delay a message (`isSweptRetry`) also names its attempt (`sweptAttempt`): no message
 * waits for it; the sweeper sends one when it is near (`sweptRetriesDue`).
 */
export const dueKey = (webhookId: string, msgId: string, dueAtMs: number, sweptAttempt?: number) => ({
  gsi2pk: gsi2.dueDeliveries(shardOf(`${webhookId}/${msgId}`, DUE_DELIVERY_SHARDS)),
  gsi2sk: `${toIso(dueAtMs)}#${webhookId}#${msgId}${sweptAttempt === undefined ? '' : `#${sweptAttempt}`}`,
});

/** Whether a retry due at `dueAtMs` is sent by the sweeper rather than queued now: SQS delays a message 15 minutes at most. */
export const isSweptRetry = (dueAtMs: number, nowMs: number) => dueAtMs - nowMs > MAX_SQS_DELAY_SECONDS * 1000;

/** A retry the sweeper sends: which attempt of which delivery, due when. */
export interface SweptRetry {
  webhookId: string;
  msgId: string;
  attempt: number;
  dueAt: number;
}

/**
 * A webhook's delivery log: whose, and over how many partitions (DELIVERY_LOG_SHARDS; 1 for a webhook made before
 * logs were sharded). A `Webhook` is one.
 */
export interface DeliveryLog {
  readonly id: string;
  readonly logShards: number;
}

/** A delivery's table key: in the shard its event id falls in. */
export const deliveryKey = (log: DeliveryLog, msgId: string) => keys.delivery(log.id, shardOf(msgId, log.logShards), msgId);

/** The GSI2 key of a delivery held for its endpoint: in its webhook's held partitions, the shard its log's. */
const heldKey = (log: DeliveryLog, msgId: string) => ({
  gsi2pk: gsi2.heldDeliveries(log.id, shardOf(msgId, log.logShards)),
  gsi2sk: msgId,
});

/**
 * A position in a webhook's delivery log: `{created_at}#{msg_id}` (the GSI1 sort key of a delivery, in whichever
 * shard), so text order is time order across shards.
 */
export type DeliveryLogPosition = string;

export const logPosition = (createdAt: string, msgId: string): DeliveryLogPosition => `${createdAt}#${msgId}`;

export interface DeliveryPageRequest {
  order: 'newest_first' | 'oldest_first';
  limit: number;
  /** The last position of the previous page. */
  after?: DeliveryLogPosition;
}

export interface DeliveryPage {
  deliveries: Delivery[];
  /** Where the next page starts; absent when the log has been read to the end. */
  next?: DeliveryLogPosition;
}

/** With a selective status filter a page may take several reads; this bounds them (the page then comes back short). */
const MAX_READS_PER_PAGE = 5;

interface AttemptItem {
  at: string;
  status_code?: number;
  latency_ms: number;
  error?: AttemptError;
  response_excerpt?: string;
}

interface DeliveryItem {
  webhook_id: string;
  msg_id: string;
  event_type: string;
  /**
   * The payload, deflated (raw DEFLATE): an event's JSON halves, which keeps a delivery under the 1 KB of one write
   * unit — it is written three times or more.
   */
  payload_z: Uint8Array;
  status: DeliveryStatus;
  attempt_count: number;
  attempts_before_round?: number;
  attempts: AttemptItem[];
  next_attempt_at?: string;
  failure_reason?: DeliveryFailureReason;
  created_at: string;
  updated_at: string;
  ttl: number;
}

/**
 * The condition that a delivery is in a state `move` may start from (DELIVERY_MOVES), and its values: what makes a
 * move's write conditional on the domain's rule.
 */
function statusAllows(move: DeliveryMove): { condition: string; values: Record<string, DeliveryStatus> } {
  const states: readonly DeliveryStatus[] = DELIVERY_MOVES[move];
  const values = Object.fromEntries(states.map((state, i) => [`:${move}_from_${i}`, state]));
  const names = Object.keys(values);
  return { condition: names.length === 1 ? `#status = ${names[0]}` : `#status IN (${names.join(', ')})`, values };
}
const ATTEMPT_FROM = statusAllows('attempt');

/**
 * A log of one shard's pending_endpoint deliveries (and with `retries`, its pending ones waiting for a retry, none
 * under way), from the table itself (strongly consistent; its whole retained log).
 */
const waitingQuery = (log: DeliveryLog, retries: boolean, nowMs: number) => ({
  KeyConditionExpression: 'pk = :pk AND begins_with(sk, :messages)',
  FilterExpression: retries
    ? '#status = :pending_endpoint OR (#status = :pending AND attribute_exists(next_attempt_at) AND ' +
      '(attribute_not_exists(lease_until) OR lease_until <= :now))'
    : '#status = :pending_endpoint',
  ProjectionExpression: 'msg_id, attempt_count',
  ExpressionAttributeNames: { '#status': 'status' },
  ExpressionAttributeValues: {
    ':pk': keys.delivery(log.id, 0, '').pk,
    ':messages': 'MSG#',
    ':pending_endpoint': 'pending_endpoint',
    ...(retries ? { ':pending': 'pending', ':now': nowMs } : {}),
  },
  ConsistentRead: true,
});
const WEBHOOK_DELETED_FROM = statusAllows('webhookDeleted');
const KEPT_FOR_ENDPOINT_FROM = statusAllows('keptForEndpoint');

/**
 * Deliveries: item `WEBHOOK#{id}#{shard}/MSG#{msg_id}`, listed by time through GSI1 (`DELIVERIES#{id}#{shard}`,
 * `{created_at}#{msg_id}`), the shard from the event id (`keys.delivery`; shard 0 has no suffix). Every write is
 * conditional so that duplicate queue messages and concurrent workers cannot create, attempt or record the same
 * thing twice.
 */
export class DeliveriesRepository {
  constructor(
    private readonly table: TableRef,
    private readonly clock: Clock,
  ) {}

  /** False when the delivery already existed (the event was published before); the existing one is kept as is. */
  createIfAbsent(log: DeliveryLog, delivery: NewDelivery): Promise<boolean> {
    const now = this.clock.now();
    const item: DeliveryItem = {
      webhook_id: log.id,
      msg_id: delivery.msgId,
      event_type: delivery.eventType,
      payload_z: deflateRawSync(delivery.payload),
      status: 'pending',
      attempt_count: 0,
      attempts: [],
      created_at: toIso(now),
      updated_at: toIso(now),
      ttl: toEpochSeconds(now + DELIVERY_RETENTION_MS),
    };
    return conditionalWrite(
      this.table.client.send(
        new PutCommand({
          TableName: this.table.tableName,
          // No due key: a delivery's first attempt follows at once, and usually settles it. The sweeper gives the
          // ones still pending after the stall window their due key (`track`).
          Item: {
            ...deliveryKey(log, delivery.msgId),
            gsi1pk: gsi1.webhookDeliveries(log.id, shardOf(delivery.msgId, log.logShards)),
            gsi1sk: logPosition(item.created_at, delivery.msgId),
            ...item,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  async get(log: DeliveryLog, msgId: string): Promise<Delivery | undefined> {
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: deliveryKey(log, msgId), ConsistentRead: true }),
    );
    if (!Item || isExpired(Item, this.clock.now())) return undefined;
    return fromItem(Item as DeliveryItem);
  }

  /**
   * Takes the right to make attempt `attempt` for `leaseMs`, and answers the delivery as the claim left it: no read
   * before it. Undefined when the attempt is no longer next, another worker holds it, the delivery is not pending,
   * or there is none: then the caller must not send. The lease outlives one attempt; if its holder dies, the
   * queue's redelivery (after the visibility timeout, longer than the lease) takes it over.
   */
  async claimAttempt(log: DeliveryLog, msgId: string, attempt: number, leaseMs: number): Promise<Delivery | undefined> {
    const now = this.clock.now();
    const claimed = await conditionalOutput(
      updateDelivery(this.table, log, msgId, {
        UpdateExpression: 'SET lease_until = :until',
        ConditionExpression: `attempt_count = :previous AND ${ATTEMPT_FROM.condition} AND (attribute_not_exists(lease_until) OR lease_until <= :now)`,
        ExpressionAttributeValues: { ':until': now + leaseMs, ':previous': attempt - 1, ...ATTEMPT_FROM.values, ':now': now },
        ReturnValues: 'ALL_NEW',
      }),
    );
    const item = claimed?.output.Attributes;
    return item ? fromItem(item as DeliveryItem) : undefined;
  }

  /**
   * Gives up the claim on attempt `attempt` without recording it (it moves to the slow lane), so that another worker
   * may claim it at once. False when the delivery is no longer awaiting that attempt.
   */
  releaseClaim(log: DeliveryLog, msgId: string, attempt: number): Promise<boolean> {
    return updateDeliveryIf(this.table, log, msgId, {
      UpdateExpression: 'REMOVE lease_until',
      ConditionExpression: `attempt_count = :previous AND ${ATTEMPT_FROM.condition}`,
      ExpressionAttributeValues: { ':previous': attempt - 1, ...ATTEMPT_FROM.values },
    });
  }

  /**
   * Appends attempt `attempt` and moves the delivery to `resolution`, in one write. False when that attempt was
   * already recorded (a duplicate message): the caller must then not act on its own outcome. `swept`: the next
   * attempt is left to the sweeper (`isSweptRetry`), and its due key says so.
   */
  recordAttempt(
    log: DeliveryLog,
    msgId: string,
    attempt: number,
    record: AttemptRecord,
    resolution: AttemptResolution,
    swept = false,
  ): Promise<boolean> {
    const set = [
      'attempt_count = :attempt',
      'attempts = list_append(attempts, :record)',
      '#status = :status',
      'updated_at = :now',
    ];
    const remove = ['lease_until'];
    const values: Record<string, unknown> = {
      ':attempt': attempt,
      ':previous': attempt - 1,
      ':record': [toAttemptItem(record)],
      ':status': resolution.status,
      ...ATTEMPT_FROM.values,
      ':now': toIso(this.clock.now()),
    };
    if (resolution.status === 'pending') {
      set.push('next_attempt_at = :next', 'gsi2pk = :due_pk', 'gsi2sk = :due_sk');
      values[':next'] = toIso(resolution.nextAttemptAt);
      const due = dueKey(log.id, msgId, resolution.nextAttemptAt, swept ? attempt + 1 : undefined);
      values[':due_pk'] = due.gsi2pk;
      values[':due_sk'] = due.gsi2sk;
    } else if (resolution.status === 'pending_endpoint') {
      // Held for its endpoint (a 410 disabled it): found by enabling it, from the held index.
      const held = heldKey(log, msgId);
      set.push('gsi2pk = :held_pk', 'gsi2sk = :held_sk');
      values[':held_pk'] = held.gsi2pk;
      values[':held_sk'] = held.gsi2sk;
      remove.push('next_attempt_at');
    } else {
      remove.push('next_attempt_at', 'gsi2pk', 'gsi2sk');
    }
    if (resolution.status === 'failed') {
      set.push('failure_reason = :reason');
      values[':reason'] = resolution.reason;
    }
    return updateDeliveryIf(this.table, log, msgId, {
      UpdateExpression: `SET ${set.join(', ')} REMOVE ${remove.join(', ')}`,
      ConditionExpression: `attempt_count = :previous AND ${ATTEMPT_FROM.condition}`,
      ExpressionAttributeValues: values,
    });
  }

  /**
   * Gives a pending delivery without a due key one, due at `dueAtMs`: from then on `overdue` finds it. False when it
   * is no longer pending, or already has one (an attempt failed and set its retry's).
   */
  track(log: DeliveryLog, msgId: string, dueAtMs: number): Promise<boolean> {
    const due = dueKey(log.id, msgId, dueAtMs);
    return updateDeliveryIf(this.table, log, msgId, {
      UpdateExpression: 'SET gsi2pk = :due_pk, gsi2sk = :due_sk',
      ConditionExpression: `${ATTEMPT_FROM.condition} AND attribute_not_exists(gsi2pk)`,
      ExpressionAttributeValues: { ':due_pk': due.gsi2pk, ':due_sk': due.gsi2sk, ...ATTEMPT_FROM.values },
    });
  }

  /** Ends a pending or pending_endpoint delivery without an attempt (its webhook is gone). False when it was neither. */
  markFailed(log: DeliveryLog, msgId: string, reason: DeliveryFailureReason): Promise<boolean> {
    return updateDeliveryIf(this.table, log, msgId, {
      UpdateExpression:
        'SET #status = :failed, failure_reason = :reason, updated_at = :now ' +
        'REMOVE next_attempt_at, lease_until, gsi2pk, gsi2sk',
      ConditionExpression: WEBHOOK_DELETED_FROM.condition,
      ExpressionAttributeValues: {
        ':failed': 'failed',
        ':reason': reason,
        ...WEBHOOK_DELETED_FROM.values,
        ':now': toIso(this.clock.now()),
      },
    });
  }

  /**
   * Keeps a pending delivery for when its webhook is enabled again (`pending_endpoint`). False when it is no
   * longer at `attemptCount` attempts, or an attempt is under way: then whoever holds it decides.
   */
  markPendingEndpoint(log: DeliveryLog, msgId: string, attemptCount: number): Promise<boolean> {
    const now = this.clock.now();
    const held = heldKey(log, msgId);
    return updateDeliveryIf(this.table, log, msgId, {
      UpdateExpression:
        'SET #status = :pending_endpoint, updated_at = :now_iso, gsi2pk = :held_pk, gsi2sk = :held_sk REMOVE next_attempt_at',
      ConditionExpression: `${KEPT_FOR_ENDPOINT_FROM.condition} AND attempt_count = :count AND (attribute_not_exists(lease_until) OR lease_until <= :now)`,
      ExpressionAttributeValues: {
        ':pending_endpoint': 'pending_endpoint',
        ':held_pk': held.gsi2pk,
        ':held_sk': held.gsi2sk,
        ...KEPT_FOR_ENDPOINT_FROM.values,
        ':count': attemptCount,
        ':now': now,
        ':now_iso': toIso(now),
      },
    });
  }

  /**
   * Makes a delivery in `from.status` with `from.attemptCount` attempts pending again with a fresh retry schedule
   * (a replay, or a resumption after the webhook was enabled), and keeps it another retention period. False
   * when it was no longer in that state.
   */
  startRound(
    log: DeliveryLog,
    msgId: string,
    from: { status: MoveFrom<'replay' | 'resume'>; attemptCount: number },
  ): Promise<boolean> {
    const now = this.clock.now();
    const due = dueKey(log.id, msgId, now);
    return updateDeliveryIf(this.table, log, msgId, {
      UpdateExpression:
        'SET #status = :pending, attempts_before_round = attempt_count, updated_at = :now, #ttl = :ttl, ' +
        'gsi2pk = :due_pk, gsi2sk = :due_sk REMOVE failure_reason, next_attempt_at',
      ConditionExpression: '#status = :from AND attempt_count = :count',
      ExpressionAttributeNames: { '#ttl': TABLE_KEYS.ttl },
      ExpressionAttributeValues: {
        ':pending': 'pending',
        ':from': from.status,
        ':count': from.attemptCount,
        ':now': toIso(now),
        ':ttl': toEpochSeconds(now + DELIVERY_RETENTION_MS),
        ':due_pk': due.gsi2pk,
        ':due_sk': due.gsi2sk,
      },
    });
  }

  /**
   * Deliveries expecting an attempt that was due before `beforeMs`, oldest first per shard, from GSI2 (only
   * deliveries that expect an attempt carry its key, so this reads no settled delivery). At most `limit`.
   */
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
      // The index holds keys only, and lags the table: each delivery is read itself, and kept only if it still
      // expects an attempt due before `beforeMs`.
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

  /**
   * The retries left to the sweeper due after `after` (an ISO time, exclusive) and up to `untilMs`, from GSI2's keys
   * alone (each names its attempt), oldest first per shard, at most `limit` a shard. `through` is how far every shard
   * was read: `untilMs`, or where the shortest cut one stopped.
   */
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

  /**
   * Every delivery of a webhook waiting for its endpoint: held (pending_endpoint), and pending with a retry due later
   * (none under way). From GSI2 — its held partitions, and its retries among the due ones — each delivery then read
   * itself (strongly consistent) and kept only if it still waits. A log of one shard (a webhook made before logs were
   * sharded) may hold deliveries from before the held index: its partition is read whole, as it always was.
   */
  async listWaiting(log: DeliveryLog): Promise<PendingEndpointDelivery[]> {
    const now = this.clock.now();
    if (log.logShards === 1) return this.#scanWaiting(log, true, now);
    // The due index holds only deliveries expecting an attempt (every webhook's, in time order): its keys are read and
    // the webhook's picked out by their sort key (DynamoDB filters no key attribute). Its size is the deliveries
    // retrying, not a log's 30 days.
    const retryKeys: TableKey[] = [];
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

  /**
   * A webhook's held deliveries (pending_endpoint), from its held partitions — all of them at once, or shard after
   * shard until `limit` are found.
   */
  async held(log: DeliveryLog, limit = Number.POSITIVE_INFINITY): Promise<PendingEndpointDelivery[]> {
    if (log.logShards === 1) return this.#scanWaiting(log, false, 0, limit);
    const readShard = async (shard: number, wanted: number) => {
      const entries: TableKey[] = [];
      for await (const entry of queryAll(this.table, {
        IndexName: TABLE_KEYS.gsi2,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': TABLE_KEYS.gsi2pk },
        ExpressionAttributeValues: { ':pk': gsi2.heldDeliveries(log.id, shard) },
      })) {
        entries.push(tableKeyOf(entry));
        if (entries.length >= wanted) break;
      }
      // The index lags the table: each is read itself, and kept only if still held.
      return (await getItems(this.table, entries, { consistent: true }))
        .filter((item) => item.status === 'pending_endpoint')
        .map(toPending);
    };
    if (limit === Number.POSITIVE_INFINITY)
      return (await Promise.all(shardsOf(log).map((shard) => readShard(shard, limit)))).flat();
    const found: PendingEndpointDelivery[] = [];
    for (let shard = 0; shard < log.logShards && found.length < limit; shard++) {
      found.push(...(await readShard(shard, limit - found.length)));
    }
    return found;
  }

  /** One held delivery of a webhook, if any (a probe of its endpoint). */
  async firstPendingEndpoint(log: DeliveryLog): Promise<PendingEndpointDelivery | undefined> {
    return (await this.held(log, 1))[0];
  }

  /**
   * A log of one shard read, strongly consistent, until `limit` are found: its held deliveries, and with `retries`
   * those waiting for one.
   */
  async #scanWaiting(
    log: DeliveryLog,
    retries: boolean,
    nowMs: number,
    limit = Number.POSITIVE_INFINITY,
  ): Promise<PendingEndpointDelivery[]> {
    const pending: PendingEndpointDelivery[] = [];
    for await (const item of queryAll(this.table, waitingQuery(log, retries, nowMs))) {
      pending.push(toPending(item));
      if (pending.length >= limit) break;
    }
    return pending;
  }

  /**
   * A webhook's deliveries logged after position `after` (exclusive; a bare ISO time: everything created from then
   * on) and created before `untilMs`, oldest first, at most `limit`: keys from GSI1, then the items, eventually
   * consistent — a stale read only ever shows an earlier state, so a settled delivery is never taken for an unsettled
   * one it was not. The sweeper reads a window that ended a stall window ago, long after the index has caught up.
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

  /**
   * One page of a webhook's deliveries in creation order: keys from GSI1, then the deliveries themselves
   * (eventually consistent). A status filter applies to what each read found, as a query filter would.
   */
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

  /**
   * The log's entries (table keys and positions) in `order`, strictly after `from` and before `to` (either may be
   * absent), each shard's GSI1 query read a page of `pageSize` at a time as they are taken.
   */
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
    return mergeSorted(shardsOf(log).map(shardEntries), ascending ? byPosition : (a, b) => byPosition(b, a));
  }
}

interface LogEntry {
  pk: string;
  sk: string;
  position: DeliveryLogPosition;
}

const byPosition = (a: LogEntry, b: LogEntry) => (a.position < b.position ? -1 : a.position > b.position ? 1 : 0);

/** Up to `n` entries taken, and whether the log goes on. */
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

type DeliveryUpdate = Omit<UpdateCommandInput, 'TableName' | 'Key'>;

/**
 * One update of a delivery's item. It names the delivery's status `#status`, beside the names the update gives, so its
 * expressions must use that name (every update reads or sets the status): DynamoDB refuses a name no expression uses.
 */
function updateDelivery(table: TableRef, log: DeliveryLog, msgId: string, update: DeliveryUpdate) {
  return table.client.send(
    new UpdateCommand({
      TableName: table.tableName,
      Key: deliveryKey(log, msgId),
      ...update,
      ExpressionAttributeNames: { '#status': 'status', ...update.ExpressionAttributeNames },
    }),
  );
}

/** `updateDelivery` under its condition: false when the condition did not hold (the delivery had moved on). */
function updateDeliveryIf(table: TableRef, log: DeliveryLog, msgId: string, update: DeliveryUpdate): Promise<boolean> {
  return conditionalWrite(updateDelivery(table, log, msgId, update));
}

type TableKey = { pk: string; sk: string };

const shardsOf = (log: DeliveryLog) => Array.from({ length: log.logShards }, (_, shard) => shard);

const toPending = (item: Record<string, unknown>): PendingEndpointDelivery => ({
  msgId: item.msg_id as string,
  attemptCount: item.attempt_count as number,
});

const toAttemptItem = (record: AttemptRecord): AttemptItem => ({
  at: record.at,
  ...(record.statusCode === undefined ? {} : { status_code: record.statusCode }),
  latency_ms: record.latencyMs,
  ...(record.error === undefined ? {} : { error: record.error }),
  ...(record.responseExcerpt === undefined ? {} : { response_excerpt: record.responseExcerpt }),
});

function fromItem(item: DeliveryItem): Delivery {
  return {
    webhookId: item.webhook_id,
    msgId: item.msg_id,
    eventType: item.event_type,
    payload: inflateRawSync(item.payload_z).toString('utf8'),
    status: item.status,
    attemptCount: item.attempt_count,
    attemptsBeforeRound: item.attempts_before_round ?? 0,
    attempts: item.attempts.map((a) => ({
      at: a.at,
      ...(a.status_code === undefined ? {} : { statusCode: a.status_code }),
      latencyMs: a.latency_ms,
      ...(a.error === undefined ? {} : { error: a.error }),
      ...(a.response_excerpt === undefined ? {} : { responseExcerpt: a.response_excerpt }),
    })),
    ...(item.next_attempt_at === undefined ? {} : { nextAttemptAt: Date.parse(item.next_attempt_at) }),
    ...(item.failure_reason === undefined ? {} : { failureReason: item.failure_reason }),
    createdAt: item.created_at,
    updatedAt: item.updated_at,
  };
}
