import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { toEpochSeconds } from '../clock.ts';
import { conditionalWrite, gsi2, isExpired, keys, type TableRef } from './table.ts';

/** A key is remembered this long after its first request. */
export const IDEMPOTENCY_RETENTION_SECONDS = 24 * 3600;

/** What an execution leaves for its repeats: any JSON object (an HTTP answer, a message's outcome), as a DynamoDB map. */
export type StoredOutcome = Record<string, unknown>;

export type IdempotencyRecord =
  | { status: 'in_progress'; requestHash: string; leaseUntil: number }
  | { status: 'complete'; requestHash: string; outcome: StoredOutcome };

export interface IdempotencyClaim {
  requestHash: string;
  /** Identifies this execution, so only it can complete or release the record. */
  holder: string;
  now: number;
  leaseMs: number;
  /** The user the request is about: its erasure deletes the record. */
  userId?: string;
}

export interface IdempotencyStore {
  /** Takes the key for one execution; false when another execution holds it or already answered. */
  claim(recordId: string, claim: IdempotencyClaim): Promise<boolean>;
  /** Undefined when there is none or it has expired. */
  find(recordId: string, now: number): Promise<IdempotencyRecord | undefined>;
  /** False when `holder` no longer holds the key. */
  complete(recordId: string, holder: string, outcome: StoredOutcome): Promise<boolean>;
  /** Frees the key for a retry; does nothing unless `holder` holds it. */
  release(recordId: string, holder: string): Promise<void>;
}

/**
 * A claim succeeds when there is no live record: none, one past its `ttl`, or one whose lease ran out. Completing and
 * releasing are conditional on the holder, so an execution that overran its lease cannot touch its successor's.
 */
export class IdempotencyRepository implements IdempotencyStore {
  constructor(private readonly table: TableRef) {}

  claim(recordId: string, claim: IdempotencyClaim): Promise<boolean> {
    const put = new PutCommand({
      TableName: this.table.tableName,
      Item: {
        ...keys.idempotency(recordId),
        ...(claim.userId === undefined ? {} : { gsi2pk: gsi2.userIdempotency(claim.userId), gsi2sk: recordId }),
        status: 'in_progress',
        request_hash: claim.requestHash,
        holder: claim.holder,
        lease_until: claim.now + claim.leaseMs,
        ttl: toEpochSeconds(claim.now) + IDEMPOTENCY_RETENTION_SECONDS,
      },
      ConditionExpression: 'attribute_not_exists(pk) OR #ttl <= :nowSeconds OR (#status = :inProgress AND lease_until < :now)',
      ExpressionAttributeNames: { '#ttl': 'ttl', '#status': 'status' },
      ExpressionAttributeValues: { ':nowSeconds': toEpochSeconds(claim.now), ':now': claim.now, ':inProgress': 'in_progress' },
    });
    return conditionalWrite(this.table.client.send(put));
  }

  async find(recordId: string, now: number): Promise<IdempotencyRecord | undefined> {
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: keys.idempotency(recordId), ConsistentRead: true }),
    );
    if (!Item || isExpired(Item as { ttl?: number }, now)) return undefined;
    return Item.status === 'complete'
      ? { status: 'complete', requestHash: Item.request_hash, outcome: Item.outcome as StoredOutcome }
      : { status: 'in_progress', requestHash: Item.request_hash, leaseUntil: Item.lease_until };
  }

  complete(recordId: string, holder: string, outcome: StoredOutcome): Promise<boolean> {
    const update = new UpdateCommand({
      TableName: this.table.tableName,
      Key: keys.idempotency(recordId),
      UpdateExpression: 'SET #status = :complete, outcome = :outcome REMOVE holder, lease_until',
      ConditionExpression: 'holder = :holder',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':complete': 'complete', ':outcome': outcome, ':holder': holder },
    });
    return conditionalWrite(this.table.client.send(update));
  }

  async release(recordId: string, holder: string): Promise<void> {
    const deletion = new DeleteCommand({
      TableName: this.table.tableName,
      Key: keys.idempotency(recordId),
      ConditionExpression: 'holder = :holder',
      ExpressionAttributeValues: { ':holder': holder },
    });
    await conditionalWrite(this.table.client.send(deletion));
  }
}
