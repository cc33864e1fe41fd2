import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys, type TableRef } from './table.ts';

/** Counts what has been taken in each time window, shared by every container. */
export interface WindowCounter {
  /**
   * Takes `count` places in window `windowStartMs` of `name` and answers the index of the first (the places are
   * that index and the next `count - 1`; indices at or past a limit mean the places were already gone).
   * `expiresAt` (epoch seconds) lets DynamoDB drop the counter once the window is long past.
   */
  take(name: string, windowStartMs: number, count: number, expiresAt: number): Promise<number>;
}

const rateWindowKey = keys.rateWindow;

/**
 * Window counters as `RATE#{name}#{windowStartMs}` / `RATE` items `{taken, ttl}`. One unconditional ADD per take:
 * DynamoDB serialises the adds on the item, so the ranges handed out never overlap; a counter pushed past the
 * limit by a take that found the window full does no harm.
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
