import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { GetCommand, PutCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { type Clock, toEpochSeconds, toIso } from '../clock.ts';
import { MAX_SQS_DELAY_SECONDS } from '../queue/delayed-queue.ts';
import type { AttemptError } from './attempt.ts';
import {
  type AttemptRecord,
  type AttemptResolution,
  DELIVERY_MOVES,
  DELIVERY_RETENTION_MS,
  type Delivery,
  type DeliveryFailureReason,
  type DeliveryMove,
  type MoveFrom,
  type DeliveryStatus,
  type NewDelivery,
} from './delivery.ts';
import {
  conditionalOutput,
  conditionalWrite,
  DELIVERY_LOG_SHARDS,
  DUE_DELIVERY_SHARDS,
  gsi1,
  gsi2,
  isExpired,
  keys,
  shardOf,
  TABLE_KEYS,
  type TableRef,
} from '../store/table.ts';

/**
 * The GSI2 key a delivery carries while the sweeper must watch its next attempt. A first attempt carries none (most
 * settle within a second). A swept retry also names its attempt: no message waits for it; the sweeper sends one.
 */
export const dueKey = (webhookId: string, msgId: string, dueAtMs: number, sweptAttempt?: number) => ({
  gsi2pk: gsi2.dueDeliveries(shardOf(`${webhookId}/${msgId}`, DUE_DELIVERY_SHARDS)),
  gsi2sk: `${toIso(dueAtMs)}#${webhookId}#${msgId}${sweptAttempt === undefined ? '' : `#${sweptAttempt}`}`,
});

/** Whether a retry due at `dueAtMs` is sent by the sweeper rather than queued now: SQS delays a message 15 minutes at most. */
export const isSweptRetry = (dueAtMs: number, nowMs: number) => dueAtMs - nowMs > MAX_SQS_DELAY_SECONDS * 1000;

/** A webhook's delivery log, named by its webhook's id (a `Webhook` is one). */
export interface DeliveryLog {
  readonly id: string;
}

/** A delivery's table key, in the shard its event id falls in. */
export const deliveryKey = (log: DeliveryLog, msgId: string) => keys.delivery(log.id, shardOf(msgId, DELIVERY_LOG_SHARDS), msgId);

const heldKey = (log: DeliveryLog, msgId: string) => ({
  gsi2pk: gsi2.heldDeliveries(log.id, shardOf(msgId, DELIVERY_LOG_SHARDS)),
  gsi2sk: msgId,
});

/** `{created_at}#{msg_id}` (a delivery's GSI1 sort key), so text order is time order across shards. */
export type DeliveryLogPosition = string;

export const logPosition = (createdAt: string, msgId: string): DeliveryLogPosition => `${createdAt}#${msgId}`;

interface AttemptItem {
  at: string;
  status_code?: number;
  latency_ms: number;
  error?: AttemptError;
  response_excerpt?: string;
}

export interface DeliveryItem {
  webhook_id: string;
  msg_id: string;
  event_type: string;
  /** Deflated to keep a delivery under one write unit (1 KB): it is written three times or more. */
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

/** The condition that a delivery is in a state `move` may start from (DELIVERY_MOVES), and its values. */
function statusAllows(move: DeliveryMove): { condition: string; values: Record<string, DeliveryStatus> } {
  const states: readonly DeliveryStatus[] = DELIVERY_MOVES[move];
  const values = Object.fromEntries(states.map((state, i) => [`:${move}_from_${i}`, state]));
  const names = Object.keys(values);
  return { condition: names.length === 1 ? `#status = ${names[0]}` : `#status IN (${names.join(', ')})`, values };
}
const ATTEMPT_FROM = statusAllows('attempt');

const WEBHOOK_DELETED_FROM = statusAllows('webhookDeleted');
const KEPT_FOR_ENDPOINT_FROM = statusAllows('keptForEndpoint');

/**
 * Deliveries, listed by time through GSI1. Every write is conditional so that duplicate queue messages and concurrent
 * workers cannot create, attempt or record the same thing twice.
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
          // No due key: the first attempt usually settles it; the sweeper `track`s ones still pending after the stall window.
          Item: {
            ...deliveryKey(log, delivery.msgId),
            gsi1pk: gsi1.webhookDeliveries(log.id, shardOf(delivery.msgId, DELIVERY_LOG_SHARDS)),
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
   * Takes the right to make attempt `attempt` for `leaseMs`; undefined means the caller must not send. If the holder
   * dies, the queue's redelivery (its visibility timeout is longer than the lease) takes it over.
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

  /** Gives up the claim without recording the attempt (it moves to the slow lane), so another worker may claim it at once. */
  releaseClaim(log: DeliveryLog, msgId: string, attempt: number): Promise<boolean> {
    return updateDeliveryIf(this.table, log, msgId, {
      UpdateExpression: 'REMOVE lease_until',
      ConditionExpression: `attempt_count = :previous AND ${ATTEMPT_FROM.condition}`,
      ExpressionAttributeValues: { ':previous': attempt - 1, ...ATTEMPT_FROM.values },
    });
  }

  /**
   * Appends the attempt and moves to `resolution` in one write. False when that attempt was already recorded (a duplicate
   * message): the caller must then not act on its own outcome. `swept`: the next attempt is left to the sweeper.
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

  /** Gives a pending delivery without a due key one. False when it is no longer pending, or already has one. */
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

  /** Holds a pending delivery for its endpoint. False when it moved on or an attempt is under way: its holder decides. */
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

  /** Starts a new round (a replay, or a resumption), kept another retention period. False when it was no longer in `from`. */
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
}

type DeliveryUpdate = Omit<UpdateCommandInput, 'TableName' | 'Key'>;

/** Names the status `#status`, so every update's expressions must use it: DynamoDB refuses a name no expression uses. */
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

/** False when the condition did not hold (the delivery had moved on). */
function updateDeliveryIf(table: TableRef, log: DeliveryLog, msgId: string, update: DeliveryUpdate): Promise<boolean> {
  return conditionalWrite(updateDelivery(table, log, msgId, update));
}

const toAttemptItem = (record: AttemptRecord): AttemptItem => ({
  at: record.at,
  ...(record.statusCode === undefined ? {} : { status_code: record.statusCode }),
  latency_ms: record.latencyMs,
  ...(record.error === undefined ? {} : { error: record.error }),
  ...(record.responseExcerpt === undefined ? {} : { response_excerpt: record.responseExcerpt }),
});

export function fromItem(item: DeliveryItem): Delivery {
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
