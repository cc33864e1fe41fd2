import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys, type TableRef } from './table.ts';

/** Counts what has been taken in each time window, shared by every container. */
export interface WindowCounter {
  /** Takes `count` places in the window and answers the first one's index (at or past a limit: the places were gone). */
  take(name: string, windowStartMs: number, count: number, expiresAt: number): Promise<number>;
}

const rateWindowKey = keys.rateWindow;

/**
 * One unconditional ADD per take: DynamoDB serialises the adds, so the ranges handed out never overlap; a counter pushed
 * past the limit by a take that found the window full does no harm.
 */
export class RateLimitRepository implements WindowCounter {
  constructor(private readonly table: TableRef) {}

  async take(name: string, windowStartMs: number, count: number, expiresAt: number): Promise<number> {
    const { Attributes } = await this.table.client.send(
      new UpdateCommand({
        TableName: this.table.tableName,
        Key: rateWindowKey(name, windowStartMs),
        UpdateExpression: 'ADD taken :count SET #ttl = :ttl',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':count': count, ':ttl': expiresAt },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return (Attributes!.taken as number) - count;
  }
}
