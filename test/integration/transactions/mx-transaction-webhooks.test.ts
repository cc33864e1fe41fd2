import { describe, expect, it } from 'vitest';
import { useSyncHarness } from './sync-harness.ts';
import { SyncCursorExpiredError } from '../../../lib/transactions/sync-cursor.ts';
import { INGEST_REUSE_MS, type SyncPage } from '../../../lib/transactions/transaction-sync.ts';
import type { MxTransaction } from '../../../lib/transactions/changes-found.ts';

/**
 * What MX's TRANSACTIONS-deleted and MEMBER-deleted webhooks hint to the transactions sync (worker-poll's hint reads,
 * over dynalite and the simulator): a transaction is `removed` once MX's own list of its day no longer shows it, and a
 * member MX no longer lists takes its transactions with it.
 */
const harness = useSyncHarness(Date.UTC(2026, 10, 20, 15));
const { clock, control } = harness;

async function syncAll(user: string, cursor: string | undefined) {
  const pages: SyncPage[] = [];
  for (let page = await harness.relay.apiRead.transactions.sync(user, { cursor, count: 50 }); ;) {
    pages.push(page);
    if (!page.has_more) break;
    page = await harness.relay.apiRead.transactions.sync(user, { cursor: page.next_cursor, count: 50 });
  }
  const all = <K extends 'added' | 'modified' | 'removed'>(key: K) => pages.flatMap((page) => page[key]);
  return { added: all('added'), modified: all('modified'), removed: all('removed'), cursor: pages.at(-1)!.next_cursor };
}
const listCalls = async () =>
  Object.entries((await control('/_sim/stats')).calls as Record<string, number>)
    .filter(([route]) => route.includes('/transactions'))
    .reduce((total, [, count]) => total + count, 0);

/** MX aggregates the member on its own (in the background), past its throttle window, the clock run past the run's end. */
async function mxAggregates(user: string, memberGuid: string, transactions: { add?: number; post?: number }) {
  await control('/_sim/members', { user_id: user, member_guid: memberGuid, aggregation: { duration_ms: 0, transactions } });
  clock.advance(4 * 3600_000);
  await control(`/_sim/members/${memberGuid}/background_aggregation`, {});
  clock.advance(1_000);
  await control(`/_sim/members/${memberGuid}`);
}

describe("MX's deletions, as its webhooks hint them", () => {
  it("removes a transaction only once MX's list of its day no longer shows it: one MX still has stays", async () => {
    const user = 'webhook-sync-user';
    const a = (await control('/_sim/members', { user_id: user, transactions: 4 })).member.guid;
    const first = await syncAll(user, undefined);
    await mxAggregates(user, a, { add: 1 });
    const synced = await syncAll(user, first.cursor);
    const [pending] = synced.added as MxTransaction[];
    // MX posts it: the pending transaction deleted, made again under a new guid.
    await mxAggregates(user, a, { post: 1 });
    const sync = harness.relay.apiRead.transactions;
    const kept = (first.added as MxTransaction[])[0]!.guid;

    const before = await listCalls();
    expect(await sync.confirmRemovals(user, [pending!.guid, kept])).toEqual({ removed: 1 });
    // One read per day the two are dated on.
    expect((await listCalls()) - before).toBeLessThanOrEqual(2);
    // Again, as MX resends: removed already, nothing read.
    const again = await listCalls();
    expect(await sync.confirmRemovals(user, [pending!.guid])).toEqual({ removed: 0 });
    expect(await listCalls()).toBe(again);

    const next = await syncAll(user, synced.cursor);
    expect(next.removed.map((t) => t.guid)).toEqual([pending!.guid]);
  });

  it('removes every transaction of a member MX no longer lists, without reading MX again', async () => {
    const user = 'webhook-member-user';
    await control('/_sim/members', { user_id: user, transactions: 4 });
    const b = (await control('/_sim/members', { user_id: user, transactions: 3 })).member.guid;
    const first = await syncAll(user, undefined);
    const before = await listCalls();
    expect(await harness.relay.apiRead.transactions.memberGone(user, b)).toBe(true);
    expect(await listCalls()).toBe(before);
    const ofB = (first.added as MxTransaction[]).filter((t) => t.member_guid === b);
    expect((await syncAll(user, first.cursor)).removed.map((t) => t.guid).sort()).toEqual(ofB.map((t) => t.guid).sort());
  });

  it('counts MX’s deletions again from the first sync after the relay forgot the user, even one answered 410', async () => {
    const user = 'webhook-forgotten-user';
    const member = (await control('/_sim/members', { user_id: user, transactions: 5 })).member.guid;
    const sync = harness.relay.apiRead.transactions;
    const first = await syncAll(user, undefined);
    // No app asked about the user for a while: the relay forgot its transactions.
    expect((await harness.forgetting.forget(user)).done).toBe(true);
    expect(await sync.confirmRemovals(user, ['TRN-forgotten'])).toBeUndefined();
    expect(await sync.memberGone(user, member)).toBe(false);

    // Its app comes back with the cursor it kept (expired): the sync from the start ends the forgetting.
    clock.advance(INGEST_REUSE_MS);
    await expect(sync.sync(user, { cursor: first.cursor, count: 50 })).rejects.toBeInstanceOf(SyncCursorExpiredError);
    expect(await sync.memberGone(user, member)).toBe(true);
    expect((await syncAll(user, undefined)).added).toEqual([]);
  });

  it('tells a user who does not sync that it does not', async () => {
    const sync = harness.relay.apiRead.transactions;
    expect(await sync.confirmRemovals('webhook-never-synced', ['TRN-1'])).toBeUndefined();
    expect(await sync.memberGone('webhook-never-synced', 'MBR-1')).toBe(false);
  });
});

describe("the simulator's data, dated as MX's is (issue 74 #3)", () => {
  it('holds pending transactions days old, not months: MX posting one reaches the sync as removed and added', async () => {
    const user = 'recent-pending-user';
    // Two a day over the history: the newest days' are still pending, as MX holds them.
    const member = (await control('/_sim/members', { user_id: user, transactions: 240 })).member.guid;
    const first = await syncAll(user, undefined);
    const pending = (first.added as MxTransaction[])
      .filter((transaction) => transaction.status === 'PENDING')
      .sort((a, b) => String(a.transacted_at).localeCompare(String(b.transacted_at)) || a.guid.localeCompare(b.guid));
    expect(pending.length).toBeGreaterThan(0);
    for (const transaction of pending) {
      expect(clock.now() - Date.parse(String(transaction.date))).toBeLessThan(3 * 86_400_000);
    }
    // MX posts the oldest pending: deleted, and made again POSTED under a new guid, inside the window the relay reads
    // after an aggregation (as worker-poll does at a job's end).
    await mxAggregates(user, member, { post: 1 });
    await harness.relay.apiRead.transactions.ingestAfterAggregation(user);
    const next = await syncAll(user, first.cursor);
    expect(next.removed.map((transaction) => transaction.guid)).toEqual([pending[0]!.guid]);
    expect(next.added).toEqual([expect.objectContaining({ status: 'POSTED', amount: pending[0]!.amount })]);
  });
});
