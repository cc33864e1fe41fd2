import { noMetrics } from '../../../lib/metrics.ts';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { silentLog } from '../../../lib/logger.ts';
import type { NexusClient } from '../../../lib/mx/nexus-client.ts';
import { REMOVED_RETENTION_MS, TransactionsRepository } from '../../../lib/transactions/transactions-repo.ts';
import { SyncStateRepository } from '../../../lib/transactions/sync-state-repo.ts';
import { SyncCursorCodec } from '../../../lib/transactions/sync-cursor.ts';
import { INGEST_REUSE_MS, TransactionSync } from '../../../lib/transactions/transaction-sync.ts';
import type { MxTransaction } from '../../../lib/transactions/changes-found.ts';
import { useLocalEngines } from '../../support/local-table.ts';

/**
 * MX pages its lists by offset: a transaction inserted between two page reads pushes a row onto the next page, which
 * lists it again, and pages may come in any order of their rows. Whatever MX's pages repeat or reorder, the change
 * log holds each transaction once, as its last copy: a sync from scratch hands out each guid once, and after a change
 * only its current version, never the stale one beside it.
 */
const local = useLocalEngines();
let run = 0;

/** An MX list: unique transactions, then pages cut from it with rows repeated (the later copy may be newer) and shuffled. */
const listing = fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 25 }).chain((ids) =>
  fc.record({
    ids: fc.constant(ids),
    repeats: fc.array(fc.record({ index: fc.nat({ max: ids.length - 1 }), newer: fc.boolean() }), { maxLength: 8 }),
    order: fc.shuffledSubarray(ids, { minLength: ids.length, maxLength: ids.length }),
    pageSize: fc.integer({ min: 1, max: 7 }),
    changed: fc.nat({ max: ids.length - 1 }),
  }),
);

type Listing = { ids: number[]; repeats: { index: number; newer: boolean }[]; order: number[]; pageSize: number };

const transaction = (id: number, version: number): MxTransaction => ({
  guid: `TRN-${id}`,
  member_guid: 'MBR-repeat',
  amount: id,
  updated_at: `2026-11-0${version}T00:00:00Z`,
});

/** The rows MX serves, page by page: the list in `order`, with each repeat appended later (its copy newer or the same). */
function rowsOf({ order, repeats, ids }: Listing, versions: Map<number, number>): MxTransaction[] {
  const rows = order.map((id) => transaction(id, versions.get(id)!));
  for (const { index, newer } of repeats) {
    const id = ids[index]!;
    if (newer) versions.set(id, versions.get(id)! + 1);
    rows.push(transaction(id, versions.get(id)!));
  }
  return rows;
}

function fakeNexus(pages: () => MxTransaction[][]): Pick<NexusClient, 'request'> {
  return {
    request: (async (_userId: string, request: { query?: { page?: number } }) => {
      const served = pages();
      const page = served[(request.query?.page ?? 1) - 1] ?? [];
      return {
        status: 200,
        body: { transactions: page, pagination: { current_page: request.query?.page ?? 1, total_pages: served.length } },
      };
    }) as unknown as NexusClient['request'],
  };
}

const paged = (rows: MxTransaction[], size: number): MxTransaction[][] => {
  const pages: MxTransaction[][] = [];
  for (let at = 0; at < rows.length; at += size) pages.push(rows.slice(at, at + size));
  return pages;
};

it('hands out each transaction once, as its last copy, whatever MX pages repeat or reorder', { timeout: 120_000 }, async () => {
  await fc.assert(
    fc.asyncProperty(listing, async (list) => {
      const user = `repeat-user-${++run}`;
      const clock = new ManualClock(Date.UTC(2026, 10, 5, 9));
      const versions = new Map(list.ids.map((id) => [id, 1]));
      let rows = rowsOf(list, versions);
      const sync = new TransactionSync({
        metrics: noMetrics,
        repository: new TransactionsRepository(local.table),
        states: new SyncStateRepository(local.table),
        nexus: fakeNexus(() => paged(rows, list.pageSize)),
        cursors: async () => new SyncCursorCodec(Buffer.alloc(32, 7), REMOVED_RETENTION_MS),
        clock,
        log: silentLog,
        histories: { historyCompleteOfUser: async () => false },
      });
      const expected = () => new Map([...versions].map(([id, version]) => [`TRN-${id}`, transaction(id, version)]));
      const fromScratch = async () => {
        const page = await sync.sync(user, { count: 500 });
        expect(page.has_more).toBe(false);
        return page;
      };

      const first = await fromScratch();
      expect(first.added.map((t) => t.guid).sort()).toEqual([...expected().keys()].sort());
      for (const added of first.added) expect(added).toEqual(expected().get(added.guid));

      // One transaction changes at MX; the next read repeats rows again.
      const changedId = list.ids[list.changed]!;
      versions.set(changedId, versions.get(changedId)! + 1);
      rows = rowsOf({ ...list, repeats: list.repeats }, versions);
      clock.advance(INGEST_REUSE_MS + 1);
      const again = await fromScratch();
      const handedOut = [...again.added, ...again.modified];
      expect(handedOut.map((t) => t.guid).sort()).toEqual([...expected().keys()].sort());
      for (const current of handedOut) expect(current).toEqual(expected().get(current.guid));
    }),
    { numRuns: 40 },
  );
});
