import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isMxStarted, type Job, type JobKind, type JobStatus, type JobTrigger, type TerminalStatus } from './job.ts';
import type { MemberSnapshot } from './member-snapshot.ts';
import type { Challenge } from '../mx/challenge.ts';
import {
  conditionalWrite,
  getItems,
  gsi1,
  gsi2,
  isExpired,
  keys,
  TABLE_KEYS,
  type TableRef,
  tableKeyOf,
} from '../store/table.ts';

/** Where a page of a user's jobs continues: the GSI2 key of the last job shown. */
export interface UserJobsKey {
  pk: string;
  sk: string;
  gsi2pk: string;
  gsi2sk: string;
}

/** The key of `job` in the user's job list, newest first. */
export const userJobsKey = (job: Pick<Job, 'id' | 'userId' | 'createdAt'>): UserJobsKey => ({
  ...keys.job(job.id),
  gsi2pk: gsi2.userJobs(job.userId),
  gsi2sk: `${new Date(job.createdAt).toISOString()}#${job.id}`,
});

export interface UserJobsPage {
  jobs: Job[];
  /** Absent on the last page. */
  next?: UserJobsKey;
}

/**
 * Days a job is kept: an app's and an operator's history of the aggregations the relay was asked for; those MX started
 * on its own (its nightly aggregations, most jobs at scale; a refresh that joins one holds it as it is) a month.
 */
export const jobRetentionDays = (trigger: JobTrigger): number => (isMxStarted(trigger) ? 30 : 90);

/** A job made at `madeAt` is still kept, whatever started it: missing, it was never written; older, its ttl may have taken it. */
export const stillKept = (madeAt: number, now: number): boolean => madeAt > now - jobRetentionDays('mx') * 86_400_000;

/**
 * Every state change is one conditional single-item write, so concurrent workers and duplicate SQS deliveries cannot apply
 * a step twice. The member's active-job pointer is never written in the same request as its job.
 */
export class JobsRepository {
  constructor(private readonly table: TableRef) {}

  async create(job: Job): Promise<void> {
    await this.table.client.send(
      new PutCommand({
        TableName: this.table.tableName,
        Item: toItem(job),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async get(jobId: string): Promise<Job | undefined> {
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: keys.job(jobId), ConsistentRead: true }),
    );
    return Item ? jobOfItem(Item) : undefined;
  }

  /** False when a push was noted for that step already: one immediate poll per step, however many webhooks are sent. */
  markPushed(jobId: string, step: number): Promise<boolean> {
    return conditionalWrite(
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.job(jobId),
          UpdateExpression: 'SET pushed_step = :step',
          ConditionExpression: 'step = :step AND (attribute_not_exists(pushed_step) OR pushed_step < :step)',
          ExpressionAttributeValues: { ':step': step },
        }),
      ),
    );
  }

  /** Of the days every job is kept: past them MX's own jobs are gone, and an older one would pose as the latest. */
  async latestForMember(memberGuid: string, now: number): Promise<Job | undefined> {
    const { Items } = await this.table.client.send(
      new QueryCommand({
        TableName: this.table.tableName,
        IndexName: TABLE_KEYS.gsi1,
        KeyConditionExpression: 'gsi1pk = :member',
        ExpressionAttributeValues: { ':member': gsi1.memberJobs(memberGuid) },
        ScanIndexForward: false,
        Limit: 1,
      }),
    );
    const job = Items?.[0] ? await this.get(jobIdOf(Items[0])) : undefined;
    return job && stillKept(job.createdAt, now) ? job : undefined;
  }

  /** Reads one more job than asked for, so the last page says so instead of leading to an empty one. */
  async pageForUser(userId: string, request: { limit: number; after?: UserJobsKey; now: number }): Promise<UserJobsPage> {
    const { Items = [] } = await this.table.client.send(
      new QueryCommand({
        TableName: this.table.tableName,
        IndexName: TABLE_KEYS.gsi2,
        KeyConditionExpression: '#gsi2pk = :user',
        ExpressionAttributeNames: { '#gsi2pk': TABLE_KEYS.gsi2pk },
        ExpressionAttributeValues: { ':user': gsi2.userJobs(userId) },
        ScanIndexForward: false,
        Limit: request.limit + 1,
        ExclusiveStartKey: request.after ? { ...request.after } : undefined,
      }),
    );
    const page = Items.slice(0, request.limit);
    const last = page.at(-1);
    // Expired jobs not yet removed are left out, but still move the cursor on.
    const shown = (await getItems(this.table, page.map(tableKeyOf)))
      .filter((item) => !isExpired(item as { ttl?: number }, request.now))
      .map(jobOfItem);
    const next =
      Items.length > request.limit && last
        ? { next: { ...tableKeyOf(last), gsi2pk: last.gsi2pk as string, gsi2sk: last.gsi2sk as string } }
        : {};
    return { jobs: shown, ...next };
  }

  /** Eventually consistent. */
  async getMany(jobIds: readonly string[]): Promise<Job[]> {
    return (
      await getItems(
        this.table,
        jobIds.map((id) => keys.job(id)),
      )
    ).map(jobOfItem);
  }

  /** False when another delivery got there first. */
  async advance(
    jobId: string,
    fromStep: number,
    change: { member?: MemberSnapshot; pollError: boolean; nextPollAt: number; now: number },
  ): Promise<boolean> {
    return this.#transition(jobId, fromStep, change.member, {
      set: 'step = :next, next_poll_at = :nextPoll, updated_at = :now',
      add: 'polls :one, poll_errors :errored',
      values: {
        ':next': fromStep + 1,
        ':nextPoll': change.nextPollAt,
        ':now': change.now,
        ':one': 1,
        ':errored': change.pollError ? 1 : 0,
      },
    });
  }

  /** The terminal transition: succeeds for exactly one caller, the one that still sees `fromStep`. */
  async finish(
    jobId: string,
    fromStep: number,
    outcome: {
      status: TerminalStatus;
      member?: MemberSnapshot;
      challenges?: Challenge[];
      polled: boolean;
      mxAggregated?: boolean;
      now: number;
    },
  ): Promise<boolean> {
    return this.#transition(jobId, fromStep, outcome.member, {
      set:
        '#status = :status, finished_at = :now, updated_at = :now, challenges = :challenges' +
        (outcome.mxAggregated === undefined ? '' : ', mx_aggregated = :mxAggregated'),
      add: 'polls :polled',
      values: {
        ':status': outcome.status,
        ':now': outcome.now,
        ':polled': outcome.polled ? 1 : 0,
        ':challenges': outcome.challenges ?? null,
        ...(outcome.mxAggregated === undefined ? {} : { ':mxAggregated': outcome.mxAggregated }),
      },
    });
  }

  /** Records the sweeper's re-drive; false when the job moved since it was read, so no re-drive is needed. */
  async markRedriven(job: Pick<Job, 'id' | 'step' | 'status'>, now: number): Promise<boolean> {
    return conditionalWrite(
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.job(job.id),
          UpdateExpression: 'SET redriven_at = :now ADD redrives :one',
          ConditionExpression: '#status = :status AND step = :step',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':now': now, ':one': 1, ':status': job.status, ':step': job.step },
        }),
      ),
    );
  }

  #transition(
    jobId: string,
    fromStep: number,
    member: MemberSnapshot | undefined,
    update: { set?: string; add?: string; values: Record<string, unknown> },
  ): Promise<boolean> {
    const sets = [update.set, member && 'connection_status = :cs, #member = :member'].filter(Boolean).join(', ');
    const add = update.add ? ` ADD ${update.add}` : '';
    return conditionalWrite(
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.job(jobId),
          // A new step (or the end) is a new expectation: the sweeper's re-drives of the last one are forgotten.
          UpdateExpression: `SET ${sets}${add} REMOVE redriven_at, redrives`,
          ConditionExpression: '#status = :aggregating AND step = :from',
          ExpressionAttributeNames: { '#status': 'status', ...(member ? { '#member': 'member' } : {}) },
          ExpressionAttributeValues: {
            ...update.values,
            ...(member ? { ':cs': member.connection_status, ':member': member } : {}),
            ':from': fromStep,
            ':aggregating': 'aggregating' satisfies JobStatus,
          },
        }),
      ),
    );
  }

  /** Puts an `action_required` job back into the poll loop (the user answered MX), to end once more. False if it moved. */
  async reopen(
    jobId: string,
    fromStep: number,
    change: { deadlineAt: number; nextPollAt: number; now: number },
  ): Promise<boolean> {
    return conditionalWrite(
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.job(jobId),
          UpdateExpression:
            'SET #status = :aggregating, step = :next, deadline_at = :deadline, next_poll_at = :nextPoll, updated_at = :now ' +
            'REMOVE finished_at, challenges, redriven_at, redrives',
          ConditionExpression: '#status = :actionRequired AND step = :from',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':aggregating': 'aggregating' satisfies JobStatus,
            ':actionRequired': 'action_required' satisfies JobStatus,
            ':next': fromStep + 1,
            ':from': fromStep,
            ':deadline': change.deadlineAt,
            ':nextPoll': change.nextPollAt,
            ':now': change.now,
          },
        }),
      ),
    );
  }
}

function toItem(job: Job) {
  return {
    ...keys.job(job.id),
    gsi1pk: gsi1.memberJobs(job.memberGuid),
    gsi1sk: `${new Date(job.createdAt).toISOString()}#${job.id}`,
    gsi2pk: gsi2.userJobs(job.userId),
    gsi2sk: userJobsKey(job).gsi2sk,
    user_id: job.userId,
    member_guid: job.memberGuid,
    status: job.status,
    connection_status: job.connectionStatus,
    step: job.step,
    polls: job.polls,
    poll_errors: job.pollErrors,
    created_at: job.createdAt,
    updated_at: job.updatedAt,
    finished_at: job.finishedAt,
    deadline_at: job.deadlineAt,
    next_poll_at: job.nextPollAt,
    member: job.member,
    challenges: job.challenges,
    correlation_id: job.correlationId,
    mx_aggregated: job.mxAggregated,
    // Absent for the defaults: a job item stays within one write unit.
    trigger: job.trigger === 'refresh' ? undefined : job.trigger,
    kind: job.kind === 'aggregation' ? undefined : job.kind,
    ttl: Math.ceil(job.createdAt / 1000) + jobRetentionDays(job.trigger) * 86_400,
  };
}

const jobIdOf = (entry: Record<string, unknown>): string => (entry.pk as string).slice('JOB#'.length);

/** A job as stored, read back. */
export function jobOfItem(item: Record<string, unknown>): Job {
  return {
    id: jobIdOf(item),
    userId: item.user_id as string,
    memberGuid: item.member_guid as string,
    kind: (item.kind as JobKind | undefined) ?? 'aggregation',
    status: item.status as JobStatus,
    trigger: (item.trigger as JobTrigger | undefined) ?? 'refresh',
    connectionStatus: (item.connection_status as string | null | undefined) ?? null,
    step: item.step as number,
    polls: item.polls as number,
    pollErrors: (item.poll_errors as number | undefined) ?? 0,
    createdAt: item.created_at as number,
    updatedAt: item.updated_at as number,
    finishedAt: item.finished_at as number | undefined,
    deadlineAt: item.deadline_at as number,
    nextPollAt: item.next_poll_at as number,
    member: (item.member as MemberSnapshot | null | undefined) ?? undefined,
    challenges: (item.challenges as Challenge[] | null | undefined) ?? undefined,
    ...(typeof item.correlation_id === 'string' ? { correlationId: item.correlation_id } : {}),
    ...(typeof item.mx_aggregated === 'boolean' ? { mxAggregated: item.mx_aggregated } : {}),
    ...(typeof item.redriven_at === 'number' ? { redrive: { at: item.redriven_at, count: (item.redrives as number) ?? 1 } } : {}),
  };
}
