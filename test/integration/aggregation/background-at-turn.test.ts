import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { useInProcessRelay } from '../../support/in-process-relay.ts';

/**
 * MX_BACKGROUND_AT_TURN through worker-poll's composition, over dynalite and the simulator on one clock: MX's nightly
 * background aggregations of a user nobody is using wait for the night's last, whose read confirms them all with one
 * session and one member list (decision 0037).
 */
const clock = new ManualClock(Date.UTC(2026, 10, 20, 18));
const harness = useInProcessRelay(clock, { MX_BACKGROUND_AT_TURN: 'true' });
const { control, settle } = harness;

const mxCalls = async () => (await control('/_sim/stats')).calls as Record<string, number>;
const callsSince = (before: Record<string, number>, after: Record<string, number>) =>
  Object.fromEntries(
    Object.entries(after).flatMap(([route, n]) => (n > (before[route] ?? 0) ? [[route, n - (before[route] ?? 0)]] : [])),
  );
const aggregationPushed = (user: string, memberGuid: string) =>
  harness.relay.mxEvents.push.receive(
    JSON.stringify({
      type: 'AGGREGATION',
      action: 'member_data_updated',
      member_guid: memberGuid,
      user_id: user,
      is_background: true,
    }),
  );

it("an idle user's background aggregations are read with the night's last: one session, one member list, one ingest", async () => {
  const user = `idle-${randomUUID().slice(0, 8)}`;
  const members: string[] = [];
  for (let i = 0; i < 3; i++) {
    const aggregation = { duration_ms: 1_000, final_status: 'CONNECTED', transactions: { add: 2 } };
    members.push((await control('/_sim/members', { user_id: user, transactions: 3, aggregation })).member.guid);
  }
  // An app synced the user in the evening (a session made, the user on the reconcile's cycle and syncing).
  expect((await harness.relay.apiRead.transactions.sync(user, { count: 100 })).added).toHaveLength(9);
  // The reconcile's first read of the user: its members, as the relay knows them.
  await harness.relay.workerPoll.watch.reconcile(user);
  await settle();

  // The night: the session long lapsed, MX aggregates each member in the background and says so. The pushes come 7 h
  // after the evening's aggregations, more than the 6-h interval: those are not tonight's (`readsHeld`'s "lately").
  clock.advance(6 * 3600_000);
  for (const guid of members) {
    await control(`/_sim/members/${guid}/background_aggregation`, {});
    clock.advance(20 * 60_000);
  }
  const before = await mxCalls();
  const turn = () =>
    harness.relay.workerPoll.watch.reconcileTurn({ user_id: user, since: clock.now() - 3600_000, webhooks_on: true });
  for (const guid of members.slice(0, 2)) await aggregationPushed(user, guid);
  await settle();
  // The user's turn (the dispatcher's message, as worker-poll takes it) amid MX's wave: a member is still to come.
  await turn();
  await settle();
  expect(callsSince(before, await mxCalls())).toEqual({});
  const jobs = async () => (await harness.relay.apiJobs.jobs.pageForUser(user, { limit: 10, now: clock.now() })).jobs;
  expect(await jobs()).toEqual([]);

  // The last one comes: its read takes the three, now; the next turn finds nothing left.
  await aggregationPushed(user, members[2]!);
  await settle();
  // One read, and one ingest for the three jobs it ended (each its own: three, and two lists of the pending window).
  const oneRead = {
    'GET /{client_id}/users/{user_id}/api_token': 1,
    'POST /sessions': 1,
    'GET /members': 1,
    'GET /transactions/updated_between/{start_date}/{end_date}': 1,
  };
  expect(callsSince(before, await mxCalls())).toEqual(oneRead);
  clock.advance(3600_000);
  await turn();
  await settle();
  expect(callsSince(before, await mxCalls())).toEqual(oneRead);
  expect((await jobs()).map((job) => [job.trigger, job.status])).toEqual([
    ['mx_background', 'succeeded'],
    ['mx_background', 'succeeded'],
    ['mx_background', 'succeeded'],
  ]);
});

it('a user in an app (a fresh session) is read at once', async () => {
  const user = `busy-${randomUUID().slice(0, 8)}`;
  const { guid } = (await control('/_sim/members', { user_id: user })).member;
  await harness.relay.apiRead.nexus.listMembers(user);
  await settle();
  clock.advance(4 * 3600_000);
  await control(`/_sim/members/${guid}/background_aggregation`, {});
  clock.advance(3_000);
  await harness.relay.apiRead.nexus.listMembers(user);
  await aggregationPushed(user, guid);
  await settle();
  const { jobs } = await harness.relay.apiJobs.jobs.pageForUser(user, { limit: 10, now: clock.now() });
  expect(jobs.map((job) => job.trigger)).toEqual(['mx_background']);
});
