import { randomUUID } from 'node:crypto';
import { NexusRelayError } from '../errors.ts';
import * as z from '../zod.ts';
import type { Clock } from '../clock.ts';
import { digestOf } from '../hash.ts';
import type { Log } from '../logger.ts';
import type { MetricsSink } from '../metrics.ts';
import type { NexusClient } from '../mx/nexus-client.ts';
import { dayOf as dayOfTransaction, factsOf, isPending, linkPending, pendingWindow } from './pending-match.ts';
import type { ChangeWrite, SyncState, TransactionPointer, TransactionsRepository } from './transactions-repo.ts';
import { type SyncCursorCodec, SyncCursorExpiredError } from './sync-cursor.ts';

/** What one ingest wrote to a user's change log. */
export interface IngestCounts {
  added: number;
  modified: number;
  removed: number;
}

/** MX's transaction, as the relay passes it on: MX's fields, whatever they are. */
export type MxTransaction = Record<string, unknown> & { guid: string };

export interface SyncPage {
  added: MxTransaction[];
  modified: MxTransaction[];
  removed: { guid: string }[];
  next_cursor: string;
  has_more: boolean;
  /** Whether every member of the user has had an extended history end: its transactions reach as far back as MX keeps. */
  historical_update_complete: boolean;
}

export interface TransactionSyncDeps {
  repository: TransactionsRepository;
  nexus: Pick<NexusClient, 'request'>;
  /** The cursor codec, made on first use (its key may come from Secrets Manager). */
  cursors: () => Promise<SyncCursorCodec>;
  clock: Clock;
  log: Log;
  metrics: MetricsSink;
  /** Whether every member of the user has had an extended history end (the aggregation slice's member states). */
  histories: { historyCompleteOfUser(userId: string): Promise<boolean> };
  /** Waits between looks at an ingest another call is running (default: real time). */
  sleep?: (ms: number) => Promise<void>;
}

/** MX's lists are read in pages of this many (Nexus's maximum). */
const MX_PAGE_SIZE = 1000;
/** An ingest holds the user's lease this long at most (longer than any function's timeout). */
const INGEST_LEASE_MS = 60_000;
/** Copies of a user's transactions deleted per call of `forget` (one message of worker-poll's). */
const FORGET_BATCH = 2_000;
/** A call this soon after the last ingest started serves what it found (pages of one sync read MX once). */
export const INGEST_REUSE_MS = 2_000;
/** MX's whole list is read again this often, to find transactions it no longer returns (`removed`). */
export const RECONCILE_AFTER_MS = 7 * 24 * 3600_000;
/** How long a call waits for an ingest another call is running before serving what is committed. */
const MAX_WAIT_MS = 3_000;
const DAY_MS = 24 * 3600_000;
/** Narrow reads confirm rows missing from at most this many days per ingest (the rest wait for a later read). */
const MAX_CONFIRM_DAYS = 10;
/** A whole list reaches back this many days (MX lists 120 by default; its extended history reaches 24 months). */
const FULL_LIST_DAYS = 3653;

const transactionsPage = z.looseObject({
  transactions: z.array(z.looseObject({ guid: z.string().check(z.minLength(1)) })),
  pagination: z.optional(z.looseObject({ current_page: z.int(), total_pages: z.int() })),
});

const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/**
 * "What changed since my last call", on top of MX's day-granular lists. Each call first brings the user's change log
 * up to date (an ingest, one per user at a time, under a lease): MX's `updated_between` from the day before the last
 * ingest's day through tomorrow (whole days, in whatever time zone MX counts them), each transaction compared with
 * the version the relay holds, and every real change written at a new sequence number, replacing the transaction's
 * previous entry. Then it hands out the log after the cursor, up to what is committed. A transaction changed twice
 * between two calls has one entry, its latest; a day read twice changes nothing; several members aggregating at
 * once, or an aggregation during a sync, only add entries above the client's cursor. The first ingest reads MX's
 * whole list, and so does one every RECONCILE_AFTER_MS: a transaction MX no longer returns is then `removed`.
 */
export class TransactionSync {
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(private readonly deps: TransactionSyncDeps) {
    this.#sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async sync(userId: string, request: { cursor?: string; count: number }): Promise<SyncPage> {
    const now = this.deps.clock.now();
    const cursors = await this.deps.cursors();
    const position = request.cursor === undefined ? undefined : cursors.decode(userId, request.cursor, now);
    const { committed, resetSeq = 0, made } = await this.#ingestOrWait(userId, 'sync');
    // The relay forgot the user's transactions since (no app asked about it for a while), or deleted its state once
    // they were all gone (a log made since may not have reached the cursor yet): the log starts over.
    if (position && (position.seq < resetSeq || made || position.seq > committed)) {
      throw new SyncCursorExpiredError(position.issuedAt);
    }
    const after = Math.max(position?.seq ?? 0, resetSeq);
    const base = position?.base ?? 0;
    // One more than asked: whether there is more.
    const entries = await this.deps.repository.changes(userId, after, committed, request.count + 1);
    const page = entries.slice(0, request.count);
    const added: MxTransaction[] = [];
    const modified: MxTransaction[] = [];
    const removed: { guid: string }[] = [];
    for (const entry of page) {
      // Added at or below where this pass started: handed out in an earlier pass.
      const seenBefore = entry.firstSeq <= base;
      if (entry.removed) {
        if (seenBefore) removed.push({ guid: entry.guid });
      } else {
        (seenBefore ? modified : added).push(JSON.parse(entry.body!) as MxTransaction);
      }
    }
    const hasMore = entries.length > request.count;
    const reached = hasMore ? page[page.length - 1]!.seq : Math.max(after, committed);
    this.deps.metrics.add('TransactionsSynced', added.length + modified.length + removed.length, {});
    return {
      added,
      modified,
      removed,
      // The next pass starts where this one ends; pages of one pass keep its start.
      next_cursor: cursors.encode(userId, { seq: reached, base: hasMore ? base : reached, issuedAt: now }),
      has_more: hasMore,
      historical_update_complete: await this.deps.histories.historyCompleteOfUser(userId),
    };
  }

  /**
   * After an aggregation of the user ended CONNECTED: brings the change log up to date, reading the window MX may
   * still change (a pending transaction MX deleted as it posted is `removed`), and says what changed. Only for users
   * who sync (a sync state exists): the others' first sync reads MX's whole list anyway. While another call holds
   * the ingest, the window is left due: the next ingest reads it.
   */
  async ingestAfterAggregation(userId: string): Promise<Map<string, IngestCounts> | undefined> {
    const { repository, clock } = this.deps;
    try {
      const { counts, skipped } = await this.#ingestOrWait(userId, 'aggregation');
      if (skipped) return undefined;
      if (!counts) await repository.requestWindow(userId, clock.now());
      return counts;
    } catch (error) {
      await repository.requestWindow(userId, clock.now()).catch(() => undefined);
      throw error;
    }
  }

  /**
   * Forgets the relay's copies of the user's transactions (no app asked about the user for RECONCILE_INACTIVE_DAYS):
   * under the ingest lease the log's sequence numbers move past all of them (`reset_seq`), which every read then ignores
   * and a cursor from before is expired by; then they are deleted, FORGET_BATCH a call. Given `resetSeq` (a later
   * batch), only deletes what that forgetting left, whether or not the user is back. `done` once none is left;
   * otherwise asked again later, with the `resetSeq` answered (absent: another call held the lease).
   */
  async forget(userId: string, resetSeq?: number): Promise<{ done: boolean; resetSeq?: number }> {
    const { repository, metrics } = this.deps;
    if (resetSeq === undefined) {
      const state = await repository.state(userId);
      if (!state) return { done: true };
      // Forgotten already: this message is SQS's retry of one that forgot.
      resetSeq = state.forgotten ? state.resetSeq : await this.#reset(userId);
      if (resetSeq === undefined) return { done: false };
    }
    const done = await repository.collect(userId, resetSeq, FORGET_BATCH);
    // Then the state itself, unless the user's app synced meanwhile: its next sync starts afresh.
    if (done) await repository.dropForgotten(userId);
    metrics.add('TransactionsForgotten', 1, { outcome: done ? 'done' : 'more' });
    return { done, resetSeq };
  }

  /** The forgetting itself, under the ingest lease: answers `reset_seq`, or undefined while another call holds it. */
  async #reset(userId: string): Promise<number | undefined> {
    const { repository, clock, log } = this.deps;
    const holder = randomUUID();
    if (!(await repository.claimIngest(userId, holder, clock.now(), INGEST_LEASE_MS))) return undefined;
    let resetSeq: number | undefined;
    try {
      resetSeq = await repository.forget(userId, holder, clock.now());
    } finally {
      await repository.release(userId, holder);
    }
    if (resetSeq !== undefined) log.info("user's transactions forgotten", { user_id: userId, reset_seq: resetSeq });
    return resetSeq;
  }

  /**
   * Transactions MX's TRANSACTIONS webhooks said were deleted, `removed` from the log of a user who syncs only as far
   * as MX's own lists show them gone: each held one's day read alone (#confirmGone; a forged or mistaken webhook
   * removes nothing). How many were removed; undefined for a user who does not sync.
   */
  async confirmRemovals(userId: string, guids: readonly string[]): Promise<{ removed: number } | undefined> {
    return this.#underLease(userId, async (state) => {
      const held = [...(await this.deps.repository.pointers(userId, [...guids], state.resetSeq)).values()].filter(
        (pointer) => !pointer.removed,
      );
      if (held.length === 0) return [];
      const { gone } = await this.#confirmGone(userId, await this.#daysOf(userId, held, new Map()));
      return held.filter(({ guid }) => gone.has(guid));
    });
  }

  /**
   * Every transaction of a member MX no longer lists (its MEMBER webhook, confirmed by MX's list of the user's members,
   * or the relay's own deletion) `removed` from the log of a user who syncs. False for a user who does not sync.
   */
  async memberGone(userId: string, memberGuid: string): Promise<boolean> {
    const removed = await this.#underLease(userId, async (state) => {
      // A member's transactions are known from the bodies the log holds (a rare read of the whole log).
      const guids = (await this.deps.repository.allChanges(userId, state.resetSeq)).flatMap(({ guid, body }) =>
        body !== undefined && (JSON.parse(body) as MxTransaction).member_guid === memberGuid ? [guid] : [],
      );
      return [...(await this.deps.repository.pointers(userId, guids, state.resetSeq)).values()].filter((p) => !p.removed);
    });
    return removed !== undefined;
  }

  /**
   * Under the user's ingest lease (waiting a little for another holder, then SYNC_BUSY for SQS to retry), the pointers
   * `gone` finds written `removed`. Undefined for a user who does not sync, or was forgotten: its next sync reads MX's
   * whole list, which no longer shows what MX deleted.
   */
  async #underLease(
    userId: string,
    gone: (state: SyncState) => Promise<TransactionPointer[]>,
  ): Promise<{ removed: number } | undefined> {
    const { repository, clock } = this.deps;
    for (let wait = 50, started = clock.now(); ; wait = Math.min(wait * 2, 500)) {
      const state = await repository.state(userId);
      if (!state || state.forgotten) return undefined;
      const holder = randomUUID();
      const now = clock.now();
      const claimed = await repository.claimIngest(userId, holder, now, INGEST_LEASE_MS);
      if (claimed?.forgotten) {
        await repository.release(userId, holder);
        return undefined;
      }
      if (claimed) return { removed: await this.#remove(userId, holder, claimed, now, gone) };
      if (now - started >= MAX_WAIT_MS)
        throw new NexusRelayError('SYNC_BUSY', "Another call holds the user's transactions ingest");
      await this.#sleep(wait);
    }
  }

  async #remove(
    userId: string,
    holder: string,
    state: SyncState,
    now: number,
    gone: (state: SyncState) => Promise<TransactionPointer[]>,
  ): Promise<number> {
    const { repository } = this.deps;
    try {
      const found = changesFound([], new Map(), await gone(state), pendingWindow(now));
      let committed = Math.max(state.committed, state.allocated);
      if (found.length > 0) {
        const last = await repository.allocate(userId, found.length);
        const first = last - found.length + 1;
        await repository.write(
          userId,
          found.map(({ write, firstSeq }, index) => ({ ...write, seq: first + index, firstSeq: firstSeq ?? first + index })),
          now,
        );
        committed = last;
      }
      // Where the next ingest reads from stays as it was.
      await repository.commit(userId, holder, {
        committed,
        watermarkDay: state.watermarkDay ?? dayOf(now),
        ingestedAt: state.ingestedAt ?? 0,
      });
      this.deps.metrics.add('TransactionChangesIngested', found.length, { kind: 'webhook' });
      return found.length;
    } catch (error) {
      await repository.release(userId, holder).catch(() => undefined);
      throw error;
    }
  }

  /**
   * Brings the log up to date and answers what is committed. While another call ingests for the user, waits a little
   * for it; past that, serves what is committed (the other call commits the rest for the next sync). For a sync, a
   * recent ingest is reused and the claim ends a forgetting; after an aggregation, the window is read, and a user
   * with no state or a forgotten one is not (`skipped`: read again only once its app syncs).
   */
  async #ingestOrWait(
    userId: string,
    caller: 'sync' | 'aggregation',
  ): Promise<{ committed: number; counts?: Map<string, IngestCounts>; resetSeq?: number; skipped?: true; made?: true }> {
    const { repository, clock } = this.deps;
    const started = clock.now();
    const resetOf = (state: SyncState | undefined) => (state?.resetSeq === undefined ? {} : { resetSeq: state.resetSeq });
    let made: { made?: true } | undefined;
    for (let wait = 50; ; wait = Math.min(wait * 2, 500)) {
      const state = await repository.state(userId);
      // No state at the first look: this sync makes it (a cursor from before cannot be continued).
      made ??= state === undefined ? { made: true } : {};
      if (caller === 'aggregation' && (!state || state.forgotten)) return { committed: state?.committed ?? 0, skipped: true };
      const now = clock.now();
      if (caller === 'sync' && state?.ingestedAt !== undefined && now - state.ingestedAt < INGEST_REUSE_MS) {
        return { committed: state.committed, ...resetOf(state) };
      }
      const holder = randomUUID();
      const claimed = await repository.claimIngest(userId, holder, now, INGEST_LEASE_MS, { bySync: caller === 'sync' });
      if (claimed?.forgotten) {
        await repository.release(userId, holder);
        return { committed: claimed.committed, skipped: true };
      }
      if (claimed) {
        const window = caller === 'aggregation' || (claimed.windowDueAt ?? 0) > (claimed.windowReadAt ?? 0);
        return { ...(await this.#ingest(userId, holder, claimed, now, window)), ...resetOf(claimed), ...made };
      }
      if (now - started >= MAX_WAIT_MS) return { committed: state?.committed ?? 0, ...resetOf(state) };
      await this.#sleep(wait);
    }
  }

  async #ingest(
    userId: string,
    holder: string,
    state: SyncState,
    now: number,
    windowWanted: boolean,
  ): Promise<{ committed: number; counts: Map<string, IngestCounts> }> {
    const { repository, log } = this.deps;
    try {
      const full = state.watermarkDay === undefined || now - (state.fullListedAt ?? 0) >= RECONCILE_AFTER_MS;
      // A full list shows the window too. The pending transactions the relay holds dated inside it (from a day after
      // its first, whose time zone may differ): what MX deletes as they post.
      const window = windowWanted && !full ? pendingWindow(now) : undefined;
      const pendingHeld = window
        ? await repository.pendingInWindow(userId, dayOf(Date.parse(window.from) + DAY_MS), window.to)
        : [];
      const reads = [
        full
          ? await this.#list(
              userId,
              '/transactions',
              {},
              { from_date: dayOf(now - FULL_LIST_DAYS * DAY_MS), to_date: dayOf(now + 5 * DAY_MS) },
            )
          : await this.#list(userId, '/transactions/updated_between/{start_date}/{end_date}', {
              start_date: dayOf(Date.parse(`${state.watermarkDay}T00:00:00Z`) - DAY_MS),
              end_date: dayOf(now + DAY_MS),
            }),
      ];
      // MX lists by date: the days from the oldest of them to MX's own look-ahead, where their posted versions are too.
      const oldest = pendingHeld.map(({ day }) => day).sort()[0];
      if (oldest) reads.push(await this.#list(userId, '/transactions', {}, { from_date: oldest, to_date: window!.to }));
      let listed = lastCopyByGuid(reads.flatMap((read) => read.rows));

      // What MX should have listed: every pointer (a full list), or those pending transactions.
      const known = full
        ? new Map((await repository.allPointers(userId, state.resetSeq)).map((pointer) => [pointer.guid, pointer]))
        : await repository.pointers(
            userId,
            [...new Set([...listed.map((row) => row.guid), ...pendingHeld.map(({ guid }) => guid)])],
            state.resetSeq,
          );
      const expected = full
        ? [...known.values()]
        : pendingHeld.flatMap(({ guid }) => known.get(guid) ?? []).filter((pointer) => pointer.pending !== undefined);

      // A row missing from a list read in one page is gone; from a list of several, offset paging may have skipped
      // it (a row deleted between two page reads): it is confirmed by narrower reads first.
      let missing = missingFrom(listed, expected);
      if (missing.length > 0 && reads.some((read) => read.pages > 1)) {
        const days = new Map(pendingHeld.map(({ guid, day }) => [guid, day]));
        const confirmation = await this.#confirmGone(userId, await this.#daysOf(userId, missing, days));
        listed = lastCopyByGuid([...listed, ...confirmation.present]);
        missing = missing.filter(({ guid }) => confirmation.gone.has(guid));
        this.deps.metrics.add('TransactionRemovalsUnconfirmed', missingFrom(listed, expected).length - missing.length, {});
      }

      // When MX's window was last seen whole: a posted transaction made before then is not the replacement of a pending
      // one that read still showed.
      const seenAt = this.deps.clock.now();
      const found = changesFound(listed, known, missing, pendingWindow(now));
      const links = linkPosted(found, listed, known, expected, state);
      linkWrites(found, links, known, listed);

      // Up to everything allocated: an ingest that died after allocating left, at most, entries a client may now see.
      let committed = Math.max(state.committed, state.allocated);
      if (found.length > 0) {
        const last = await repository.allocate(userId, found.length);
        const first = last - found.length + 1;
        const changes = found.map(({ write, firstSeq }, index) => ({
          ...write,
          seq: first + index,
          firstSeq: firstSeq ?? first + index,
        }));
        await repository.write(userId, changes, now);
        committed = last;
      }
      await repository.markLinked(userId, links.earlier);
      const stored = await repository.commit(userId, holder, {
        committed,
        // From the day this ingest started: a transaction MX changes during or after the read is on that day or later.
        watermarkDay: dayOf(now),
        ingestedAt: now,
        ...(full ? { fullListedAt: now } : {}),
        ...(full || window ? { windowReadAt: now, windowSeenAt: seenAt } : {}),
      });
      if (!stored) log.warn('transactions sync: the ingest lease ran out before it committed', { user_id: userId });
      this.deps.metrics.add('TransactionChangesIngested', found.length, {
        kind: full ? 'full' : window ? 'window' : 'incremental',
      });
      this.deps.metrics.add('PendingTransactionsLinked', links.posted.size, {});
      log.debug('transactions sync ingest', {
        user_id: userId,
        full,
        window: window !== undefined,
        read: listed.length,
        changed: found.length,
        linked: links.posted.size,
      });
      const counts = countsByMember(found);
      return { committed: stored ? committed : state.committed, counts };
    } catch (error) {
      await repository.release(userId, holder).catch(() => undefined);
      throw error;
    }
  }

  /**
   * Which of `missing` MX no longer has: each day they are dated on (up to MAX_CONFIRM_DAYS) read alone, and a day MX
   * answers in one page shows for sure which are gone — unless MX moved one's date, which an update does, and the
   * ingest's own read of what changed would have listed. A day of several pages is left for a later read. Rows these
   * reads show are taken in as listed.
   */
  async #confirmGone(
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

  /** The day MX dates each of `pointers` on: from the window's items, else from the body the log holds. */
  async #daysOf(
    userId: string,
    pointers: readonly TransactionPointer[],
    known: ReadonlyMap<string, string>,
  ): Promise<{ guid: string; day?: string }[]> {
    const unknown = pointers.filter(({ guid }) => !known.has(guid));
    const bodies = new Map(
      (
        await this.deps.repository.entries(
          userId,
          unknown.map(({ seq }) => seq),
        )
      ).flatMap(({ guid, body }) =>
        body === undefined ? [] : [[guid, dayOfTransaction(JSON.parse(body) as MxTransaction)] as const],
      ),
    );
    return pointers.map(({ guid }) => {
      const day = known.get(guid) ?? bodies.get(guid);
      return day === undefined ? { guid } : { guid, day };
    });
  }

  /** Every page of an MX transaction list, and how many pages MX said it had. */
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

/**
 * Each transaction once, as its last copy: MX pages by offset, so a row inserted between two page reads pushes
 * another onto the next page, which lists it again (read later, so its copy is the newer). The change log holds one
 * entry per transaction; a repeat would be written twice in one batch (which DynamoDB refuses) or handed out twice.
 */
export function lastCopyByGuid(listed: readonly MxTransaction[]): MxTransaction[] {
  const byGuid = new Map<string, MxTransaction>();
  for (const transaction of listed) byGuid.set(transaction.guid, transaction);
  return byGuid.size === listed.length ? [...listed] : [...byGuid.values()];
}

/** A change an ingest found, before it has a sequence number. */
interface FoundChange {
  write: Omit<ChangeWrite, 'seq' | 'firstSeq'>;
  /** The sequence number that added the transaction; undefined for one new to the log. */
  firstSeq?: number;
  /** Its member: MX's `member_guid`, or '' when unknown (a removal of a transaction the relay never saw pending). */
  member: string;
}

/** The expected pointers (not removed) MX did not list. */
function missingFrom(listed: readonly MxTransaction[], expected: readonly TransactionPointer[]): TransactionPointer[] {
  const present = new Set(listed.map(({ guid }) => guid));
  return expected.filter((pointer) => !pointer.removed && !present.has(pointer.guid));
}

/**
 * What MX's lists change against the pointers the relay holds: new and changed transactions (a re-read version is
 * no change), and the transactions MX no longer has (`gone`).
 */
function changesFound(
  listed: readonly MxTransaction[],
  known: ReadonlyMap<string, TransactionPointer>,
  gone: readonly TransactionPointer[],
  window: { from: string; to: string },
): FoundChange[] {
  const found: FoundChange[] = [];
  for (const transaction of listed) {
    const version = digestOf(transaction);
    const pointer = known.get(transaction.guid);
    if (pointer && !pointer.removed && pointer.version === version) continue;
    const pending = isPending(transaction) ? factsOf(transaction) : undefined;
    const pendingGuid = pointer?.removed ? undefined : pointer?.pendingGuid;
    const wasPending =
      !pending && pointer !== undefined && !pointer.removed && (pointer.pending !== undefined || pointer.wasPending === true);
    const inWindow = pending !== undefined && pending.day >= window.from && pending.day <= window.to;
    const enteredWindow = inWindow && (!pointer || pointer.removed || pointer.pending?.day !== pending.day);
    found.push({
      write: {
        guid: transaction.guid,
        version,
        body: bodyWith(transaction, pendingGuid),
        removed: false,
        ...(enteredWindow ? { enteredWindow } : {}),
        ...(pending ? { pending } : {}),
        ...(wasPending ? { wasPending } : {}),
        ...(pendingGuid === undefined ? {} : { pendingGuid }),
        ...(pointer ? { previousSeq: pointer.seq } : {}),
      },
      ...(pointer && !pointer.removed ? { firstSeq: pointer.firstSeq } : {}),
      member: String(transaction.member_guid ?? ''),
    });
  }
  for (const pointer of gone) {
    found.push({
      write: {
        guid: pointer.guid,
        version: 'removed',
        removed: true,
        previousSeq: pointer.seq,
        // Its posted version may only be seen after it is removed.
        ...(pointer.pending ? { pending: pointer.pending } : {}),
      },
      firstSeq: pointer.firstSeq,
      member: pointer.pending?.member ?? '',
    });
  }
  return found;
}

/** MX's body as the log keeps it: with `pending_transaction_guid` once the relay has linked it. */
const bodyWith = (transaction: MxTransaction, pendingGuid: string | undefined): string =>
  JSON.stringify(pendingGuid === undefined ? transaction : { ...transaction, pending_transaction_guid: pendingGuid });

/** Posted transactions linked to the pending ones they replaced (posted guid → pending guid); `earlier`: removed before. */
interface Links {
  posted: Map<string, string>;
  earlier: string[];
}

/**
 * Which posted transactions replace pending ones removed now, or removed since the last ingest and not linked yet
 * (linkPending's rule). A posted candidate is any listed transaction not pending, not linked before, and not seen
 * pending by the relay.
 */
function linkPosted(
  found: readonly FoundChange[],
  listed: readonly MxTransaction[],
  known: ReadonlyMap<string, TransactionPointer>,
  expected: readonly TransactionPointer[],
  state: Pick<SyncState, 'ingestedAt' | 'windowSeenAt'>,
): Links {
  const removedNow = found.flatMap(({ write }) =>
    write.removed && write.pending ? [{ guid: write.guid, ...write.pending }] : [],
  );
  // Removed since the last ingest, outside one (MX's TRANSACTIONS webhook): its posted version may only show now.
  const earlier = expected.flatMap((pointer) =>
    pointer.removed && !pointer.linked && pointer.pending && (pointer.removedAt ?? 0) > (state.ingestedAt ?? 0)
      ? [{ guid: pointer.guid, ...pointer.pending }]
      : [],
  );
  if (removedNow.length + earlier.length === 0) return { posted: new Map(), earlier: [] };
  // MX makes the posted version as it deletes the pending one, which the last read of the window still saw.
  const madeAfter = state.windowSeenAt ?? 0;
  const candidates = listed.flatMap((transaction) => {
    const pointer = known.get(transaction.guid);
    // Not one linked already, nor one the relay saw pending itself (MX posted it in place).
    if (isPending(transaction)) return [];
    if (pointer && !pointer.removed && (pointer.pendingGuid !== undefined || pointer.pending || pointer.wasPending)) return [];
    const facts = factsOf(transaction);
    return facts?.createdMs !== undefined && facts.createdMs > madeAfter ? [{ guid: transaction.guid, ...facts }] : [];
  });
  // Pending transactions MX still lists, or the relay still holds: each could be a posted one's too.
  const removing = new Set(removedNow.map(({ guid }) => guid));
  const stillPending = [
    ...listed.flatMap((transaction) => (isPending(transaction) ? (factsOf(transaction) ?? []) : [])),
    ...expected.flatMap((pointer) =>
      !pointer.removed && !removing.has(pointer.guid) && pointer.pending ? [pointer.pending] : [],
    ),
  ];
  const posted = linkPending([...removedNow, ...earlier], candidates, stillPending);
  const linkedPending = new Set(posted.values());
  return { posted, earlier: earlier.filter(({ guid }) => linkedPending.has(guid)).map(({ guid }) => guid) };
}

/**
 * Puts the links in the changes: a posted transaction changed now gets `pending_transaction_guid` in its entry; one
 * unchanged gets a new entry with it (its body as MX listed it); a pending one removed now is marked linked.
 */
function linkWrites(
  found: FoundChange[],
  links: Links,
  known: ReadonlyMap<string, TransactionPointer>,
  listed: readonly MxTransaction[],
): void {
  if (links.posted.size === 0) return;
  const linkedPending = new Set(links.posted.values());
  for (const change of found) {
    if (change.write.removed && linkedPending.has(change.write.guid)) change.write.linked = true;
  }
  const byGuid = new Map(listed.map((transaction) => [transaction.guid, transaction]));
  for (const [postedGuid, pendingGuid] of links.posted) {
    const transaction = byGuid.get(postedGuid)!;
    const change = found.find(({ write }) => write.guid === postedGuid && !write.removed);
    if (change) {
      change.write.body = bodyWith(transaction, pendingGuid);
      change.write.pendingGuid = pendingGuid;
      continue;
    }
    const pointer = known.get(postedGuid)!;
    found.push({
      write: {
        guid: postedGuid,
        version: pointer.version,
        body: bodyWith(transaction, pendingGuid),
        removed: false,
        pendingGuid,
        previousSeq: pointer.seq,
      },
      firstSeq: pointer.firstSeq,
      member: String(transaction.member_guid ?? ''),
    });
  }
}

/** Added, modified and removed, per member. */
function countsByMember(found: readonly FoundChange[]): Map<string, IngestCounts> {
  const counts = new Map<string, IngestCounts>();
  for (const { write, firstSeq, member } of found) {
    const entry = counts.get(member) ?? { added: 0, modified: 0, removed: 0 };
    if (write.removed) entry.removed += 1;
    else if (firstSeq === undefined) entry.added += 1;
    else entry.modified += 1;
    counts.set(member, entry);
  }
  return counts;
}
