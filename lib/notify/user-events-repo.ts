import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { toEpochSeconds } from '../clock.ts';
import { keys, queryAll, type TableRef } from '../store/table.ts';
import { DELIVERY_RETENTION_MS } from './delivery.ts';

type Key = { pk: string; sk: string };

/**
 * Each user's events and where their deliveries are: `USER#{user_id}#EVENTS` / `{event id}` with the partition of each
 * delivery (`WEBHOOK#{id}[#{shard}]`), kept as long as deliveries are. An erasure finds the user's deliveries from
 * its own partition, never by reading every webhook's log.
 */
export class UserEventsRepository {
  constructor(private readonly table: TableRef) {}

  /** Notes that `eventId`, of `userId`, has deliveries in these partitions (written before them: none escapes). */
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

  /** The keys of the user's deliveries, each index item's with them. */
  async keysOf(userId: string): Promise<{ deliveries: Key[]; index: Key[] }> {
    const found = { deliveries: [] as Key[], index: [] as Key[] };
    for await (const item of queryAll(this.table, {
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.userEvent(userId, '').pk },
    })) {
      const eventId = String(item.sk);
      found.index.push({ pk: String(item.pk), sk: eventId });
      for (const pk of (item.deliveries as string[] | undefined) ?? []) found.deliveries.push({ pk, sk: `MSG#${eventId}` });
    }
    return found;
  }
}
