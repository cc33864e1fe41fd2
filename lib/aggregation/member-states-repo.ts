import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conditionalWrite, keys, type TableRef } from '../store/table.ts';

/** What the relay last saw of one member at MX: the aggregation it followed, the connection status it recorded. */
export interface MemberState {
  /** MX's `aggregated_at` of the latest aggregation a job followed (MX's text, compared as it is). */
  aggregatedAt: string | null;
  /** The job that follows (or followed) that aggregation. */
  jobId?: string;
  /** The settled connection status last seen (a status mid-aggregation is never recorded). */
  connectionStatus: string | null;
  /** How many status changes have been announced: names the next `member.connection_status_changed`. */
  statusSeq: number;
}

/** An observation to record, written only while the state is still the one it was compared with (`statusSeq`). */
export interface MemberObservation {
  connectionStatus: string | null;
  statusSeq: number;
  aggregatedAt?: string | null;
  jobId?: string;
  now: number;
}

/**
 * Member states as `USER#{user_id}` / `MEMBER#{member_guid}` items: in the user's partition, so an erasure takes
 * them with the rest.
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
    };
  }

  /**
   * Takes an aggregation MX reported for a job (`jobId`): false when the state already names it — another report of
   * the same aggregation got there first, or a job of the relay followed it.
   */
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

  /** Names `jobId` as the job following the aggregation recorded, while it is still `aggregatedAt` (a report joined it). */
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
    return conditionalWrite(
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.memberState(userId, memberGuid),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: 'attribute_not_exists(status_seq) OR status_seq = :expected',
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }
}
