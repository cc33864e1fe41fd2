import { randomBytes } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { matchRoute } from '../../../infra/local/gateway.ts';
import { type Job, newJobId } from '../../../lib/aggregation/job.ts';
import type { ApiEvent, ApiResult } from '../../../lib/http/api-event.ts';
import { hashApiKey } from '../../../lib/http/auth.ts';
import { deadLetterUrlVariable, QUEUE_NAMES } from '../../../lib/queue/queue-names.ts';
import { ApiKeysRepository } from '../../../lib/store/api-keys-repo.ts';
import { ActiveJobsRepository } from '../../../lib/aggregation/active-jobs-repo.ts';
import { AttentionRepository } from '../../../lib/aggregation/attention-repo.ts';
import { JobsRepository } from '../../../lib/aggregation/jobs-repo.ts';
import { JobOutcomesRepository, outcomeHourOf } from '../../../lib/aggregation/job-outcomes-repo.ts';
import { keys } from '../../../lib/store/table.ts';
import { useLocalEngines } from '../../support/local-table.ts';

/**
 * `GET /users/{user_id}/jobs` through the api-jobs function's own handler (auth included) over dynalite: newest
 * first, paged by an opaque cursor without gaps or repeats, one user's jobs only.
 */
const local = useLocalEngines();
const SERVER_KEY = 'nxr_server_key_0123456789abcdef';
const ALICE_KEY = 'nxr_alice_key_0123456789abcdef';
const ALICE = 'user-alice';
const BOB = 'user-bob';
/** Recent: jobs expire 30 or 90 days after they start (jobRetentionDays), and the list leaves expired ones out. */
const T0 = Math.floor(Date.now() / 60_000) * 60_000 - 7 * 86_400_000;

let handler: (event: ApiEvent, context: Context) => Promise<ApiResult>;
let jobs: JobsRepository;
/** Alice's jobs, newest first (by createdAt, then id, as the list orders them). */
let aliceJobs: Job[];
let bobJobs: Job[];

const jobOf = (userId: string, createdAt: number, i: number): Job => ({
  id: newJobId(createdAt),
  userId,
  memberGuid: `MBR-${userId}-${i}`,
  status: i % 3 === 0 ? 'aggregating' : 'succeeded',
  kind: 'aggregation',
  trigger: 'refresh',
  connectionStatus: i % 3 === 0 ? null : 'CONNECTED',
  step: 1,
  polls: 1,
  pollErrors: 0,
  createdAt,
  updatedAt: createdAt,
  ...(i % 3 === 0 ? {} : { finishedAt: createdAt + 1000 }),
  deadlineAt: createdAt + 1_200_000,
  nextPollAt: createdAt + 3000,
});
const newestFirst = (a: Job, b: Job) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1);

beforeAll(async () => {
  vi.stubEnv('TABLE_NAME', local.engines.tableName);
  vi.stubEnv('AWS_REGION', local.engines.region);
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', local.engines.dynamoDbEndpoint);
  vi.stubEnv('AWS_ENDPOINT_URL_SQS', local.engines.sqsEndpoint);
  vi.stubEnv('POLL_QUEUE_URL', local.engines.queueUrls.poll);
  vi.stubEnv('MEMBER_REPORTS_QUEUE_URL', local.engines.queueUrls['member-reports']);
  vi.stubEnv('RECONCILE_QUEUE_URL', local.engines.queueUrls.reconcile);
  vi.stubEnv('DELIVERY_QUEUE_URL', local.engines.queueUrls.delivery);
  for (const queue of QUEUE_NAMES) vi.stubEnv(deadLetterUrlVariable(queue), local.engines.deadLetterQueueUrls[queue]);
  vi.stubEnv('MX_BASE_URL', 'http://127.0.0.1:9');
  vi.stubEnv('MX_USE_CASES_ENABLED', 'true');
  vi.stubEnv('MX_CLIENT_ID', 'client');
  vi.stubEnv('MX_API_KEY', 'key');
  vi.stubEnv('LOG_LEVEL', 'ERROR');
  // What keys the digests of erased users' tombstones (lib/digest-keys.ts), as the local stack gives every function.
  vi.stubEnv('LOCAL_SECRETS_KEY', randomBytes(32).toString('base64'));
  ({ handler } = (await import('../../../functions/api-jobs.ts')) as unknown as { handler: typeof handler });

  const apiKeys = new ApiKeysRepository(local.table);
  await apiKeys.put({ hash: hashApiKey(SERVER_KEY), name: 'server', createdAt: new Date(T0).toISOString() });
  await apiKeys.put({ hash: hashApiKey(ALICE_KEY), name: 'alice-app', userId: ALICE, createdAt: new Date(T0).toISOString() });

  jobs = new JobsRepository(local.table);
  // 57 jobs for Alice, some sharing a millisecond (the id then orders them), and Bob's interleaved in time.
  aliceJobs = Array.from({ length: 57 }, (_, i) => jobOf(ALICE, T0 + Math.floor(i / 3) * 60_000, i));
  bobJobs = Array.from({ length: 7 }, (_, i) => jobOf(BOB, T0 + i * 90_000 + 1, i));
  await Promise.all([...aliceJobs, ...bobJobs].map((job) => jobs.create(job)));
  aliceJobs.sort(newestFirst);
  bobJobs.sort(newestFirst);
}, 60_000);

/** A GET of one of api-jobs' routes through its handler (auth included), as API Gateway sends it. */
async function get(path: string, query: Record<string, string>, key: string) {
  const route = matchRoute('GET', path);
  const result = await handler(
    {
      routeKey: route.routeKey,
      rawPath: path,
      headers: { authorization: `Bearer ${key}` },
      queryStringParameters: query,
      pathParameters: route.pathParameters,
      isBase64Encoded: false,
      requestContext: { requestId: 'req-user-jobs', http: { method: 'GET', path } },
    },
    {} as Context,
  );
  return { status: result.statusCode, body: JSON.parse(result.body) as any };
}

const list = async (userId: string, query: Record<string, string> = {}, key = SERVER_KEY) =>
  (await get(`/users/${userId}/jobs`, query, key)) as {
    status: number;
    body: {
      jobs: { id: string; user_id: string; created_at: string }[];
      next_cursor?: string;
      code?: string;
      field?: string;
    };
  };

async function listAll(userId: string, limit: number, key = SERVER_KEY) {
  const seen: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await list(userId, { limit: String(limit), ...(cursor ? { cursor } : {}) }, key);
    expect(page.status).toBe(200);
    expect(page.body.jobs.length).toBeLessThanOrEqual(limit);
    if (page.body.next_cursor) expect(page.body.jobs).toHaveLength(limit);
    seen.push(...page.body.jobs.map((job) => job.id));
    cursor = page.body.next_cursor;
    pages++;
  } while (cursor);
  return { ids: seen, pages };
}

describe('GET /users/{user_id}/jobs', () => {
  it('lists the newest 25 first, as job views, with a cursor to the rest', async () => {
    const page = await list(ALICE);
    expect(page.status).toBe(200);
    expect(page.body.jobs.map((job) => job.id)).toEqual(aliceJobs.slice(0, 25).map((job) => job.id));
    expect(page.body.jobs[0]).toEqual({
      id: aliceJobs[0]!.id,
      user_id: ALICE,
      member_guid: aliceJobs[0]!.memberGuid,
      kind: 'aggregation',
      status: aliceJobs[0]!.status,
      trigger: 'refresh',
      connection_status: aliceJobs[0]!.connectionStatus,
      created_at: new Date(aliceJobs[0]!.createdAt).toISOString(),
      updated_at: new Date(aliceJobs[0]!.updatedAt).toISOString(),
      finished_at: aliceJobs[0]!.finishedAt === undefined ? null : new Date(aliceJobs[0]!.finishedAt).toISOString(),
      polls: aliceJobs[0]!.polls,
    });
    expect(page.body.next_cursor).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it.each([1, 7, 19, 57, 100])('pages through every job exactly once, in order, %i at a time', async (limit) => {
    const { ids, pages } = await listAll(ALICE, limit);
    expect(ids).toEqual(aliceJobs.map((job) => job.id));
    expect(pages).toBe(Math.max(1, Math.ceil(aliceJobs.length / limit)));
  });

  it("shows one user's jobs only", async () => {
    const { ids } = await listAll(BOB, 3);
    expect(ids).toEqual(bobJobs.map((job) => job.id));
    expect((await list('user-nobody')).body).toEqual({ jobs: [] });
  });

  it('puts a new job first', async () => {
    const fresh = jobOf(BOB, T0 + 86_400_000, 1);
    await jobs.create(fresh);
    const page = await list(BOB, { limit: '2' });
    expect(page.body.jobs.map((job) => job.id)).toEqual([fresh.id, bobJobs[0]!.id]);
    bobJobs.unshift(fresh);
  });

  it('keeps the jobs MX started 30 days and the rest 90: the list leaves each out once past it', async () => {
    const carol = 'user-carol';
    const daysAgo = (days: number) => Date.now() - days * 86_400_000;
    const kept = (trigger: Job['trigger'], days: number, i: number) => ({ ...jobOf(carol, daysAgo(days), i), trigger });
    const made = [
      kept('refresh', 89, 0),
      kept('member_created', 31, 1),
      kept('mx_background', 29, 2),
      kept('mx', 29, 3),
      kept('mx_background', 31, 4),
      kept('mx', 31, 5),
      kept('refresh', 91, 6),
    ];
    await Promise.all(made.map((job) => jobs.create(job)));
    const { ids } = await listAll(carol, 10);
    expect(ids).toEqual(
      made
        .slice(0, 4)
        .sort(newestFirst)
        .map((job) => job.id),
    );
  });

  it('answers a member’s latest job from the days every job is kept: an older one never poses as the latest', async () => {
    const member = (i: number, trigger: Job['trigger'], days: number) => ({
      ...jobOf('user-dave', Date.now() - days * 86_400_000, i),
      memberGuid: 'MBR-dave',
      trigger,
    });
    const asked = member(0, 'refresh', 40);
    const mxOwn = member(1, 'mx_background', 35);
    await jobs.create(asked);
    await jobs.create(mxOwn);
    expect(await jobs.latestForMember('MBR-dave', Date.now())).toBeUndefined();
    // As DynamoDB's ttl deletes MX's own job, 30 days on: the app's older job is not the latest either.
    await local.table.client.send(new DeleteCommand({ TableName: local.table.tableName, Key: keys.job(mxOwn.id) }));
    expect(await jobs.latestForMember('MBR-dave', Date.now())).toBeUndefined();
    const recent = member(2, 'mx', 29);
    await jobs.create(recent);
    expect((await jobs.latestForMember('MBR-dave', Date.now()))?.id).toBe(recent.id);
  });

  it("lets a user-bound key list its own user's jobs, and not another user's (403)", async () => {
    const own = await listAll(ALICE, 50, ALICE_KEY);
    expect(own.ids).toEqual(aliceJobs.map((job) => job.id));
    const other = await list(BOB, {}, ALICE_KEY);
    expect(other.status).toBe(403);
    expect(other.body.code).toBe('forbidden');
  });

  it.each([
    ['0', 'limit'],
    ['101', 'limit'],
    ['2.5', 'limit'],
    ['ten', 'limit'],
  ])('refuses limit=%s (400 naming the field)', async (limit, field) => {
    const answer = await list(ALICE, { limit });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 'validation_failed', field });
  });

  it('refuses a cursor it did not issue for this user (400 naming the field)', async () => {
    const aliceCursor = (await list(ALICE, { limit: '2' })).body.next_cursor!;
    const forged = (key: Record<string, string>) => Buffer.from(JSON.stringify(key)).toString('base64url');
    const decoded = JSON.parse(Buffer.from(aliceCursor, 'base64url').toString()) as Record<string, string>;
    for (const cursor of [
      'not a cursor!',
      forged({ ...decoded, extra: 'x' }),
      forged({ ...decoded, gsi2pk: `USER#${BOB}#JOBS` }),
      forged({ ...decoded, pk: 'JOB#job_other' }),
      forged({ ...decoded, gsi2sk: decoded.gsi2sk!.replace(/^[^#]+/, '2026-01-01T00:00:00Z') }),
    ]) {
      const answer = await list(ALICE, { cursor });
      expect(answer.status, cursor).toBe(400);
      expect(answer.body).toMatchObject({ code: 'invalid_cursor', field: 'cursor' });
    }
    // Alice's cursor on Bob's list (a server key may read both): not a way into Bob's jobs from Alice's position.
    const crossed = await list(BOB, { cursor: aliceCursor });
    expect(crossed.status).toBe(400);
    expect(crossed.body.field).toBe('cursor');
  });
});

describe('GET /jobs: across users, for an operator (issue 38: the console overview)', () => {
  const acrossUsers = async (query: Record<string, string>, key = SERVER_KEY) =>
    (await get('/jobs', query, key)) as {
      status: number;
      body: { jobs: { id: string; status: string }[]; code?: string };
    };

  it('lists the jobs that ended needing someone, from two users, newest first; a resumed one drops out', async () => {
    const now = Date.now();
    const ended = (userId: string, status: Job['status'], at: number): Job => ({
      ...jobOf(userId, at, 1),
      id: newJobId(at),
      status,
      finishedAt: at + 1_000,
    });
    const failed = ended('attention-alice', 'failed', now - 60_000);
    const waiting = ended('attention-bob', 'action_required', now - 30_000);
    const resumed = { ...ended('attention-bob', 'aggregating', now - 20_000), finishedAt: undefined };
    for (const job of [failed, waiting, resumed]) {
      await jobs.create(job);
      await new AttentionRepository(local.table).markForAttention(job.id, now);
    }
    const answer = await acrossUsers({ state: 'attention' });
    expect(answer.status).toBe(200);
    const ids = answer.body.jobs.map((job) => job.id);
    expect(ids.indexOf(waiting.id)).toBeGreaterThanOrEqual(0);
    expect(ids.indexOf(waiting.id)).toBeLessThan(ids.indexOf(failed.id));
    expect(ids).not.toContain(resumed.id);
    expect(answer.body.jobs.every((job) => ['failed', 'timed_out', 'action_required'].includes(job.status))).toBe(true);
  });

  it('lists the jobs running now (their members’ active pointers); a user-bound key is refused; a bad state names the field', async () => {
    const running = jobOf('running-carol', Date.now() - 5_000, 0);
    await jobs.create(running);
    await new ActiveJobsRepository(local.table).claimActive(
      { userId: running.userId, memberGuid: running.memberGuid },
      running.id,
      Date.now() + 60_000,
      Date.now(),
    );
    const answer = await acrossUsers({ state: 'running' });
    expect(answer.status).toBe(200);
    expect(answer.body.jobs.map((job) => job.id)).toContain(running.id);
    expect(answer.body.jobs.every((job) => job.status === 'aggregating')).toBe(true);
    expect((await acrossUsers({ state: 'attention' }, ALICE_KEY)).status).toBe(403);
    const bad = await acrossUsers({ state: 'everything' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'validation_failed', field: 'state' });
  });
});

describe('GET /job_outcomes: jobs ended per hour across users (server keys)', () => {
  const outcomes = (query: Record<string, string>, key = SERVER_KEY) => get('/job_outcomes', query, key);

  it('answers each of the last hours oldest first, counts added up across writers, zeros where none ended', async () => {
    const repository = new JobOutcomesRepository(local.table);
    const now = Date.now();
    const before = (await outcomes({ hours: '3' })).body.hours as Record<string, number | string>[];
    await repository.add(outcomeHourOf(now), { succeeded: 5, failed: 1 }, now);
    await repository.add(outcomeHourOf(now), { succeeded: 2, action_required: 1 }, now);
    await repository.add(outcomeHourOf(now - 2 * 3600_000), { timed_out: 1 }, now);
    const answer = await outcomes({ hours: '3' });
    expect(answer.status).toBe(200);
    const hours = answer.body.hours as Record<string, number | string>[];
    expect(hours.map((hour) => hour.hour)).toEqual([2, 1, 0].map((back) => `${outcomeHourOf(now - back * 3600_000)}:00:00Z`));
    const added = hours.map((hour, i) =>
      Object.fromEntries(
        ['succeeded', 'action_required', 'failed', 'timed_out'].map((k) => [k, Number(hour[k]) - Number(before[i]![k])]),
      ),
    );
    expect(added).toEqual([
      { succeeded: 0, action_required: 0, failed: 0, timed_out: 1 },
      { succeeded: 0, action_required: 0, failed: 0, timed_out: 0 },
      { succeeded: 7, action_required: 1, failed: 1, timed_out: 0 },
    ]);
    expect((await outcomes({}, ALICE_KEY)).status).toBe(403);
    expect((await outcomes({ hours: '0' })).body).toMatchObject({ code: 'validation_failed', field: 'hours' });
  });
});
