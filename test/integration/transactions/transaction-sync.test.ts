import { describe, expect, it } from 'vitest';
import { useSyncHarness } from './sync-harness.ts';
import { InvalidCursorError } from '../../../lib/errors.ts';
import { SyncCursorExpiredError } from '../../../lib/transactions/sync-cursor.ts';
import { INGEST_REUSE_MS, type SyncPage } from '../../../lib/transactions/transaction-sync.ts';
import type { MxTransaction } from '../../../lib/transactions/changes-found.ts';

/**
 * Transactions sync over real dynalite and the MX simulator, one ManualClock for both: the simulator's aggregations
 * add and update transactions (`aggregation.transactions`), and every sync must hand each change out exactly once.
 */
const harness = useSyncHarness(Date.UTC(2026, 10, 20, 15));
const { clock, control } = harness;
const simTransactions = async (user: string) =>
  (await control(`/_sim/users/${user}/transactions`)).transactions as { guid: string; updated_at: string }[];

/** Every page of one sync, from `cursor`; the changes and the cursor to keep. */
async function syncAll(user: string, cursor: string | undefined, count = 7) {
  const pages: SyncPage[] = [];
  for (let page = await harness.relay.apiRead.transactions.sync(user, { cursor, count }); ;) {
    pages.push(page);
    if (!page.has_more) break;
    page = await harness.relay.apiRead.transactions.sync(user, { cursor: page.next_cursor, count });
  }
  const all = <K extends 'added' | 'modified' | 'removed'>(key: K) => pages.flatMap((page) => page[key]);
  return { added: all('added'), modified: all('modified'), removed: all('removed'), cursor: pages.at(-1)!.next_cursor };
}

const guids = (transactions: { guid: string }[]) => transactions.map((t) => t.guid).sort();
/** A member of `user` at the simulator holding `transactions`, each of its aggregations scripted by `aggregation`. */
const simMember = async (user: string, transactions: number, aggregation: Record<string, unknown>) =>
  (await control('/_sim/members', { user_id: user, transactions, aggregation })).member.guid as string;

async function aggregate(user: string, member: string, durationMs = 1000) {
  await harness.relay.apiRead.nexus.aggregateMember(user, member);
  clock.advance(durationMs);
}

describe('transactions sync', () => {
  it('hands out every transaction once from the start, then exactly what aggregations added and updated, then nothing', async () => {
    const user = 'sync-user-1';
    const script = (add: number, update: number) => ({
      duration_ms: 1000,
      final_status: 'CONNECTED',
      transactions: { add, update },
    });
    // Each member holds transactions of its own (10 and 4) before its runs add 12 and 9.
    const a = (await control('/_sim/members', { user_id: user, transactions: 10, aggregation: script(12, 0) })).member.guid;
    const b = (await control('/_sim/members', { user_id: user, transactions: 4, aggregation: script(9, 0) })).member.guid;
    await aggregate(user, a);
    await aggregate(user, b);

    const first = await syncAll(user, undefined);
    expect(guids(first.added)).toEqual(guids(await simTransactions(user)));
    expect(first.added).toHaveLength(14 + 21);
    expect(first.modified).toEqual([]);

    // Both members aggregate again: a adds 2 and updates 3, b adds 1 and updates 1.
    await control('/_sim/members', { user_id: user, member_guid: a, aggregation: script(2, 3) });
    await control('/_sim/members', { user_id: user, member_guid: b, aggregation: script(1, 1) });
    const before = new Map((await simTransactions(user)).map((t) => [t.guid, t.updated_at]));
    await harness.relay.apiRead.nexus.aggregateMember(user, a);
    await harness.relay.apiRead.nexus.aggregateMember(user, b);
    clock.advance(INGEST_REUSE_MS);
    const after = await simTransactions(user);
    const added = after.filter((t) => !before.has(t.guid));
    const updated = after.filter((t) => before.has(t.guid) && before.get(t.guid) !== t.updated_at);
    expect([added.length, updated.length]).toEqual([3, 4]);

    const second = await syncAll(user, first.cursor, 2);
    expect(guids(second.added)).toEqual(guids(added));
    expect(guids(second.modified)).toEqual(guids(updated));
    for (const modified of second.modified as MxTransaction[]) {
      expect(modified.updated_at).toBe(after.find((t) => t.guid === modified.guid)!.updated_at);
    }

    clock.advance(INGEST_REUSE_MS);
    const third = await syncAll(user, second.cursor);
    expect([third.added, third.modified, third.removed]).toEqual([[], [], []]);

    // A new client, from the start: every transaction once, in its latest version.
    const fresh = await syncAll(user, undefined, 4);
    expect(guids(fresh.added)).toEqual(guids(after));
    expect(fresh.modified).toEqual([]);
  });

  it('a first sync of more transactions than one write slice holds hands each out once, then each update once', async () => {
    const user = 'sync-user-large';
    const member = await simMember(user, 1000, { duration_ms: 1000, transactions: { add: 0, update: 600 } });
    const first = await syncAll(user, undefined, 500);
    expect(first.added).toHaveLength(1000);
    expect(guids(first.added)).toEqual(guids(await simTransactions(user)));

    await aggregate(user, member);
    clock.advance(INGEST_REUSE_MS);
    const next = await syncAll(user, first.cursor, 500);
    expect(next.added).toEqual([]);
    expect(next.modified).toHaveLength(600);
    expect(new Set(next.modified.map((t) => t.guid)).size).toBe(600);
    expect(await syncAll(user, next.cursor, 500)).toMatchObject({ added: [], modified: [], removed: [] });
  });

  it('a transaction changed twice between two syncs comes once, in its latest version; a day read again changes nothing', async () => {
    const user = 'sync-user-2';
    const member = await simMember(user, 3, { duration_ms: 500, transactions: { add: 5, update: 0 } });
    await aggregate(user, member, 500);
    const first = await syncAll(user, undefined);
    expect(first.added).toHaveLength(3 + 5);

    await control('/_sim/members', {
      user_id: user,
      member_guid: member,
      aggregation: { duration_ms: 500, transactions: { add: 0, update: 1 } },
    });
    await aggregate(user, member, 500);
    clock.advance(60_000);
    await aggregate(user, member, 500); // the same transaction (the newest) updated again
    const latest = (await simTransactions(user)).sort((x, y) => y.updated_at.localeCompare(x.updated_at))[0]!;

    clock.advance(INGEST_REUSE_MS);
    const second = await syncAll(user, first.cursor);
    expect(second.added).toEqual([]);
    expect(second.modified.map((t: MxTransaction) => [t.guid, t.updated_at])).toEqual([[latest.guid, latest.updated_at]]);

    // The same MX day is read again (the boundary day): nothing new.
    clock.advance(INGEST_REUSE_MS);
    const third = await syncAll(user, second.cursor);
    expect(third.modified).toEqual([]);
  });

  it('forgets an inactive user’s copies: a cursor from before is expired, a sync from the start has each transaction once', async () => {
    const user = 'sync-user-forgotten';
    const sync = harness.relay.apiRead.transactions;
    await control('/_sim/members', { user_id: user, transactions: 30, aggregation: { duration_ms: 100 } });
    const first = await syncAll(user, undefined);
    expect(first.added).toHaveLength(30);

    // Forgotten, and its deletion stopped part-way (the user came back between two batches).
    const holder = 'test-holder';
    expect(await harness.states.claimIngest(user, holder, clock.now(), 60_000, {})).toBeDefined();
    const resetSeq = (await harness.states.forget(user, holder, clock.now()))!;
    await harness.states.release(user, holder);
    expect(await harness.repository.collect(user, resetSeq, 7)).toBe(false);
    // The relay's own upkeep leaves a forgotten user alone until its app syncs.
    expect(await sync.ingestAfterAggregation(user)).toBeUndefined();

    clock.advance(INGEST_REUSE_MS);
    await expect(sync.sync(user, { cursor: first.cursor, count: 10 })).rejects.toBeInstanceOf(SyncCursorExpiredError);
    const fresh = await syncAll(user, undefined);
    expect(fresh.added.map((t) => t.guid).sort()).toEqual(guids(await simTransactions(user)));
    expect([fresh.modified, fresh.removed]).toEqual([[], []]);
    expect((await harness.states.state(user))?.forgotten).toBeUndefined();

    // The rest of the forgotten past goes; what the sync wrote since stays, and a new client gets the same.
    while (!(await harness.repository.collect(user, resetSeq, 7)));
    expect(await harness.repository.allPointers(user)).toHaveLength(30);
    clock.advance(INGEST_REUSE_MS);
    const again = await syncAll(user, undefined);
    expect(again.added.map((t) => t.guid).sort()).toEqual(guids(await simTransactions(user)));
    clock.advance(INGEST_REUSE_MS);
    expect((await syncAll(user, fresh.cursor)).added).toEqual([]);
    // Through the service: nothing held for a user who never synced.
    expect(await harness.forgetting.forget('sync-user-never')).toEqual({ done: true });
  });

  it('a forgetting’s later batches only delete: a user back and synced meanwhile is not forgotten again', async () => {
    const user = 'sync-user-back';
    await control('/_sim/members', { user_id: user, transactions: 12, aggregation: { duration_ms: 100 } });
    await syncAll(user, undefined);
    const holder = 'test-holder';
    await harness.states.claimIngest(user, holder, clock.now(), 60_000, {});
    const resetSeq = (await harness.states.forget(user, holder, clock.now()))!;
    await harness.states.release(user, holder);
    expect(await harness.repository.collect(user, resetSeq, 5)).toBe(false);

    // The app syncs from the start before the next batch (its note that the user is served may have failed).
    clock.advance(INGEST_REUSE_MS);
    const fresh = await syncAll(user, undefined);
    expect(fresh.added).toHaveLength(12);
    for (let batch = 0; !(await harness.forgetting.forget(user, resetSeq)).done; batch++) expect(batch).toBeLessThan(10);
    expect((await harness.states.state(user))?.resetSeq).toBe(resetSeq);
    clock.advance(INGEST_REUSE_MS);
    expect(await syncAll(user, fresh.cursor)).toMatchObject({ added: [], modified: [], removed: [] });
    expect(await harness.repository.allPointers(user)).toHaveLength(12);
  });

  it('refuses a modified cursor and another user’s cursor, and says when a cursor has expired', async () => {
    const user = 'sync-user-3';
    await control('/_sim/members', { user_id: user, aggregation: { duration_ms: 100 } });
    await control('/_sim/members', { user_id: 'sync-user-4', aggregation: { duration_ms: 100 } });
    const { cursor } = await syncAll(user, undefined);
    const tampered = `${cursor.slice(0, 3)}${cursor[3] === 'A' ? 'B' : 'A'}${cursor.slice(4)}`;
    await expect(harness.relay.apiRead.transactions.sync(user, { cursor: tampered, count: 10 })).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
    await expect(harness.relay.apiRead.transactions.sync('sync-user-4', { cursor, count: 10 })).rejects.toMatchObject({
      name: 'InvalidCursorError',
      field: 'cursor',
    });
    await expect(harness.relay.apiRead.transactions.sync(user, { cursor: 'not-a-cursor', count: 10 })).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
    clock.advance(31 * 24 * 3600_000);
    await expect(harness.relay.apiRead.transactions.sync(user, { cursor, count: 10 })).rejects.toBeInstanceOf(
      SyncCursorExpiredError,
    );
  });
});
