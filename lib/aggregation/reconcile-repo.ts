import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { toIso } from '../clock.ts';
import {
  conditionalWrite,
  getItems,
  gsi1,
  gsi2,
  keys,
  RECONCILE_SHARDS,
  shardOf,
  TABLE_KEYS,
  type TableRef,
} from '../store/table.ts';

/** A user the reconcile is due to read, with the schedule entry it was found under. */
export interface DueUser {
  userId: string;
  /** The entry's sort key: a booking moves it only from this value. */
  dueKey: string;
  dueAt: number;
}

const dueKey = (dueAt: number, userId: string): string => `${toIso(dueAt)}#${userId}`;

/**
 * The reconcile's schedule: one `RECONCILE#{user_id}` / `RECONCILE` item per user the relay serves (apart from the
 * user's partition, which the sweeper may not read: it holds the sealed session), listed by when it is due in GSI1
 * (`RECONCILE#{shard}`, `{due ISO}#{user_id}`). Once the reconcile has read the user's members it also holds MX's
 * guid of the user, listed in GSI2 (`MXUSER#{user_guid}`): MX's CONNECTION_STATUS webhook names the user by it only.
 * An erasure deletes the item, and with it both.
 */
export class ReconcileRepository {
  constructor(private readonly table: TableRef) {}

  /** Puts the user on the schedule at `now`, first due at `dueAt`; false when it is on it already (and keeps its time). */
  enroll(userId: string, now: number, dueAt: number): Promise<boolean> {
    return conditionalWrite(
      this.table.client.send(
        new PutCommand({
          TableName: this.table.tableName,
          Item: {
            ...keys.reconcile(userId),
            gsi1pk: gsi1.reconcileDue(shardOf(userId, RECONCILE_SHARDS)),
            gsi1sk: dueKey(dueAt, userId),
            user_id: userId,
            enrolled_at: now,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  /**
   * One page of the users of `shard` due by `now`, the longest overdue first, at most `limit`; `next` is where the
   * following page starts (none: this was the last).
   */
  async due(
    shard: number,
    now: number,
    limit: number,
    start?: Record<string, unknown>,
  ): Promise<{ users: DueUser[]; next?: Record<string, unknown> }> {
    const { Items = [], LastEvaluatedKey } = await this.table.client.send(
      new QueryCommand({
        TableName: this.table.tableName,
        IndexName: TABLE_KEYS.gsi1,
        KeyConditionExpression: '#pk = :pk AND #sk <= :until',
        ExpressionAttributeNames: { '#pk': TABLE_KEYS.gsi1pk, '#sk': TABLE_KEYS.gsi1sk },
        // `#` sorts before every user id character: `{now}#~` is past every entry due at `now`.
        ExpressionAttributeValues: { ':pk': gsi1.reconcileDue(shard), ':until': `${toIso(now)}#~` },
        Limit: limit,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    const users = Items.map((item) => {
      const key = String(item[TABLE_KEYS.gsi1sk]);
      return { userId: key.slice(key.indexOf('#') + 1), dueKey: key, dueAt: Date.parse(key.slice(0, key.indexOf('#'))) };
    });
    return LastEvaluatedKey ? { users, next: LastEvaluatedKey } : { users };
  }

  /**
   * When the reconcile last read each user from MX — or enrolled it, before its first read — as the items say (an
   * item enrolled before they did says nothing). One BatchGetItem per 100 users.
   */
  async lastReads(userIds: readonly string[]): Promise<Map<string, number>> {
    const items = await getItems(
      this.table,
      userIds.map((userId) => keys.reconcile(userId)),
    );
    const lastReads = new Map<string, number>();
    for (const item of items) {
      // `turned_at`: every turn was a read before turns could be skipped.
      const at = item.read_at ?? item.turned_at ?? item.enrolled_at;
      if (typeof at === 'number') lastReads.set(String(item.user_id), at);
    }
    return lastReads;
  }

  /**
   * Moves the user's next turn to `nextDueAt`; false when the user is no longer at the entry it was found under
   * (erased, or booked by another run).
   */
  book(user: DueUser, nextDueAt: number): Promise<boolean> {
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

  /** Notes the reconcile's read of the user's members at `at` (false when the user is no longer on the schedule). */
  noteRead(userId: string, at: number): Promise<boolean> {
    return conditionalWrite(
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.reconcile(userId),
          UpdateExpression: 'SET read_at = :at',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':at': at },
        }),
      ),
    );
  }

  /** MX's guid of the user, when the reconcile has learnt it. */
  async mxUserGuid(userId: string): Promise<string | undefined> {
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: keys.reconcile(userId), ProjectionExpression: 'user_guid' }),
    );
    return typeof Item?.user_guid === 'string' ? Item.user_guid : undefined;
  }

  /** Records MX's guid of a user on the schedule (false when the user is not on it: erased, or the reconcile is off). */
  learnMxUser(userId: string, userGuid: string): Promise<boolean> {
    return conditionalWrite(
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.reconcile(userId),
          UpdateExpression: 'SET user_guid = :guid, #pk2 = :pk2, #sk2 = :sk2',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#pk2': TABLE_KEYS.gsi2pk, '#sk2': TABLE_KEYS.gsi2sk },
          ExpressionAttributeValues: { ':guid': userGuid, ':pk2': gsi2.mxUser(userGuid), ':sk2': userId },
        }),
      ),
    );
  }

  /** The relay's users recorded under MX's `userGuid`: one, or none; two are a conflict (at most two are read). */
  async usersOfMxUser(userGuid: string): Promise<string[]> {
    const { Items = [] } = await this.table.client.send(
      new QueryCommand({
        TableName: this.table.tableName,
        IndexName: TABLE_KEYS.gsi2,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': TABLE_KEYS.gsi2pk },
        ExpressionAttributeValues: { ':pk': gsi2.mxUser(userGuid) },
        Limit: 2,
      }),
    );
    return Items.map((item) => item[TABLE_KEYS.gsi2sk]).filter((sk): sk is string => typeof sk === 'string');
  }
}
