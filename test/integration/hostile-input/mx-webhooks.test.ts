import { randomUUID } from 'node:crypto';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../../lib/aws/dynamodb-client.ts';
import { ManualClock } from '../../../lib/clock.ts';
import { generateSecret } from '../../../lib/notify/signing.ts';
import type { SyncPage } from '../../../lib/transactions/transaction-sync.ts';
import type { MxTransaction } from '../../../lib/transactions/changes-found.ts';
import { useInProcessRelay } from '../../support/in-process-relay.ts';
import { createSealedWebhook } from '../../../bench/support/sealed-webhook.ts';

/**
 * MX's webhooks as an attacker holding MX's webhook credentials sends them (forged, or captured and replayed: HTTP
 * Basic carries no timestamp), every type MX documents, for unknown users and members and for other users' guids:
 * nothing reaches an app, the table or MX's users that MX's own answer does not show. mx-events and worker-poll run
 * in process over dynalite and the simulator, their queues in simulated time (ManualSqs), so a webhook's whole
 * consequence is known when the queues are empty.
 */
const clock = new ManualClock(Date.UTC(2026, 10, 20, 15));
const harness = useInProcessRelay(clock);
const { control, settle } = harness;
let db: ReturnType<typeof createDocumentClient>;

beforeAll(async () => {
  db = createDocumentClient(harness.engines);
  await createSealedWebhook(harness.relay.workerDeliver.notifier, {
    url: 'https://receiver.example.com/hooks',
    eventTypes: ['*'],
    secret: generateSecret(),
  });
});

/** Every MX call the simulator has answered, by route. */
const mxCalls = async () => (await control('/_sim/stats')).calls as Record<string, number>;
const total = (calls: Record<string, number>) => Object.values(calls).reduce((sum, count) => sum + count, 0);

const push = async (body: unknown) => harness.relay.mxEvents.push.receive(JSON.stringify(body));

/** MX aggregates the member on its own (in the background), past its throttle window, the clock run past the run's end. */
async function mxAggregates(memberGuid: string) {
  clock.advance(4 * 3600_000);
  await control(`/_sim/members/${memberGuid}/background_aggregation`, {});
  // Past the simulator's 2 s run: MX sends AGGREGATION once it has ended.
  clock.advance(3_000);
  await control(`/_sim/members/${memberGuid}`);
}

async function syncAll(user: string, cursor: string | undefined) {
  const pages: SyncPage[] = [];
  const sync = harness.relay.apiRead.transactions;
  for (let page = await sync.sync(user, { cursor, count: 100 }); ;) {
    pages.push(page);
    if (!page.has_more) break;
    page = await sync.sync(user, { cursor: page.next_cursor, count: 100 });
  }
  const all = <K extends 'added' | 'modified' | 'removed'>(key: K) => pages.flatMap((page) => page[key]);
  return { added: all('added'), modified: all('modified'), removed: all('removed'), cursor: pages.at(-1)!.next_cursor };
}

/** A user an app syncs, with two members at MX: what a forger aims at. */
async function syncingUser() {
  const user = `bob-${randomUUID().slice(0, 8)}`;
  const a = (await control('/_sim/members', { user_id: user, transactions: 4 })).member;
  const b = (await control('/_sim/members', { user_id: user, transactions: 3 })).member;
  const first = await syncAll(user, undefined);
  expect(first.added).toHaveLength(7);
  await settle();
  const { user_guid: userGuid } = await control(`/_sim/users/${user}`);
  return { user, userGuid: userGuid as string, a: a.guid as string, b: b.guid as string, first };
}

/** A syncing user's pending transaction, synced by its app, then posted by MX: deleted, made again under a new guid. */
async function pendingThenPosted() {
  const user = await syncingUser();
  const run = (transactions: { add?: number; post?: number }) =>
    control('/_sim/members', { user_id: user.user, member_guid: user.a, aggregation: { duration_ms: 0, transactions } });
  await run({ add: 1 });
  await mxAggregates(user.a);
  const synced = await syncAll(user.user, user.first.cursor);
  const [pending] = synced.added as MxTransaction[];
  expect(pending).toBeDefined();
  await run({ post: 1 });
  await mxAggregates(user.a);
  return { ...user, synced, pending: pending! };
}

const itemsOf = async (pk: string) =>
  (
    await db.send(
      new QueryCommand({
        TableName: harness.engines.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
      }),
    )
  ).Items ?? [];

describe('forged MX webhooks', () => {
  it('a TRANSACTIONS deleted for a transaction MX still has removes nothing; one MX deleted beside it is removed', async () => {
    const { user, userGuid, a, first, synced, pending } = await pendingThenPosted();
    // MX's webhook of the posted one's deletion, and a forged one beside it.
    const forged = (first.added as MxTransaction[]).find((t) => t.member_guid === a)!;
    const deleted = (guid: string) => ({
      action: 'deleted',
      transaction: { guid, member_guid: a, user_guid: userGuid, user_id: user },
    });
    expect(await push(deleted(forged.guid))).toMatchObject({ kind: 'reported' });
    expect(await push(deleted(pending.guid))).toMatchObject({ kind: 'reported' });
    const lists = async () =>
      total(Object.fromEntries(Object.entries(await mxCalls()).filter(([route]) => route.includes('/transactions'))));
    const before = await lists();
    expect(await settle()).toBe(0);
    // One read of each hinted transaction's day (two days here), for both webhooks.
    expect((await lists()) - before).toBeLessThanOrEqual(2);
    const next = await syncAll(user, synced.cursor);
    expect(next.removed.map((t) => t.guid)).toContain(pending.guid);
    expect(next.removed.map((t) => t.guid)).not.toContain(forged.guid);
  });

  it('a TRANSACTIONS deleted the relay removed already, or for a user who does not sync, writes nothing and reads nothing', async () => {
    const { user, userGuid, a, synced, pending } = await pendingThenPosted();
    // The aggregation's own ingest (as its end's read runs it) reads MX's list first: the pending one is removed.
    await harness.relay.apiRead.transactions.ingestAfterAggregation(user);
    expect((await syncAll(user, synced.cursor)).removed.map((t) => t.guid)).toEqual([pending.guid]);
    // A user an app is served, whose app never syncs.
    const reader = `carol-${randomUUID().slice(0, 8)}`;
    const member = (await control('/_sim/members', { user_id: reader, transactions: 2 })).member.guid as string;
    await harness.relay.apiRead.nexus.listMembers(reader);
    expect(await itemsOf(`RECONCILE#${reader}`)).not.toEqual([]);

    const before = total(await mxCalls());
    const deleted = (userId: string, memberGuid: string, guid: string, userGuid?: string) => ({
      action: 'deleted',
      transaction: { guid, member_guid: memberGuid, user_id: userId, ...(userGuid ? { user_guid: userGuid } : {}) },
    });
    expect(await push(deleted(user, a, pending.guid, userGuid))).toMatchObject({ kind: 'reported' });
    expect(await push(deleted(reader, member, 'TRN-of-a-reader'))).toMatchObject({ kind: 'reported' });
    expect(await settle()).toBe(0);
    expect(total(await mxCalls())).toBe(before);
    const hints = async (userId: string) => (await itemsOf(`USER#${userId}`)).filter((item) => item.sk === 'MXHINTS');
    expect([...(await hints(user)), ...(await hints(reader))]).toEqual([]);
  });

  it('a MEMBER deleted for a member MX still has removes none of its transactions and announces nothing', async () => {
    const { user, userGuid, b, first } = await syncingUser();
    await push({ action: 'deleted', member: { guid: b, user_guid: userGuid, user_id: user } });
    expect(await settle()).toBe(0);
    expect((await syncAll(user, first.cursor)).removed).toEqual([]);
  });

  it('an AGGREGATION naming a user the relay does not serve makes nothing: no MX user, session, reconcile entry', async () => {
    const stranger = `mallory-${randomUUID().slice(0, 8)}`;
    const before = total(await mxCalls());
    for (const type of ['AGGREGATION', 'HISTORY', 'VERIFICATION']) {
      await push({ type, action: 'member_data_updated', member_guid: 'MBR-forged', user_id: stranger, is_background: true });
    }
    await push({ action: 'deleted', transaction: { guid: 'TRN-forged', member_guid: 'MBR-forged', user_id: stranger } });
    await push({ action: 'deleted', member: { guid: 'MBR-forged', user_guid: 'USR-forged', user_id: stranger } });
    expect(await settle()).toBe(0);
    expect(total(await mxCalls())).toBe(before);
    expect((await fetch(`${harness.simulator.url}/_sim/users/${stranger}`)).status).toBe(404);
    expect([...(await itemsOf(`USER#${stranger}`)), ...(await itemsOf(`RECONCILE#${stranger}`))]).toEqual([]);
  });

  it('one webhook sent 50 times makes one MX read', async () => {
    const { user, a } = await syncingUser();
    const before = await mxCalls();
    const body = { type: 'AGGREGATION', action: 'member_data_updated', member_guid: a, user_id: user, is_background: true };
    for (let copy = 0; copy < 50; copy++) await push(body);
    await settle();
    expect(total(await mxCalls()) - total(before)).toBe(1);
  });

  it("webhooks naming another user's member, transaction or guid change nothing for either user", async () => {
    const bob = await syncingUser();
    const alice = await syncingUser();
    const aliceTransaction = (alice.first.added as MxTransaction[])[0]!.guid;
    const bodies = [
      { type: 'AGGREGATION', action: 'member_data_updated', member_guid: alice.a, user_id: bob.user, is_background: false },
      {
        type: 'CONNECTION_STATUS',
        action: 'CHANGED',
        connection_status: 'LOCKED',
        member_guid: alice.a,
        user_guid: bob.userGuid,
      },
      { action: 'deleted', transaction: { guid: aliceTransaction, member_guid: alice.a, user_id: bob.user } },
      { action: 'deleted', member: { guid: alice.b, user_guid: bob.userGuid, user_id: bob.user } },
    ];
    for (const body of bodies) await push(body);
    expect(await settle()).toBe(0);
    expect((await syncAll(bob.user, bob.first.cursor)).removed).toEqual([]);
    expect((await syncAll(alice.user, alice.first.cursor)).removed).toEqual([]);
    expect((await harness.relay.apiJobs.jobs.pageForUser(bob.user, { limit: 10, now: clock.now() })).jobs).toEqual([]);
  });

  it('every type MX documents, for members and users nobody has, reaches no app', async () => {
    const { user, userGuid } = await syncingUser();
    const member = 'MBR-nobody';
    const bodies = [
      ...['AGGREGATION', 'BALANCE', 'HISTORY', 'STATEMENT', 'VERIFICATION', 'IDENTIFICATION'].map((type) => ({
        type,
        action: 'member_data_updated',
        member_guid: member,
        user_id: user,
        user_guid: userGuid,
      })),
      { type: 'CONNECTION_STATUS', action: 'CHANGED', connection_status: 'CHALLENGED', member_guid: member, user_guid: userGuid },
      { type: 'CONNECTION_STATUS', action: 'CHANGED', connection_status: 'DENIED', member_guid: member, user_guid: 'USR-nobody' },
      ...['created', 'updated', 'deleted'].map((action) => ({
        action,
        transaction: { guid: 'TRN-nobody', member_guid: member, user_id: user, user_guid: userGuid },
      })),
      { action: 'deleted', member: { guid: member, user_guid: userGuid, user_id: user } },
    ];
    for (const body of bodies) await push(body);
    expect(await settle()).toBe(0);
  });

  it('a captured body sent again within MX’s retry horizon does nothing more', async () => {
    const { user, a } = await syncingUser();
    const body = { type: 'AGGREGATION', action: 'member_data_updated', member_guid: a, user_id: user, job_guid: 'JOB-captured' };
    expect(await push(body)).toMatchObject({ kind: 'reported' });
    await settle();
    const before = total(await mxCalls());
    for (let copy = 0; copy < 5; copy++) expect(await push(body)).toEqual({ kind: 'replayed' });
    expect(harness.queues.size).toBe(0);
    await settle();
    expect(total(await mxCalls())).toBe(before);
  });

  it('what MX did is still believed: a genuine AGGREGATION reaches apps (the check above can see a delivery)', async () => {
    const { user, a } = await syncingUser();
    await mxAggregates(a);
    const polls = () => harness.queues.sent.get(harness.engines.queueUrls.poll) ?? 0;
    const pollsBefore = polls();
    await push({ type: 'AGGREGATION', action: 'member_data_updated', member_guid: a, user_id: user, is_background: true });
    expect(await settle()).toBeGreaterThan(0);
    const { jobs } = await harness.relay.apiJobs.jobs.pageForUser(user, { limit: 10, now: clock.now() });
    expect(jobs.map((job) => [job.trigger, job.status])).toEqual([['mx_background', 'succeeded']]);
    // MX showed it ended: the job ended from that read, with no poll of its own.
    expect(polls()).toBe(pollsBefore);
  });
});
