import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { toIso } from '../clock.ts';
import { conditionalWrite, gsi1, type Item, keys, queryAll, TABLE_KEYS, type TableRef } from '../store/table.ts';

/** A user's erasure under way. */
export interface Erasure {
  userId: string;
  startedAt: number;
  steppedAt: number;
  /** Whether MX had the user when the erasure deleted it there; absent until then. */
  mxUser?: 'deleted' | 'absent';
  /** Items deleted so far. */
  deleted: number;
}

const erasureOf = (item: Item): Erasure => ({
  userId: String(item.user_id),
  startedAt: Number(item.started_at),
  steppedAt: Number(item.stepped_at),
  ...(item.mx_user === undefined ? {} : { mxUser: item.mx_user as Erasure['mxUser'] }),
  deleted: Number(item.deleted ?? 0),
});

/** Erasures under way, deleted when each ends: the user's id is held only as long as the rest of its data is. */
export class ErasuresRepository {
  constructor(private readonly table: TableRef) {}

  /** Records an erasure begun now, unless one is under way (which is kept as it was). */
  async begin(userId: string, now: number): Promise<Erasure> {
    const { Attributes } = await this.table.client.send(
      new UpdateCommand({
        TableName: this.table.tableName,
        Key: keys.erasure(userId),
        UpdateExpression:
          'SET user_id = :user, started_at = if_not_exists(started_at, :now), stepped_at = :now, ' +
          '#gsi1pk = :list, #gsi1sk = if_not_exists(#gsi1sk, :order)',
        ExpressionAttributeNames: { '#gsi1pk': TABLE_KEYS.gsi1pk, '#gsi1sk': TABLE_KEYS.gsi1sk },
        ExpressionAttributeValues: { ':user': userId, ':now': now, ':list': gsi1.erasures, ':order': `${toIso(now)}#${userId}` },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return erasureOf(Attributes!);
  }

  async get(userId: string): Promise<Erasure | undefined> {
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: keys.erasure(userId), ConsistentRead: true }),
    );
    return Item && erasureOf(Item);
  }

  /** Notes a step; nothing once the erasure has ended (a message sent twice). */
  async noteStep(userId: string, step: { deleted: number; mxUser?: Erasure['mxUser'] }, now: number): Promise<void> {
    await conditionalWrite(
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.erasure(userId),
          ConditionExpression: 'attribute_exists(pk)',
          UpdateExpression: `SET stepped_at = :now${step.mxUser ? ', mx_user = :mx' : ''} ADD deleted :deleted`,
          ExpressionAttributeValues: { ':now': now, ':deleted': step.deleted, ...(step.mxUser ? { ':mx': step.mxUser } : {}) },
        }),
      ),
    );
  }

  async end(userId: string): Promise<void> {
    await this.table.client.send(new DeleteCommand({ TableName: this.table.tableName, Key: keys.erasure(userId) }));
  }

  /** When each erasure under way began, oldest first, read off the index's sort key. */
  async startTimes(): Promise<number[]> {
    const started = [];
    for await (const entry of queryAll(this.table, {
      IndexName: TABLE_KEYS.gsi1,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': TABLE_KEYS.gsi1pk },
      ExpressionAttributeValues: { ':pk': gsi1.erasures },
    })) {
      started.push(Date.parse(String(entry[TABLE_KEYS.gsi1sk]).slice(0, toIso(0).length)));
    }
    return started;
  }
}
