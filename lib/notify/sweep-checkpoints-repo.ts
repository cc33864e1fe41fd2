import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { keys, type TableRef } from '../store/table.ts';

/**
 * How far the sweeper has seen every delivery of each webhook's log settled or given a due key. One item, rewritten
 * whole each sweep with the webhooks that still exist.
 */
export class SweepCheckpointsRepository {
  constructor(private readonly table: TableRef) {}

  /** Each webhook's mark; empty before the first sweep. */
  async deliveries(): Promise<Map<string, string>> {
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: keys.deliverySweepCheckpoints, ConsistentRead: true }),
    );
    return new Map(Object.entries((Item?.checked_through ?? {}) as Record<string, string>));
  }

  /** Up to when the sweeper has sent the swept retries; undefined before its first sweep. */
  async retriesSentThrough(): Promise<string | undefined> {
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: keys.sweptRetriesCheckpoint, ConsistentRead: true }),
    );
    return Item?.sent_through as string | undefined;
  }

  async saveRetriesSentThrough(sentThrough: string): Promise<void> {
    await this.table.client.send(
      new PutCommand({ TableName: this.table.tableName, Item: { ...keys.sweptRetriesCheckpoint, sent_through: sentThrough } }),
    );
  }

  async saveDeliveries(marks: ReadonlyMap<string, string>): Promise<void> {
    await this.table.client.send(
      new PutCommand({
        TableName: this.table.tableName,
        Item: {
          ...keys.deliverySweepCheckpoints,
          checked_through: Object.fromEntries(marks),
        },
      }),
    );
  }
}
