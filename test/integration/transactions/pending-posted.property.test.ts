import fc from 'fast-check';
import { expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { silentLog } from '../../../lib/logger.ts';
import { noMetrics } from '../../../lib/metrics.ts';
import type { NexusClient } from '../../../lib/mx/nexus-client.ts';
import { SyncCursorCodec } from '../../../lib/transactions/sync-cursor.ts';
import { INGEST_REUSE_MS, TransactionSync } from '../../../lib/transactions/transaction-sync.ts';
import type { MxTransaction } from '../../../lib/transactions/changes-found.ts';
import { REMOVED_RETENTION_MS, TransactionsRepository } from '../../../lib/transactions/transactions-repo.ts';
import { RECONCILE_AFTER_MS } from '../../../lib/transactions/ingest.ts';
import { SyncStateRepository } from '../../../lib/transactions/sync-state-repo.ts';
import { useLocalEngines } from '../../support/local-table.ts';

/**
 * MX as its transactions overview describes it: a pending transaction usually posts by being deleted and re-created
 * POSTED under a new guid, sometimes in place; anything may be deleted; and its lists page by offset, so a change
 * between two page reads skips or repeats a row. Over any sequence of such changes, aggregations (the relay's window
 * read), plain syncs, and changes landing between the page reads of an ingest: no sync reports a transaction removed
 * that MX still has; `pending_transaction_guid` names the pending transaction the posted one replaced — or one as
 * like it when that one was never shown to the relay; and once an aggregation ends with MX quiet, the next sync
 * leaves the client holding MX's list exactly.
 */
const local = useLocalEngines();
let run = 0;
/** Across the runs: what the property saw happen, so that it cannot pass with nothing removed or linked. */
const seen = { removed: 0, linked: 0, leftForLater: 0 };

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

type Mutation =
  | { kind: 'add'; account: number; amount: number; description: number }
  | { kind: 'post'; pick: number }
  | { kind: 'post_in_place'; pick: number }
  | { kind: 'update'; pick: number }
  | { kind: 'delete'; pick: number };

type Step =
  | { kind: 'mx'; change: Mutation }
  | { kind: 'aggregate'; during: Mutation[] }
  | { kind: 'sync'; pageSize: number; during: Mutation[] }
  | { kind: 'advance'; hours: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('add' as const),
      account: fc.nat(1),
      amount: fc.nat(1),
      description: fc.constant(0),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('post' as const), pick: fc.nat(20) }) },
  fc.record({ kind: fc.constant('post_in_place' as const), pick: fc.nat(20) }),
  fc.record({ kind: fc.constant('update' as const), pick: fc.nat(20) }),
  fc.record({ kind: fc.constant('delete' as const), pick: fc.nat(20) }),
);
const during = fc.array(mutation, { maxLength: 5 });
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('mx' as const), change: mutation }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('aggregate' as const), during }) },
  fc.record({ kind: fc.constant('sync' as const), pageSize: fc.integer({ min: 1, max: 5 }), during }),
  fc.record({ kind: fc.constant('advance' as const), hours: fc.integer({ min: 1, max: 12 }) }),
);

/** MX's side: the user's transactions, its lists paged by offset (newest date first), changes applied on demand. */
class ModelMx {
  readonly rows = new Map<string, MxTransaction>();
  /** The pending transaction each posted one replaced (the truth the relay's links are held to). */
  readonly postedFrom = new Map<string, string>();
  /** Changes to apply one per page read, from the second page on (an aggregation writing during an ingest). */
  duringReads: Mutation[] = [];
  #next = 0;

  constructor(
    private readonly clock: ManualClock,
    private readonly pageSize: number,
  ) {}

  apply(change: Mutation): void {
    // Time passes between any two changes, as it does at MX: no two are made at once.
    this.clock.advance(1);
    const now = this.clock.now();
    const stamp = new Date(now).toISOString();
    const pending = [...this.rows.values()].filter((row) => row.status === 'PENDING');
    const any = [...this.rows.values()];
    if (change.kind === 'add') {
      const guid = `TRN-${++this.#next}`;
      this.rows.set(guid, {
        guid,
        member_guid: 'MBR-1',
        account_guid: `ACT-${change.account}`,
        type: 'DEBIT',
        amount: [4.5, 12, 30][change.amount],
        description: ['Blue Bottle', 'Fuel Stop'][change.description],
        status: 'PENDING',
        date: day(now),
        created_at: stamp,
        updated_at: stamp,
      });
    } else if (change.kind === 'post' || change.kind === 'post_in_place') {
      const row = pending[change.pick % Math.max(pending.length, 1)];
      if (!row) return;
      if (change.kind === 'post_in_place') {
        this.rows.set(row.guid, { ...row, status: 'POSTED', updated_at: stamp });
        return;
      }
      this.rows.delete(row.guid);
      const guid = `TRN-${++this.#next}`;
      this.rows.set(guid, { ...row, guid, status: 'POSTED', created_at: stamp, updated_at: stamp });
      this.postedFrom.set(guid, row.guid);
    } else {
      const row = any[change.pick % Math.max(any.length, 1)];
      if (!row) return;
      if (change.kind === 'delete') this.rows.delete(row.guid);
      else this.rows.set(row.guid, { ...row, memo: `memo ${stamp}`, updated_at: stamp });
    }
  }

  /** A transaction made `daysAgo` days ago, pending or posted, as MX's history holds it. */
  seed(index: number, daysAgo: number): void {
    this.apply({ kind: 'add', account: index % 2, amount: index % 2, description: 0 });
    const at = new Date(this.clock.now() - daysAgo * 24 * 3600_000).toISOString();
    const guid = `TRN-${this.#next}`;
    const row = this.rows.get(guid)!;
    this.rows.set(guid, {
      ...row,
      date: at.slice(0, 10),
      created_at: at,
      updated_at: at,
      status: index % 3 === 2 ? 'POSTED' : 'PENDING',
    });
  }

  /** One page of a list, as Nexus answers it; a change queued for the reads lands before each page after the first. */
  page(route: string, params: Record<string, string>, query: Record<string, unknown>): unknown {
    const page = Number(query.page ?? 1);
    if (page > 1) {
      const change = this.duringReads.shift();
      if (change) this.apply(change);
    }
    const inRange = (value: string, from?: string, to?: string) => (!from || value >= from) && (!to || value <= to);
    const selected = [...this.rows.values()].filter((row) =>
      route === '/transactions'
        ? inRange(String(row.date), query.from_date as string | undefined, query.to_date as string | undefined)
        : inRange(String(row.updated_at).slice(0, 10), params.start_date, params.end_date),
    );
    selected.sort((a, b) => String(b.date).localeCompare(String(a.date)) || a.guid.localeCompare(b.guid));
    const totalPages = Math.max(1, Math.ceil(selected.length / this.pageSize));
    return {
      transactions: selected.slice((page - 1) * this.pageSize, page * this.pageSize),
      pagination: { current_page: page, total_pages: totalPages, total_entries: selected.length },
    };
  }
}

function nexusOf(mx: ModelMx): Pick<NexusClient, 'request'> {
  return {
    request: (async (
      _userId: string,
      call: { route: string; params?: Record<string, string>; query?: Record<string, unknown> },
    ) => ({
      status: 200,
      body: mx.page(call.route, call.params ?? {}, call.query ?? {}),
    })) as unknown as NexusClient['request'],
  };
}

it(
  'removes what MX deleted, never what it has, and links a posted transaction only to its own pending one',
  { timeout: 240_000 },
  async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 3, maxLength: 16 }),
        fc.integer({ min: 2, max: 6 }),
        async (steps, pageSize) => {
          const user = `pending-user-${++run}`;
          const clock = new ManualClock(Date.UTC(2026, 10, 20, 12));
          const mx = new ModelMx(clock, pageSize);
          // Some days old (the window read lists them; a read of what changed since yesterday does not), some pending.
          for (let i = 0; i < 6; i++) mx.seed(i, 6 - i);
          const sync = new TransactionSync({
            repository: new TransactionsRepository(local.table),
            states: new SyncStateRepository(local.table),
            nexus: nexusOf(mx),
            cursors: async () => new SyncCursorCodec(Buffer.alloc(32, 9), REMOVED_RETENTION_MS),
            clock,
            log: silentLog,
            metrics: noMetrics,
            histories: { historyCompleteOfUser: async () => false },
            sleep: async () => undefined,
          });

          const copy = new Map<string, MxTransaction>();
          const receivedPending = new Set<string>();
          let cursor: string | undefined;
          const syncAll = async (count: number) => {
            for (;;) {
              clock.advance(INGEST_REUSE_MS + 1);
              const page = await sync.sync(user, { cursor, count });
              for (const { guid } of page.removed) {
                expect(mx.rows.has(guid), `${guid} reported removed while MX still has it`).toBe(false);
                copy.delete(guid);
                seen.removed += 1;
              }
              for (const transaction of [...page.added, ...page.modified]) {
                const pending = transaction.pending_transaction_guid;
                if (transaction.status === 'PENDING') receivedPending.add(transaction.guid);
                if (pending !== undefined) {
                  // Its own pending transaction, or one the relay never saw: then MX showed nothing to tell them apart.
                  const origin = mx.postedFrom.get(transaction.guid) ?? transaction.guid;
                  if (origin !== pending)
                    expect(receivedPending.has(origin), `${transaction.guid} linked to ${pending}, not ${origin}`).toBe(false);
                  seen.linked += 1;
                }
                copy.set(transaction.guid, transaction);
              }
              cursor = page.next_cursor;
              if (!page.has_more) return;
            }
          };

          await syncAll(100);
          for (const s of steps) {
            if (s.kind === 'mx') mx.apply(s.change);
            else if (s.kind === 'advance') clock.advance(s.hours * 3600_000);
            else {
              mx.duringReads = [...s.during];
              if (s.kind === 'aggregate') await sync.ingestAfterAggregation(user);
              await syncAll(s.kind === 'sync' ? s.pageSize : 100);
              // What did not land between page reads lands now, as MX goes on changing.
              for (const change of mx.duringReads.splice(0)) mx.apply(change);
            }
          }

          // An aggregation ends with MX quiet: one sync leaves the client with MX's list — but for a transaction MX
          // deleted that the client last had posted (the window follows pending ones; the whole read, weekly, finds
          // those), and one deleted on a day MX lists in more than one page, which no read of one page shows gone.
          const strip = ({ pending_transaction_guid: _, ...rest }: MxTransaction) => rest;
          const onDay = (date: unknown) => [...mx.rows.values()].filter((row) => row.date === date).length;
          const holdsMx = (allowed: (transaction: MxTransaction) => boolean) => {
            for (const [guid, transaction] of copy) {
              if (mx.rows.has(guid) || allowed(transaction)) continue;
              expect(onDay(transaction.date), `${guid} left although MX lists its day in one page`).toBeGreaterThan(pageSize);
              seen.leftForLater += 1;
            }
            for (const [guid, row] of mx.rows) expect(copy.has(guid) ? strip(copy.get(guid)!) : undefined).toEqual(row);
          };
          await sync.ingestAfterAggregation(user);
          await syncAll(100);
          holdsMx((transaction) => transaction.status !== 'PENDING');
          // A week on, the whole list is read again: only the days of several pages may still wait.
          clock.advance(RECONCILE_AFTER_MS);
          await syncAll(100);
          holdsMx(() => false);
        },
      ),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 150), seed: Number(process.env.PROPERTY_SEED ?? 20261126) },
    );
    expect(seen.removed).toBeGreaterThan(20);
    expect(seen.linked).toBeGreaterThan(10);
  },
);
