import { randomUUID } from 'node:crypto';
import * as z from '../zod.ts';
import type { Clock } from '../clock.ts';
import { digestOf } from '../hash.ts';
import type { Log } from '../logger.ts';
import type { MetricsSink } from '../metrics.ts';
import type { NexusClient } from '../mx/nexus-client.ts';
import type { ChangeWrite, TransactionPointer, TransactionsRepository } from './transactions-repo.ts';
import type { SyncCursorCodec } from './sync-cursor.ts';

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
}

export interface TransactionSyncDeps {
  repository: TransactionsRepository;
  nexus: Pick<NexusClient, 'request'>;
  /** The cursor codec, made on first use (its key may come from Secrets Manager). */
  cursors: () => Promise<SyncCursorCodec>;
  clock: Clock;
  log: Log;
  metrics: MetricsSink;
  /** Waits between looks at an ingest another call is running (default: real time). */
  sleep?: (ms: number) => Promise<void>;
}

/** MX's lists are read in pages of this many (Nexus's maximum). */
const MX_PAGE_SIZE = 1000;
/** An ingest holds the user's lease this long at most (longer than any function's timeout). */
const INGEST_LEASE_MS = 60_000;
/** A call this soon after the last ingest started serves what it found (pages of one sync read MX once). */
export const INGEST_REUSE_MS = 2_000;
/** MX's whole list is read again this often, to find transactions it no longer returns (`removed`). */
export const RECONCILE_AFTER_MS = 7 * 24 * 3600_000;
/** How long a call waits for an ingest another call is running before serving what is committed. */
const MAX_WAIT_MS = 3_000;
const DAY_MS = 24 * 3600_000;

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
    const { committed } = await this.#ingestOrWait(userId);
    const after = position?.seq ?? 0;
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
    };
  }

  /**
   * After an aggregation of the user ended CONNECTED: brings the change log up to date, and says what changed. Only
   * for users who sync (a sync state exists): the others' first sync reads MX's whole list anyway.
   */
  async ingestAfterAggregation(userId: string): Promise<Map<string, IngestCounts> | undefined> {
    if (!(await this.deps.repository.state(userId))) return undefined;
    return (await this.#ingestOrWait(userId, { reuse: false })).counts;
  }

  /**
   * Brings the log up to date and answers what is committed. While another call ingests for the user, waits a little
   * for it; past that, serves what is committed (the other call commits the rest for the next sync).
   */
  async #ingestOrWait(
    userId: string,
    options = { reuse: true },
  ): Promise<{ committed: number; counts?: Map<string, IngestCounts> }> {
    const { repository, clock } = this.deps;
    const started = clock.now();
    for (let wait = 50; ; wait = Math.min(wait * 2, 500)) {
      const state = await repository.state(userId);
      const now = clock.now();
      if (options.reuse && state?.ingestedAt !== undefined && now - state.ingestedAt < INGEST_REUSE_MS) {
        return { committed: state.committed };
      }
      const holder = randomUUID();
      const claimed = await repository.claimIngest(userId, holder, now, INGEST_LEASE_MS);
      if (claimed) return this.#ingest(userId, holder, claimed, now);
      if (now - started >= MAX_WAIT_MS) return { committed: state?.committed ?? 0 };
      await this.#sleep(wait);
    }
  }

  async #ingest(
    userId: string,
    holder: string,
    state: { committed: number; allocated: number; watermarkDay?: string; fullListedAt?: number },
    now: number,
  ): Promise<{ committed: number; counts: Map<string, IngestCounts> }> {
    const { repository, log } = this.deps;
    try {
      const full = state.watermarkDay === undefined || now - (state.fullListedAt ?? 0) >= RECONCILE_AFTER_MS;
      const listed = lastCopyByGuid(
        full
          ? await this.#readAll(userId, '/transactions', {})
          : await this.#readAll(userId, '/transactions/updated_between/{start_date}/{end_date}', {
              start_date: dayOf(Date.parse(`${state.watermarkDay}T00:00:00Z`) - DAY_MS),
              end_date: dayOf(now + DAY_MS),
            }),
      );
      const known = full
        ? new Map((await repository.allPointers(userId)).map((pointer) => [pointer.guid, pointer]))
        : await repository.pointers(
            userId,
            listed.map((transaction) => transaction.guid),
          );

      const found = changesFound(listed, known, full);

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
      const stored = await repository.commit(userId, holder, {
        committed,
        // From the day this ingest started: a transaction MX changes during or after the read is on that day or later.
        watermarkDay: dayOf(now),
        ingestedAt: now,
        ...(full ? { fullListedAt: now } : {}),
      });
      if (!stored) log.warn('transactions sync: the ingest lease ran out before it committed', { user_id: userId });
      this.deps.metrics.add('TransactionChangesIngested', found.length, { kind: full ? 'full' : 'incremental' });
      log.debug('transactions sync ingest', { user_id: userId, full, read: listed.length, changed: found.length });
      const counts = countsByMember(found);
      return { committed: stored ? committed : state.committed, counts };
    } catch (error) {
      await repository.release(userId, holder).catch(() => undefined);
      throw error;
    }
  }

  /** Every page of an MX transaction list. */
  async #readAll(userId: string, route: string, params: Record<string, string>): Promise<MxTransaction[]> {
    const all: MxTransaction[] = [];
    for (let page = 1; ; page++) {
      const { body } = await this.deps.nexus.request(userId, {
        method: 'GET',
        route,
        kind: 'read',
        params,
        query: { page, records_per_page: MX_PAGE_SIZE },
        schema: transactionsPage,
      });
      all.push(...(body.transactions as MxTransaction[]));
      const totalPages = body.pagination?.total_pages ?? 1;
      if (page >= totalPages || body.transactions.length === 0) return all;
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
  /** Its member: MX's `member_guid`, or '' for a removal (its member is no longer known). */
  member: string;
}

/**
 * What MX's list changes against the pointers the relay holds: new and changed transactions (a re-read version is
 * no change), and, from a whole list (`full`), the transactions MX no longer returns.
 */
function changesFound(
  listed: readonly MxTransaction[],
  known: ReadonlyMap<string, TransactionPointer>,
  full: boolean,
): FoundChange[] {
  const found: FoundChange[] = [];
  for (const transaction of listed) {
    const version = digestOf(transaction);
    const pointer = known.get(transaction.guid);
    if (pointer && !pointer.removed && pointer.version === version) continue;
    found.push({
      write: {
        guid: transaction.guid,
        version,
        body: JSON.stringify(transaction),
        removed: false,
        ...(pointer ? { previousSeq: pointer.seq } : {}),
      },
      ...(pointer && !pointer.removed ? { firstSeq: pointer.firstSeq } : {}),
      member: String(transaction.member_guid ?? ''),
    });
  }
  if (!full) return found;
  const present = new Set(listed.map((transaction) => transaction.guid));
  for (const pointer of known.values()) {
    if (pointer.removed || present.has(pointer.guid)) continue;
    found.push({
      write: { guid: pointer.guid, version: 'removed', removed: true, previousSeq: pointer.seq },
      firstSeq: pointer.firstSeq,
      member: '',
    });
  }
  return found;
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
