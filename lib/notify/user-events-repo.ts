import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { toEpochSeconds } from '../clock.ts';
import { type Item, keys, type TableRef } from '../store/table.ts';
import { DELIVERY_RETENTION_MS } from './delivery.ts';

/**
 * Each user's events but its jobs' own (an erasure derives those: jobEventIds) and where their deliveries are, so an
 * erasure never reads every webhook's log.
 */
export class UserEventsRepository {
  constructor(private readonly table: TableRef) {}

  /** Written before the deliveries: none escapes. */
  async note(userId: string, eventId: string, deliveryPartitions: readonly string[], now: number): Promise<void> {
    await this.table.client.send(
      new PutCommand({
        TableName: this.table.tableName,
        Item: {
          ...keys.userEvent(userId, eventId),
          deliveries: [...deliveryPartitions],
          ttl: toEpochSeconds(now + DELIVERY_RETENTION_MS),
        },
      }),
    );
  }
}

/** The keys of the deliveries one entry of a user's events index names. */
export const deliveryKeysOf = (entry: Item): { pk: string; sk: string }[] =>
  ((entry.deliveries as string[] | undefined) ?? []).map((pk) => ({ pk, sk: `MSG#${String(entry.sk)}` }));
