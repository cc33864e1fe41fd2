import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { needsUser } from '../mx/connection-status.ts';
import {
  conditionalWrite,
  deleteItems,
  getItems,
  gsi1,
  keys,
  MEMBERS_NEEDING_USER_SHARDS,
  queryAll,
  shardOf,
  TABLE_KEYS,
  type TableRef,
} from '../store/table.ts';

/** What the relay last saw of one member at MX. */
export interface MemberState {
  /** Of the latest aggregation a job followed (MX's text, compared as it is). */
  aggregatedAt: string | null;
  jobId?: string;
  /** A status mid-aggregation is never recorded. */
  connectionStatus: string | null;
  /** How many status changes have been announced: names the next `member.connection_status_changed`. */
  statusSeq: number;
  historyCompleteAt?: number;
}

/** A member as the reconcile's turn weighs it. */
export type SeenMember = Pick<MemberState, 'aggregatedAt' | 'connectionStatus'> & { memberGuid: string };

/** Written only while the state is still the one it was compared with (`statusSeq`). */
export interface MemberObservation {
  connectionStatus: string | null;
  statusSeq: number;
  aggregatedAt?: string | null;
  jobId?: string;
  now: number;
}

/** A member whose recorded status needs its user, across users. */
export interface MemberNeedingUser {
  userId: string;
  memberGuid: string;
  connectionStatus: string;
  /** The start of the current run of statuses needing the user. */
  since: number;
}

/**
 * Member states, in the user's partition so an erasure takes them. Only a state needing the user is in GSI1, so the
 * writes of a healthy member cost the index nothing.
 */
export class MemberStatesRepository {
  constructor(private readonly table: TableRef) {}

  async get(userId: string, memberGuid: string): Promise<MemberState | undefined> {
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: keys.memberState(userId, memberGuid), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    return {
      aggregatedAt: (Item.aggregated_at as string | null | undefined) ?? null,
      ...(typeof Item.job_id === 'string' ? { jobId: Item.job_id } : {}),
      connectionStatus: (Item.connection_status as string | null | undefined) ?? null,
      statusSeq: (Item.status_seq as number | undefined) ?? 0,
      ...(typeof Item.history_complete_at === 'number' ? { historyCompleteAt: Item.history_complete_at } : {}),
    };
  }

  async historyCompleted(userId: string, memberGuid: string, now: number): Promise<void> {
    await this.table.client.send(
      new UpdateCommand({
        TableName: this.table.tableName,
        Key: keys.memberState(userId, memberGuid),
        UpdateExpression: 'SET history_complete_at = if_not_exists(history_complete_at, :now)',
        ExpressionAttributeValues: { ':now': now },
      }),
    );
  }

  /** Whether every member not gone has had its extended history end; none: false. */
  async historyCompleteOfUser(userId: string): Promise<boolean> {
    let members = 0;
    for await (const item of queryAll(this.table, {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :members)',
      ExpressionAttributeValues: { ':pk': keys.memberState(userId, '').pk, ':members': keys.memberState(userId, '').sk },
      ProjectionExpression: 'history_complete_at, gone',
      ConsistentRead: true,
    })) {
      if (item.gone === true) continue;
      if (typeof item.history_complete_at !== 'number') return false;
      members += 1;
    }
    return members > 0;
  }

  /** False when the state already names the aggregation: another report got there first, or a relay job followed it. */
  claimAggregation(
    userId: string,
    memberGuid: string,
    claim: { aggregatedAt: string; jobId: string; now: number },
  ): Promise<boolean> {
    return conditionalWrite(
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.memberState(userId, memberGuid),
          UpdateExpression: 'SET aggregated_at = :at, job_id = :job, observed_at = :now',
          ConditionExpression: 'attribute_not_exists(aggregated_at) OR aggregated_at <> :at',
          ExpressionAttributeValues: {
            ':at': claim.aggregatedAt,
            ':job': claim.jobId,
            ':now': claim.now,
          },
        }),
      ),
    );
  }

  /** Names the job following the recorded aggregation, while it is still `aggregatedAt`. */
  async followedBy(userId: string, memberGuid: string, aggregatedAt: string, jobId: string): Promise<void> {
    await conditionalWrite(
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.memberState(userId, memberGuid),
          UpdateExpression: 'SET job_id = :job',
          ConditionExpression: 'aggregated_at = :at',
          ExpressionAttributeValues: { ':job': jobId, ':at': aggregatedAt },
        }),
      ),
    );
  }

  /** Records an observation; false when another observer recorded a status change since `expectedSeq` was read. */
  record(userId: string, memberGuid: string, expectedSeq: number, observation: MemberObservation): Promise<boolean> {
    const sets = ['connection_status = :cs', 'status_seq = :seq', 'observed_at = :now'];
    const values: Record<string, unknown> = {
      ':cs': observation.connectionStatus,
      ':seq': observation.statusSeq,
      ':now': observation.now,
      ':expected': expectedSeq,
    };
    if (observation.aggregatedAt !== undefined) {
      sets.push('aggregated_at = :at');
      values[':at'] = observation.aggregatedAt;
    }
    if (observation.jobId !== undefined) {
      sets.push('job_id = :job');
      values[':job'] = observation.jobId;
    }
    let remove = '';
    if (observation.connectionStatus !== null && needsUser(observation.connectionStatus)) {
      // Since the first status that needs the user: a move from LOCKED to EXPIRED keeps it.
      sets.push(`${TABLE_KEYS.gsi1pk} = :npk`, `${TABLE_KEYS.gsi1sk} = if_not_exists(${TABLE_KEYS.gsi1sk}, :nsk)`);
      values[':npk'] = gsi1.membersNeedingUser(shardOf(memberGuid, MEMBERS_NEEDING_USER_SHARDS));
      values[':nsk'] = `${new Date(observation.now).toISOString()}#${userId}#${memberGuid}`;
    } else {
      remove = ` REMOVE ${TABLE_KEYS.gsi1pk}, ${TABLE_KEYS.gsi1sk}`;
    }
    return conditionalWrite(
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.memberState(userId, memberGuid),
          UpdateExpression: `SET ${sets.join(', ')}${remove}`,
          ConditionExpression: 'attribute_not_exists(status_seq) OR status_seq = :expected',
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }

  /** A member MX no longer has. Only its index entry goes: the state (and its count of announced changes) stays. */
  async gone(userId: string, memberGuid: string): Promise<void> {
    await conditionalWrite(
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.memberState(userId, memberGuid),
          UpdateExpression: `SET gone = :true REMOVE ${TABLE_KEYS.gsi1pk}, ${TABLE_KEYS.gsi1sk}`,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':true': true },
        }),
      ),
    );
  }

  async deleteAll(userId: string): Promise<number> {
    const { pk, sk } = keys.memberState(userId, '');
    const found: { pk: string; sk: string }[] = [];
    for await (const item of queryAll(this.table, {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :members)',
      ExpressionAttributeValues: { ':pk': pk, ':members': sk },
      ProjectionExpression: 'pk, sk',
    })) {
      found.push({ pk: String(item.pk), sk: String(item.sk) });
    }
    await deleteItems(this.table, found);
    return found.length;
  }

  /** The members MX still has, as last seen: one gone keeps its state (`gone`), never aggregated again. */
  async seenOf(userId: string): Promise<SeenMember[]> {
    const seen: SeenMember[] = [];
    const { pk, sk: prefix } = keys.memberState(userId, '');
    for await (const item of queryAll(this.table, {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :members)',
      ExpressionAttributeValues: { ':pk': pk, ':members': prefix },
      ProjectionExpression: 'sk, aggregated_at, connection_status, gone',
    })) {
      if (item.gone === true) continue;
      seen.push({
        memberGuid: String(item.sk).slice(prefix.length),
        aggregatedAt: (item.aggregated_at as string | null | undefined) ?? null,
        connectionStatus: (item.connection_status as string | null | undefined) ?? null,
      });
    }
    return seen;
  }

  async needingUserOf(userId: string): Promise<string[]> {
    const guids: string[] = [];
    for await (const item of queryAll(this.table, {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :members)',
      FilterExpression: 'attribute_exists(#index)',
      ExpressionAttributeNames: { '#index': TABLE_KEYS.gsi1pk },
      ExpressionAttributeValues: { ':pk': keys.memberState(userId, '').pk, ':members': keys.memberState(userId, '').sk },
      ProjectionExpression: 'sk',
    })) {
      guids.push(String(item.sk).slice(keys.memberState(userId, '').sk.length));
    }
    return guids;
  }

  /** Members needing their user, across users, newest `since` first. */
  async needingUser(limit: number): Promise<MemberNeedingUser[]> {
    const shards = await Promise.all(
      Array.from({ length: MEMBERS_NEEDING_USER_SHARDS }, async (_, shard) => {
        const { Items = [] } = await this.table.client.send(
          new QueryCommand({
            TableName: this.table.tableName,
            IndexName: TABLE_KEYS.gsi1,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': TABLE_KEYS.gsi1pk },
            ExpressionAttributeValues: { ':pk': gsi1.membersNeedingUser(shard) },
            ScanIndexForward: false,
            Limit: limit,
          }),
        );
        return Items.map((item) => ({
          sortKey: String(item[TABLE_KEYS.gsi1sk]),
          key: { pk: String(item.pk), sk: String(item.sk) },
        }));
      }),
    );
    // An index entry behind its item is dropped before the page is cut, so a full page is `limit` long.
    const entries = shards.flat().sort((a, b) => (a.sortKey < b.sortKey ? 1 : a.sortKey > b.sortKey ? -1 : 0));
    const id = (key: Record<string, unknown>) => `${String(key.pk)}\u0000${String(key.sk)}`;
    const items = new Map(
      (
        await getItems(
          this.table,
          entries.map((entry) => entry.key),
        )
      ).map((item) => [id(item), item]),
    );
    const found: MemberNeedingUser[] = [];
    for (const { sortKey, key } of entries) {
      const status = items.get(id(key))?.connection_status;
      if (typeof status !== 'string' || !needsUser(status)) continue;
      found.push({
        userId: key.pk.slice(keys.memberState('', '').pk.length),
        memberGuid: key.sk.slice(keys.memberState('', '').sk.length),
        connectionStatus: status,
        since: Date.parse(sortKey.slice(0, sortKey.indexOf('#'))),
      });
      if (found.length === limit) break;
    }
    return found;
  }
}
