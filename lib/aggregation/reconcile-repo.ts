import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { toEpochSeconds } from '../clock.ts';
import { type SlotRange, slotEnd, slotOf } from './reconcile-cycle.ts';
import {
  conditionalWrite,
  getItems,
  gsi1,
  gsi2,
  isExpired,
  keys,
  RECONCILE_SHARDS,
  shardOf,
  TABLE_KEYS,
  type TableRef,
} from '../store/table.ts';

/** A user on the reconcile's cycle, as a walk of its slots finds it. */
export interface SlotUser {
  userId: string;
  /** Its GSI1 sort key: where a walk that stops after it resumes. */
  key: string;
}

/** What a turn needs to know of a user. */
export interface TurnFacts {
  lastRead?: number;
  servedAt?: number;
  /** Off the cycle: no app asked about the user for RECONCILE_INACTIVE_DAYS. */
  left?: boolean;
}

/** How far the dispatcher has walked one shard of the cycle. */
export interface CycleCursor {
  /** Every slot up to this moment has had its turn sent. */
  at: number;
  /** A walk a run left unfinished, sent through sort key `done` of range `range`; `first`: never counted overdue. */
  walk?: { from: string; whole: boolean; toAt: number; range?: number; done?: string; first?: boolean };
  /** Bumped by each write: two runs never both move the cursor from one state. */
  version: number;
}

/**
 * The reconcile's cycle: an item per served user, apart from the user's partition (the sweeper may not read sealed
 * sessions), listed by a fixed slot so a turn moves nothing. It also holds MX's guid of the user, which MX's
 * CONNECTION_STATUS webhook names the user by.
 */
export class ReconcileRepository {
  constructor(private readonly table: TableRef) {}

  /**
   * Notes that an app was served the user, putting it on the cycle when it is not; true when it was not. With
   * `unlessServedSince`, a user on the cycle served since then is only read: a read costs a tenth of a write.
   */
  async serve(userId: string, now: number, unlessServedSince?: number): Promise<boolean> {
    if (unlessServedSince !== undefined) {
      const { Item } = await this.table.client.send(
        new GetCommand({
          TableName: this.table.tableName,
          Key: keys.reconcile(userId),
          ProjectionExpression: 'served_at, left_at',
        }),
      );
      // Served since and not left is on the cycle. A stale read misses only a later note: `leave` needs an older one.
      if (Number(Item?.served_at) >= unlessServedSince && Item?.left_at === undefined) return false;
    }
    const slot = slotKeys(userId);
    const { Attributes } = await this.table.client.send(
      new UpdateCommand({
        TableName: this.table.tableName,
        Key: keys.reconcile(userId),
        UpdateExpression:
          'SET served_at = :now, user_id = :user, enrolled_at = if_not_exists(enrolled_at, :now), ' +
          '#gsi1pk = if_not_exists(#gsi1pk, :gsi1pk), #gsi1sk = if_not_exists(#gsi1sk, :gsi1sk) REMOVE left_at, #ttl',
        ExpressionAttributeNames: { '#gsi1pk': TABLE_KEYS.gsi1pk, '#gsi1sk': TABLE_KEYS.gsi1sk, '#ttl': TABLE_KEYS.ttl },
        ExpressionAttributeValues: { ':now': now, ':user': userId, ':gsi1pk': slot.gsi1pk, ':gsi1sk': slot.gsi1sk },
        ReturnValues: 'UPDATED_OLD',
      }),
    );
    return Attributes?.[TABLE_KEYS.gsi1pk] === undefined;
  }

  /**
   * Takes the user off the cycle unless an app was served it after `servedBefore`; true when it left. The item stays out
   * of the slots until `expiresAt`: MX's reports do not put it back, only an app's request does (`serve`).
   */
  leave(userId: string, servedBefore: number, now: number, expiresAt: number): Promise<boolean> {
    return conditionalWrite(
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.reconcile(userId),
          UpdateExpression: 'SET left_at = :now, #ttl = :ttl REMOVE #gsi1pk, #gsi1sk',
          ConditionExpression: 'served_at < :before',
          ExpressionAttributeNames: { '#gsi1pk': TABLE_KEYS.gsi1pk, '#gsi1sk': TABLE_KEYS.gsi1sk, '#ttl': TABLE_KEYS.ttl },
          ExpressionAttributeValues: { ':before': servedBefore, ':now': now, ':ttl': toEpochSeconds(expiresAt) },
        }),
      ),
    );
  }

  /** Starts the inactivity clock of users put on the cycle before `served_at` was kept: as if served at `now`. */
  async markServed(userIds: readonly string[], now: number): Promise<void> {
    await Promise.all(
      userIds.map((userId) =>
        conditionalWrite(
          this.table.client.send(
            new UpdateCommand({
              TableName: this.table.tableName,
              Key: keys.reconcile(userId),
              UpdateExpression: 'SET served_at = :now',
              ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(served_at)',
              ExpressionAttributeValues: { ':now': now },
            }),
          ),
        ),
      ),
    );
  }

  /** Puts the user on the cycle at `now`, at its slot; false when it is on it already. */
  enroll(userId: string, now: number): Promise<boolean> {
    return conditionalWrite(
      this.table.client.send(
        new PutCommand({
          TableName: this.table.tableName,
          Item: { ...keys.reconcile(userId), ...slotKeys(userId), user_id: userId, enrolled_at: now },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  /** One page of the shard's users in `range`, in slot order; `more` when the range may hold more. */
  async inSlots(
    shard: number,
    range: SlotRange,
    limit: number,
    resumeAfter?: string,
  ): Promise<{ users: SlotUser[]; more: boolean }> {
    // A space sorts before every user id character: `{key} ` is the first sort key past `key`.
    const from = resumeAfter === undefined ? (range.after === undefined ? undefined : slotEnd(range.after)) : `${resumeAfter} `;
    const { Items = [], LastEvaluatedKey } = await this.table.client.send(
      new QueryCommand({
        TableName: this.table.tableName,
        IndexName: TABLE_KEYS.gsi1,
        KeyConditionExpression: from === undefined ? '#pk = :pk AND #sk <= :to' : '#pk = :pk AND #sk BETWEEN :from AND :to',
        ExpressionAttributeNames: { '#pk': TABLE_KEYS.gsi1pk, '#sk': TABLE_KEYS.gsi1sk },
        ExpressionAttributeValues: {
          ':pk': gsi1.reconcileSlots(shard),
          ':to': slotEnd(range.through),
          ...(from === undefined ? {} : { ':from': from }),
        },
        Limit: limit,
      }),
    );
    const users = Items.map((item) => {
      const key = String(item[TABLE_KEYS.gsi1sk]);
      return { userId: key.slice(key.indexOf('#') + 1), key };
    });
    return { users, more: LastEvaluatedKey !== undefined };
  }

  async cursor(shard: number): Promise<CycleCursor | undefined> {
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: keys.reconcileCursor(shard), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    return {
      at: Number(Item.at),
      version: Number(Item.version),
      ...(Item.walk ? { walk: Item.walk as CycleCursor['walk'] } : {}),
    };
  }

  /** Writes the shard's cursor over `previous` (none: the first); false when another run moved it meanwhile. */
  moveCursor(shard: number, previous: CycleCursor | undefined, next: Omit<CycleCursor, 'version'>): Promise<boolean> {
    const version = (previous?.version ?? 0) + 1;
    return conditionalWrite(
      this.table.client.send(
        new PutCommand({
          TableName: this.table.tableName,
          Item: { ...keys.reconcileCursor(shard), at: next.at, version, ...(next.walk ? { walk: next.walk } : {}) },
          ConditionExpression: previous ? 'version = :previous' : 'attribute_not_exists(pk)',
          ...(previous ? { ExpressionAttributeValues: { ':previous': previous.version } } : {}),
        }),
      ),
    );
  }

  /** A user absent from the map is off the cycle. `lastRead` is the enrolment before the first read. */
  async turnFacts(
    userIds: readonly string[],
    options: { consistent?: boolean; now?: number } = {},
  ): Promise<Map<string, TurnFacts>> {
    const items = await getItems(
      this.table,
      userIds.map((userId) => keys.reconcile(userId)),
      { consistent: options.consistent === true },
    );
    const facts = new Map<string, TurnFacts>();
    for (const item of items) {
      // dynalite never expires items.
      if (options.now !== undefined && isExpired(item as { ttl?: number }, options.now)) continue;
      // `turned_at`: every turn was a read before turns could be skipped.
      const read = item.read_at ?? item.turned_at ?? item.enrolled_at;
      facts.set(String(item.user_id), {
        ...(typeof read === 'number' ? { lastRead: read } : {}),
        ...(typeof item.served_at === 'number' ? { servedAt: item.served_at } : {}),
        ...(typeof item.left_at === 'number' ? { left: true } : {}),
      });
    }
    return facts;
  }

  /** False when the user is no longer on the schedule. */
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

  async mxUserGuid(userId: string): Promise<string | undefined> {
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: keys.reconcile(userId), ProjectionExpression: 'user_guid' }),
    );
    return typeof Item?.user_guid === 'string' ? Item.user_guid : undefined;
  }

  /** False when the user is not on the schedule (erased, or the reconcile is off). */
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

  /** Two are a conflict (at most two are read). */
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

function slotKeys(userId: string) {
  return { gsi1pk: gsi1.reconcileSlots(shardOf(userId, RECONCILE_SHARDS)), gsi1sk: `${slotOf(userId)}#${userId}` };
}
