import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type Clock, systemClock } from '../clock.ts';
import type { SessionLease } from './sessions.ts';
import { conditionalWrite, keys, type TableRef } from '../store/table.ts';

/**
 * Session creation leases: taken only if there is none or it has run out, by the taker's clock. The `ttl` only tidies
 * up: DynamoDB deletes expired items late, so it is never relied upon.
 */
export class DynamoSessionLease implements SessionLease {
  readonly #table: TableRef;
  readonly #clock: Clock;

  constructor(table: TableRef, clock: Clock = systemClock) {
    this.#table = table;
    this.#clock = clock;
  }

  acquire(userId: string, holderId: string, durationMs: number): Promise<boolean> {
    const now = this.#clock.now();
    const expiresAt = now + durationMs;
    const put = new PutCommand({
      TableName: this.#table.tableName,
      Item: { ...keys.sessionLease(userId), holder: holderId, expiresAt, ttl: Math.ceil(expiresAt / 1000) },
      ConditionExpression: 'attribute_not_exists(#pk) OR #expiresAt < :now',
      ExpressionAttributeNames: { '#pk': 'pk', '#expiresAt': 'expiresAt' },
      ExpressionAttributeValues: { ':now': now },
    });
    return conditionalWrite(this.#table.client.send(put));
  }

  async release(userId: string, holderId: string): Promise<void> {
    const deletion = new DeleteCommand({
      TableName: this.#table.tableName,
      Key: keys.sessionLease(userId),
      // A holder that overran its lease must not delete its successor's.
      ConditionExpression: '#holder = :holder',
      ExpressionAttributeNames: { '#holder': 'holder' },
      ExpressionAttributeValues: { ':holder': holderId },
    });
    await conditionalWrite(this.#table.client.send(deletion));
  }
}
