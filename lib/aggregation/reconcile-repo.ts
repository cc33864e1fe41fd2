import { PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { toIso } from '../clock.ts';
import { conditionalWrite, gsi1, keys, RECONCILE_SHARDS, shardOf, TABLE_KEYS, type TableRef } from '../store/table.ts';

/** A user the reconcile is due to read, with the schedule entry it was found under. */
export interface DueUser {
  userId: string;
  /** The entry's sort key: the claim moves it only from this value. */
  dueKey: string;
}

const dueKey = (dueAt: number, userId: string): string => `${toIso(dueAt)}#${userId}`;

/**
 * The reconcile's schedule: one `RECONCILE#{user_id}` / `RECONCILE` item per user the relay serves (apart from the
 * user's partition, which the sweeper may not read: it holds the sealed session), listed by when it is due in GSI1
 * (`RECONCILE#{shard}`, `{due ISO}#{user_id}`).
 */
export class ReconcileRepository {
  constructor(private readonly table: TableRef) {}

  /** Puts the user on the schedule, first due at `dueAt`; false when it is on it already (and keeps its time). */
  enroll(userId: string, dueAt: number): Promise<boolean> {
    return conditionalWrite(
      this.table.client.send(
        new PutCommand({
          TableName: this.table.tableName,
          Item: {
            ...keys.reconcile(userId),
            gsi1pk: gsi1.reconcileDue(shardOf(userId, RECONCILE_SHARDS)),
            gsi1sk: dueKey(dueAt, userId),
            user_id: userId,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  /** Users due by `now`, the longest overdue first in each shard, at most `limit` in all. */
  async due(now: number, limit: number): Promise<DueUser[]> {
    const found: DueUser[] = [];
    const perShard = Math.max(1, Math.ceil(limit / RECONCILE_SHARDS));
    for (let shard = 0; shard < RECONCILE_SHARDS && found.length < limit; shard++) {
      const { Items = [] } = await this.table.client.send(
        new QueryCommand({
          TableName: this.table.tableName,
          IndexName: TABLE_KEYS.gsi1,
          KeyConditionExpression: '#pk = :pk AND #sk <= :until',
          ExpressionAttributeNames: { '#pk': TABLE_KEYS.gsi1pk, '#sk': TABLE_KEYS.gsi1sk },
          // `#` sorts before every user id character: `{now}#~` is past every entry due at `now`.
          ExpressionAttributeValues: { ':pk': gsi1.reconcileDue(shard), ':until': `${toIso(now)}#~` },
          Limit: Math.min(perShard, limit - found.length),
        }),
      );
      for (const item of Items) {
        const key = String(item[TABLE_KEYS.gsi1sk]);
        found.push({ userId: key.slice(key.indexOf('#') + 1), dueKey: key });
      }
    }
    return found;
  }

  /** Moves the user's next read to `nextDueAt`; false when another sweep took it first (or the user was erased). */
  claim(user: DueUser, nextDueAt: number): Promise<boolean> {
    return conditionalWrite(
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.reconcile(user.userId),
          UpdateExpression: 'SET #sk = :next',
          ConditionExpression: '#sk = :from',
          ExpressionAttributeNames: { '#sk': TABLE_KEYS.gsi1sk },
          ExpressionAttributeValues: { ':next': dueKey(nextDueAt, user.userId), ':from': user.dueKey },
        }),
      ),
    );
  }
}
