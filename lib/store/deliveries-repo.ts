import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Clock, toEpochSeconds, toIso } from '../clock.ts';
import type { AttemptError } from '../notify/attempt.ts';
import { conditionalWrite, isExpired, keys, type TableRef } from './table.ts';

/** Deliveries are the delivery log: kept 30 days, then expired by DynamoDB's TTL. */
export const DELIVERY_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';
export type DeliveryFailureReason = 'attempts_exhausted' | 'endpoint_gone' | 'subscription_deleted';

export interface AttemptRecord {
  at: string;
  statusCode?: number;
  latencyMs: number;
  error?: AttemptError;
  responseExcerpt?: string;
}

/** One event for one subscription, across all of its attempts. */
export interface Delivery {
  webhookId: string;
  msgId: string;
  eventType: string;
  /** The exact body every attempt sends. */
  payload: string;
  status: DeliveryStatus;
  attemptCount: number;
  attempts: AttemptRecord[];
  /** When the next attempt is due (epoch ms), while pending after a failed attempt. */
  nextAttemptAt?: number;
  failureReason?: DeliveryFailureReason;
  createdAt: string;
  updatedAt: string;
}

export interface NewDelivery {
  webhookId: string;
  msgId: string;
  eventType: string;
  payload: string;
}

/** Where a recorded attempt leaves the delivery. */
export type AttemptResolution =
  { status: 'delivered' } | { status: 'pending'; nextAttemptAt: number } | { status: 'failed'; reason: DeliveryFailureReason };

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
  payload: string;
  status: DeliveryStatus;
  attempt_count: number;
  attempts: AttemptItem[];
  next_attempt_at?: string;
  failure_reason?: DeliveryFailureReason;
  created_at: string;
  updated_at: string;
  ttl: number;
}

/**
 * Deliveries: item `WEBHOOK#{id}/MSG#{msg_id}`. Every write is conditional so that duplicate queue messages and
 * concurrent workers cannot create, attempt or record the same thing twice.
 */
export class DeliveriesRepository {
  constructor(
    private readonly table: TableRef,
    private readonly clock: Clock,
  ) {}

  /** False when the delivery already existed (the event was published before); the existing one is kept as is. */
  createIfAbsent(delivery: NewDelivery): Promise<boolean> {
    const now = this.clock.now();
    const item: DeliveryItem = {
      webhook_id: delivery.webhookId,
      msg_id: delivery.msgId,
      event_type: delivery.eventType,
      payload: delivery.payload,
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
          Item: { ...keys.delivery(delivery.webhookId, delivery.msgId), ...item },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  async get(webhookId: string, msgId: string): Promise<Delivery | undefined> {
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: keys.delivery(webhookId, msgId), ConsistentRead: true }),
    );
    if (!Item || isExpired(Item, this.clock.now())) return undefined;
    return fromItem(Item as DeliveryItem);
  }

  /**
   * Takes the right to make attempt `attempt` for `leaseMs`. False when the attempt is no longer next or another
   * worker holds it: then the caller must not send. The lease outlives one attempt; if its holder dies, the
   * queue's redelivery (after the visibility timeout, longer than the lease) takes it over.
   */
  claimAttempt(webhookId: string, msgId: string, attempt: number, leaseMs: number): Promise<boolean> {
    const now = this.clock.now();
    return conditionalWrite(
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.delivery(webhookId, msgId),
          UpdateExpression: 'SET lease_until = :until',
          ConditionExpression:
            'attempt_count = :previous AND #status = :pending AND (attribute_not_exists(lease_until) OR lease_until <= :now)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':until': now + leaseMs, ':previous': attempt - 1, ':pending': 'pending', ':now': now },
        }),
      ),
    );
  }

  /**
   * Appends attempt `attempt` and moves the delivery to `resolution`, in one write. False when that attempt was
   * already recorded (a duplicate message): the caller must then not act on its own outcome.
   */
  recordAttempt(
    webhookId: string,
    msgId: string,
    attempt: number,
    record: AttemptRecord,
    resolution: AttemptResolution,
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
      ':pending': 'pending',
      ':now': toIso(this.clock.now()),
    };
    if (resolution.status === 'pending') {
      set.push('next_attempt_at = :next');
      values[':next'] = toIso(resolution.nextAttemptAt);
    } else {
      remove.push('next_attempt_at');
    }
    if (resolution.status === 'failed') {
      set.push('failure_reason = :reason');
      values[':reason'] = resolution.reason;
    }
    return conditionalWrite(
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.delivery(webhookId, msgId),
          UpdateExpression: `SET ${set.join(', ')} REMOVE ${remove.join(', ')}`,
          ConditionExpression: 'attempt_count = :previous AND #status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }

  /** Ends a pending delivery without an attempt (its subscription is gone). False when it was not pending. */
  markFailed(webhookId: string, msgId: string, reason: DeliveryFailureReason): Promise<boolean> {
    return conditionalWrite(
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.delivery(webhookId, msgId),
          UpdateExpression:
            'SET #status = :failed, failure_reason = :reason, updated_at = :now REMOVE next_attempt_at, lease_until',
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':failed': 'failed',
            ':reason': reason,
            ':pending': 'pending',
            ':now': toIso(this.clock.now()),
          },
        }),
      ),
    );
  }
}

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
    payload: item.payload,
    status: item.status,
    attemptCount: item.attempt_count,
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
