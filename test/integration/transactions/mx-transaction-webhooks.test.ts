import { describe, expect, it } from 'vitest';
import { useSyncHarness } from './sync-harness.ts';
import { SyncCursorExpiredError } from '../../../lib/transactions/sync-cursor.ts';
import { INGEST_REUSE_MS, type MxTransaction, type SyncPage } from '../../../lib/transactions/transaction-sync.ts';

/**
 * What MX's TRANSACTIONS-deleted and MEMBER-deleted webhooks tell the transactions sync (worker-poll's member reports,
 * over dynalite and the simulator): a deletion is `removed` at the next sync without reading MX, and a deleted member
 * takes its transactions with it.
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

describe("MX's transaction webhooks", () => {
  it('removes a transaction MX deleted and the transactions of a member MX deleted, without reading MX', async () => {
    const user = 'webhook-sync-user';
    const a = (await control('/_sim/members', { user_id: user, transactions: 4 })).member.guid;
    const b = (await control('/_sim/members', { user_id: user, transactions: 3 })).member.guid;
    const first = await syncAll(user, undefined);
    expect(first.added).toHaveLength(7);
    const sync = harness.relay.apiRead.transactions;
    const ofA = (first.added as MxTransaction[]).filter((t) => t.member_guid === a);

    const before = await listCalls();
    expect(await sync.takeWebhook(user, { kind: 'deleted', guid: ofA[0]!.guid })).toBe(true);
    expect(await sync.takeWebhook(user, { kind: 'member_deleted', memberGuid: b })).toBe(true);
    // Again, as MX resends: nothing more.
    expect(await sync.takeWebhook(user, { kind: 'deleted', guid: ofA[0]!.guid })).toBe(true);
    expect(await listCalls()).toBe(before);

    const next = await syncAll(user, first.cursor);
    const ofB = (first.added as MxTransaction[]).filter((t) => t.member_guid === b);
    expect(next.removed.map((t) => t.guid).sort()).toEqual([ofA[0]!.guid, ...ofB.map((t) => t.guid)].sort());
    expect([next.added, next.modified]).toEqual([[], []]);
  });

  it('counts MX’s deletions again from the first sync after the relay forgot the user, even one answered 410', async () => {
    const user = 'webhook-forgotten-user';
    await control('/_sim/members', { user_id: user, transactions: 5 });
    const sync = harness.relay.apiRead.transactions;
    const first = await syncAll(user, undefined);
    // No app asked about the user for a while: the relay forgot its transactions.
    expect((await sync.forget(user)).done).toBe(true);
    expect(await sync.takeWebhook(user, { kind: 'deleted', guid: 'TRN-forgotten' })).toBe(false);

    // Its app comes back with the cursor it kept (expired), and MX deletes a transaction before the app starts over.
    clock.advance(INGEST_REUSE_MS);
    await expect(sync.sync(user, { cursor: first.cursor, count: 50 })).rejects.toBeInstanceOf(SyncCursorExpiredError);
    const gone = (first.added as MxTransaction[])[0]!.guid;
    expect(await sync.takeWebhook(user, { kind: 'deleted', guid: gone })).toBe(true);
    const fresh = await syncAll(user, undefined);
    expect(fresh.added.map((t) => t.guid).sort()).toEqual(
      first.added
        .map((t) => t.guid)
        .filter((guid) => guid !== gone)
        .sort(),
    );
  });

  it('tells a user who does not sync that it does not', async () => {
    expect(await harness.relay.apiRead.transactions.takeWebhook('webhook-never-synced', { kind: 'deleted', guid: 'TRN-1' })).toBe(
      false,
    );
  });
});
