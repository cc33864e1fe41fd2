import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  ACTIVE_JOB_SHARDS,
  activeJobsOfMember,
  activeJobsPartition,
  conditionalWrite,
  isExpired,
  keys,
  type MemberRef,
  queryAll,
  shardOf,
  type TableRef,
} from '../store/table.ts';

/** A member's active-job pointer, as the sweeper reads it. */
export interface ActivePointer extends MemberRef {
  jobId: string;
  claimedAt: number;
}

/**
 * The per-member "active job" pointers: one live job per member, and the sweeper's worklist. Each change is one
 * conditional single-item write; claimed before the job exists, released after its terminal event is out.
 */
export class ActiveJobsRepository {
  constructor(private readonly table: TableRef) {}

  /**
   * Unless another live job holds it. The pointer expires so a crash cannot block the member for good; it is the user's,
   * so a claim naming another user's member holds only the claimant's. `claimed_at` tells the sweeper a job never came.
   */
  async claimActive(member: MemberRef, jobId: string, expiresAt: number, now: number): Promise<boolean> {
    return conditionalWrite(
      this.table.client.send(
        new PutCommand({
          TableName: this.table.tableName,
          Item: {
            ...keys.activeJob(member),
            job_id: jobId,
            member_guid: member.memberGuid,
            user_id: member.userId,
            claimed_at: now,
            expires_at: expiresAt,
            ttl: Math.ceil(expiresAt / 1000),
          },
          // Or held by this very job: a claim repeated after a failure before its job was written takes it again.
          ConditionExpression: 'attribute_not_exists(pk) OR expires_at < :now OR job_id = :job',
          ExpressionAttributeValues: { ':now': now, ':job': jobId },
        }),
      ),
    );
  }

  async activeJobId(member: MemberRef, now: number): Promise<string | undefined> {
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: keys.activeJob(member), ConsistentRead: true }),
    );
    return Item && isLive(Item, now) ? (Item.job_id as string) : undefined;
  }

  /** Whoever claimed them (MX's webhooks name the member, not our user): only the owner's claim can ever have a job. */
  async activeJobIdsOfMember(memberGuid: string, now: number): Promise<string[]> {
    const ids: string[] = [];
    const pointers = queryAll(this.table, {
      KeyConditionExpression: 'pk = :shard AND begins_with(sk, :member)',
      ExpressionAttributeValues: {
        ':shard': activeJobsPartition(shardOf(memberGuid, ACTIVE_JOB_SHARDS)),
        ':member': activeJobsOfMember(memberGuid),
      },
      ConsistentRead: true,
    });
    for await (const item of pointers) if (isLive(item, now)) ids.push(item.job_id as string);
    return ids;
  }

  /** Whether the member's pointer names `jobId`, expired or not: a job holds it until its terminal event is out. */
  async holdsActive(member: MemberRef, jobId: string): Promise<boolean> {
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: keys.activeJob(member), ConsistentRead: true }),
    );
    return Item?.job_id === jobId;
  }

  /** The sweeper's worklist. */
  async *activeJobs(): AsyncGenerator<ActivePointer> {
    for (let shard = 0; shard < ACTIVE_JOB_SHARDS; shard++) {
      const items = queryAll(this.table, {
        KeyConditionExpression: 'pk = :shard',
        ExpressionAttributeValues: { ':shard': activeJobsPartition(shard) },
        ProjectionExpression: 'job_id, member_guid, user_id, claimed_at',
        ConsistentRead: true,
      });
      for await (const item of items) {
        yield {
          jobId: item.job_id as string,
          memberGuid: item.member_guid as string,
          userId: item.user_id as string,
          claimedAt: item.claimed_at as number,
        };
      }
    }
  }

  /** Clears the pointer if it still names `jobId`. */
  async releaseActive(member: MemberRef, jobId: string): Promise<void> {
    await conditionalWrite(
      this.table.client.send(
        new DeleteCommand({
          TableName: this.table.tableName,
          Key: keys.activeJob(member),
          ConditionExpression: 'job_id = :job',
          ExpressionAttributeValues: { ':job': jobId },
        }),
      ),
    );
  }
}

/** Not past `expires_at`, nor its `ttl` (which dynalite never acts on). */
const isLive = (item: Record<string, unknown>, now: number): boolean =>
  !isExpired(item as { ttl?: number }, now) && (item.expires_at as number) >= now;
