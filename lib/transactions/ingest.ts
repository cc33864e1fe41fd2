import * as z from '../zod.ts';
import type { Log } from '../logger.ts';
import type { TransactionsMetrics } from './transactions-metrics.ts';
import type { NexusClient } from '../mx/nexus-client.ts';
import {
  changesFound,
  countsByMember,
  type FoundChange,
  lastCopyByGuid,
  linkPosted,
  missingFrom,
  type MxTransaction,
  withLinks,
} from './changes-found.ts';
import type { HeldLease } from './ingest-lease.ts';
import { dayOf as dayOfTransaction, pendingWindow } from './pending-match.ts';
import type { SyncState, SyncStateRepository } from './sync-state-repo.ts';
import type { TransactionPointer, TransactionsRepository } from './transactions-repo.ts';

/** Nexus's maximum. */
const MX_PAGE_SIZE = 1000;
/** MX's whole list is read again this often, to find transactions it no longer returns. */
export const RECONCILE_AFTER_MS = 7 * 24 * 3600_000;
const DAY_MS = 24 * 3600_000;
/** Narrow reads confirm rows missing from at most this many days per ingest. */
const MAX_CONFIRM_DAYS = 10;
/** Past MX's default 120 days and its extended history. */
const FULL_LIST_DAYS = 3653;

const transactionsPage = z.looseObject({
  transactions: z.array(z.looseObject({ guid: z.string().check(z.minLength(1)) })),
  pagination: z.optional(z.looseObject({ current_page: z.int(), total_pages: z.int() })),
});

export const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

export interface IngestDeps {
  repository: TransactionsRepository;
  states: Pick<SyncStateRepository, 'allocate' | 'commit'>;
  nexus: Pick<NexusClient, 'request'>;
  clock: { now(): number };
  log: Log;
  metrics: TransactionsMetrics;
}

/**
 * One ingest, under the user's lease: MX's `updated_between` from the day before the last ingest's through tomorrow
 * (whatever time zone MX counts days in); every real change is written at a new sequence number.
 */
export class Ingest {
  constructor(private readonly deps: IngestDeps) {}

  async run(userId: string, lease: HeldLease, windowWanted: boolean) {
    const { state, now } = lease;
    const full = state.watermarkDay === undefined || now - (state.fullListedAt ?? 0) >= RECONCILE_AFTER_MS;
    // A full list shows the window too. Pending ones held inside it are what MX deletes as they post (from a day after
    // its first, whose time zone may differ).
    const window = windowWanted && !full ? pendingWindow(now) : undefined;
    const pendingHeld = window
      ? await this.deps.repository.pendingInWindow(userId, dayOf(Date.parse(window.from) + DAY_MS), window.to)
      : [];
    const reads = [await this.#changedSince(userId, state, now, full)];
    // Their posted versions are listed from the oldest one's date to MX's look-ahead.
    const oldest = pendingHeld.map(({ day }) => day).sort()[0];
    if (oldest) reads.push(await this.#list(userId, '/transactions', {}, { from_date: oldest, to_date: window!.to }));
    const listed = lastCopyByGuid(reads.flatMap((read) => read.rows));
    const { known, expected } = await this.#held(userId, state, listed, pendingHeld, full);
    const confirmed = await this.#confirmMissing(userId, listed, expected, pendingHeld, reads);

    // A posted transaction made before this is not the replacement of a pending one that read still showed.
    const seenAt = this.deps.clock.now();
    const unlinked = changesFound(confirmed.listed, known, confirmed.missing, pendingWindow(now));
    const links = linkPosted(unlinked, confirmed.listed, known, expected, state);
    const found = withLinks(unlinked, links, known, confirmed.listed);
    const committed = await this.#append(userId, state, found, now);
    await this.deps.repository.markLinked(userId, links.earlier);
    const stored = await this.deps.states.commit(userId, lease.holder, {
      committed,
      // A transaction MX changes during or after the read is on that day or later.
      watermarkDay: dayOf(now),
      ingestedAt: now,
      ...(full ? { fullListedAt: now } : {}),
      ...(full || window ? { windowReadAt: now, windowSeenAt: seenAt } : {}),
    });
    const kind = full ? 'full' : window ? 'window' : 'incremental';
    if (!stored) this.deps.log.warn('transactions sync: the ingest lease ran out before it committed', { user_id: userId });
    this.deps.metrics.add('TransactionChangesIngested', found.length, { kind });
    this.deps.metrics.add('PendingTransactionsLinked', links.posted.size, {});
    this.deps.log.debug('transactions sync ingest', { user_id: userId, kind, changed: found.length, linked: links.posted.size });
    return { committed: stored ? committed : state.committed, counts: countsByMember(found) };
  }

  /** Writes `gone`'s pointers `removed`; where MX is read from stays. */
  async remove(userId: string, lease: HeldLease, gone: readonly TransactionPointer[]): Promise<number> {
    const { state, now } = lease;
    const found = changesFound([], new Map(), gone, pendingWindow(now));
    const committed = await this.#append(userId, state, found, now);
    await this.deps.states.commit(userId, lease.holder, {
      committed,
      watermarkDay: state.watermarkDay ?? dayOf(now),
      ingestedAt: state.ingestedAt ?? 0,
    });
    this.deps.metrics.add('TransactionChangesIngested', found.length, { kind: 'webhook' });
    return found.length;
  }

  /**
   * Which of `missing` MX no longer has: only a day MX answers in one page shows for sure (a moved date is an update, which
   * the ingest's own read lists). A day of several pages waits for a later read; rows shown are taken in as listed.
   */
  async confirmGone(
    userId: string,
    missing: readonly { guid: string; day?: string }[],
  ): Promise<{ gone: Set<string>; present: MxTransaction[] }> {
    const present: MxTransaction[] = [];
    const gone = new Set<string>();
    const days = [...new Set(missing.flatMap(({ day }) => day ?? []))].sort().slice(0, MAX_CONFIRM_DAYS);
    for (const day of days) {
      const dated = await this.#list(userId, '/transactions', {}, { from_date: day, to_date: day });
      present.push(...dated.rows);
      if (dated.pages > 1) continue;
      const shown = new Set(dated.rows.map(({ guid }) => guid));
      for (const pointer of missing) if (pointer.day === day && !shown.has(pointer.guid)) gone.add(pointer.guid);
    }
    return { gone, present };
  }

  async daysOf(
    userId: string,
    pointers: readonly TransactionPointer[],
    known: ReadonlyMap<string, string>,
  ): Promise<{ guid: string; day?: string }[]> {
    const unknown = pointers.filter(({ guid }) => !known.has(guid)).map(({ seq }) => seq);
    const bodies = new Map(
      (await this.deps.repository.entries(userId, unknown)).flatMap(({ guid, body }) =>
        body === undefined ? [] : [[guid, dayOfTransaction(JSON.parse(body) as MxTransaction)] as const],
      ),
    );
    return pointers.map(({ guid }) => {
      const day = known.get(guid) ?? bodies.get(guid);
      return day === undefined ? { guid } : { guid, day };
    });
  }

  #changedSince(userId: string, state: SyncState, now: number, full: boolean) {
    return full
      ? this.#list(
          userId,
          '/transactions',
          {},
          { from_date: dayOf(now - FULL_LIST_DAYS * DAY_MS), to_date: dayOf(now + 5 * DAY_MS) },
        )
      : this.#list(userId, '/transactions/updated_between/{start_date}/{end_date}', {
          start_date: dayOf(Date.parse(`${state.watermarkDay}T00:00:00Z`) - DAY_MS),
          end_date: dayOf(now + DAY_MS),
        });
  }

  /** The pointers of what MX listed, and what MX should have listed. */
  async #held(
    userId: string,
    state: SyncState,
    listed: readonly MxTransaction[],
    pendingHeld: readonly { guid: string }[],
    full: boolean,
  ): Promise<{ known: Map<string, TransactionPointer>; expected: TransactionPointer[] }> {
    const { repository } = this.deps;
    if (full) {
      const all = await repository.allPointers(userId, state.resetSeq);
      return { known: new Map(all.map((pointer) => [pointer.guid, pointer])), expected: all };
    }
    const guids = [...new Set([...listed.map((row) => row.guid), ...pendingHeld.map(({ guid }) => guid)])];
    const known = await repository.pointers(userId, guids, state.resetSeq);
    const expected = pendingHeld.flatMap(({ guid }) => known.get(guid) ?? []).filter((pointer) => pointer.pending);
    return { known, expected };
  }

  /** Missing from a list of several pages, a row may have been skipped by offset paging: narrower reads confirm it first. */
  async #confirmMissing(
    userId: string,
    listed: MxTransaction[],
    expected: readonly TransactionPointer[],
    pendingHeld: readonly { guid: string; day: string }[],
    reads: readonly { pages: number }[],
  ): Promise<{ listed: MxTransaction[]; missing: TransactionPointer[] }> {
    const missing = missingFrom(listed, expected);
    if (missing.length === 0 || reads.every((read) => read.pages <= 1)) return { listed, missing };
    const days = new Map(pendingHeld.map(({ guid, day }) => [guid, day]));
    const confirmation = await this.confirmGone(userId, await this.daysOf(userId, missing, days));
    const all = lastCopyByGuid([...listed, ...confirmation.present]);
    const gone = missing.filter(({ guid }) => confirmation.gone.has(guid));
    this.deps.metrics.add('TransactionRemovalsUnconfirmed', missingFrom(all, expected).length - gone.length, {});
    return { listed: all, missing: gone };
  }

  /** Answers what may be committed: everything allocated (an ingest that died after allocating left entries at most). */
  async #append(userId: string, state: SyncState, found: readonly FoundChange[], now: number): Promise<number> {
    if (found.length === 0) return Math.max(state.committed, state.allocated);
    const last = await this.deps.states.allocate(userId, found.length);
    const first = last - found.length + 1;
    const changes = found.map(({ write, firstSeq }, index) => ({
      ...write,
      seq: first + index,
      firstSeq: firstSeq ?? first + index,
    }));
    await this.deps.repository.write(userId, changes, now);
    return last;
  }

  async #list(
    userId: string,
    route: string,
    params: Record<string, string>,
    filters: Record<string, string> = {},
  ): Promise<{ rows: MxTransaction[]; pages: number }> {
    const rows: MxTransaction[] = [];
    for (let page = 1; ; page++) {
      const { body } = await this.deps.nexus.request(userId, {
        method: 'GET',
        route,
        kind: 'read',
        params,
        query: { ...filters, page, records_per_page: MX_PAGE_SIZE },
        schema: transactionsPage,
      });
      rows.push(...(body.transactions as MxTransaction[]));
      const totalPages = body.pagination?.total_pages ?? 1;
      if (page >= totalPages || body.transactions.length === 0) return { rows, pages: Math.max(page, totalPages) };
    }
  }
}
