import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conditionalWrite, keys, type TableRef } from './table.ts';

/** When MX last pushed a webhook to this deployment: one item, moved forward only. */
export class MxPushRepository {
  constructor(private readonly table: TableRef) {}

  async lastPushAt(): Promise<number | undefined> {
    const { Item } = await this.table.client.send(new GetCommand({ TableName: this.table.tableName, Key: keys.mxPush() }));
    return typeof Item?.last_push_at === 'number' ? Item.last_push_at : undefined;
  }

  /** Records a push at `now`, unless a later one is already recorded. */
  async recordPush(now: number): Promise<void> {
    await conditionalWrite(
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.mxPush(),
          UpdateExpression: 'SET last_push_at = :now',
          ConditionExpression: 'attribute_not_exists(last_push_at) OR last_push_at < :now',
          ExpressionAttributeValues: { ':now': now },
        }),
      ),
    );
  }
}
