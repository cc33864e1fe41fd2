import { NexusRelayError } from '../errors.ts';
import type { Clock } from '../clock.ts';
import type { Log } from '../logger.ts';
import type { TransactionsMetrics } from './transactions-metrics.ts';
import type { NexusClient } from '../mx/nexus-client.ts';
import type { IngestCounts, MxTransaction } from './changes-found.ts';
import { Ingest } from './ingest.ts';
import { type HeldLease, IngestLease } from './ingest-lease.ts';
import { declines, type SyncState, type SyncStateRepository } from './sync-state-repo.ts';
import type { TransactionPointer, TransactionsRepository } from './transactions-repo.ts';
import { type SyncCursorCodec, SyncCursorExpiredError } from './sync-cursor.ts';

export interface SyncPage {
  added: MxTransaction[];
  modified: MxTransaction[];
  removed: { guid: string }[];
  next_cursor: string;
  has_more: boolean;
  /** Every member has had an extended history end: its transactions reach as far back as MX keeps. */
  historical_update_complete: boolean;
}

export interface TransactionSyncDeps {
  repository: TransactionsRepository;
  states: SyncStateRepository;
  nexus: Pick<NexusClient, 'request'>;
  /** Made on first use (its key may come from Secrets Manager). */
  cursors: () => Promise<SyncCursorCodec>;
  clock: Clock;
  log: Log;
  metrics: TransactionsMetrics;
  histories: { historyCompleteOfUser(userId: string): Promise<boolean> };
  sleep?: (ms: number) => Promise<void>;
}

/** A call this soon after the last ingest started serves what it found (pages of one sync read MX once). */
export const INGEST_REUSE_MS = 2_000;

interface Ingested {
  committed: number;
  counts?: Map<string, IngestCounts>;
  resetSeq?: number;
  /** The user had no log: not brought up to date (an aggregation's end makes none). */
  skipped?: true;
  /** This call made the log: a cursor from before cannot be continued. */
  made?: true;
}

/**
 * "What changed since my last call", on top of MX's day-granular lists. Each call first brings the user's change log up to
 * date (one ingest per user at a time, under its lease), then hands out the log after the cursor, up to what is committed.
 * Concurrent aggregations or syncs only add entries above the client's cursor.
 */
export class TransactionSync {
  readonly #lease: IngestLease;
  readonly #ingest: Ingest;

  constructor(private readonly deps: TransactionSyncDeps) {
    this.#lease = new IngestLease(deps);
    this.#ingest = new Ingest(deps);
  }

  async sync(userId: string, request: { cursor?: string; count: number }): Promise<SyncPage> {
    const now = this.deps.clock.now();
    const cursors = await this.deps.cursors();
    const position = request.cursor === undefined ? undefined : cursors.decode(userId, request.cursor, now);
    const { committed, resetSeq = 0, made } = await this.#ingestOrWait(userId, 'sync');
    // The user's transactions were forgotten, or its log made anew, since the cursor: the log starts over.
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
   * After an aggregation ended CONNECTED, reads the window MX may still change; only for users who sync. While another
   * call holds the ingest, the window is left due for the next one.
   */
  async ingestAfterAggregation(userId: string): Promise<Map<string, IngestCounts> | undefined> {
    const { states, clock } = this.deps;
    try {
      const { counts, skipped } = await this.#ingestOrWait(userId, 'aggregation');
      if (skipped) return undefined;
      if (!counts) await states.requestWindow(userId, clock.now());
      return counts;
    } catch (error) {
      await states.requestWindow(userId, clock.now()).catch(() => undefined);
      throw error;
    }
  }

  /**
   * Removes transactions MX's webhooks said were deleted only as far as MX's own lists show them gone, so a forged or
   * mistaken webhook removes nothing. Undefined for a user who does not sync.
   */
  async confirmRemovals(userId: string, guids: readonly string[]): Promise<{ removed: number } | undefined> {
    const may = await this.mayRemove(userId, guids);
    if (may === undefined) return undefined;
    if (!may) return { removed: 0 };
    return this.#removeUnderLease(userId, async (state) => {
      const held = await this.#held(userId, guids, state);
      if (held.length === 0) return [];
      const { gone } = await this.#ingest.confirmGone(userId, await this.#ingest.daysOf(userId, held, new Map()));
      return held.filter(({ guid }) => gone.has(guid));
    });
  }

  /**
   * Whether removing `guids` could change anything: some held, not removed, or an ingest's lease out (even a lapsed one,
   * whose holder might still write). Undefined for a user who does not sync.
   */
  async mayRemove(userId: string, guids: readonly string[]): Promise<boolean | undefined> {
    const known = await this.deps.states.state(userId);
    if (declines(known, {}, this.deps.clock.now())) return undefined;
    return known!.leaseUntil !== undefined || (await this.#held(userId, guids, known!)).length > 0;
  }

  async #held(userId: string, guids: readonly string[], state: SyncState): Promise<TransactionPointer[]> {
    const pointers = await this.deps.repository.pointers(userId, [...guids], state.resetSeq);
    return [...pointers.values()].filter((pointer) => !pointer.removed);
  }

  /** Removes every transaction of a member MX no longer lists. False for a user who does not sync. */
  async memberGone(userId: string, memberGuid: string): Promise<boolean> {
    const removed = await this.#removeUnderLease(userId, async (state) => {
      // A member's transactions are known from the bodies the log holds (a rare read of the whole log).
      const guids = (await this.deps.repository.allChanges(userId, state.resetSeq)).flatMap(({ guid, body }) =>
        body !== undefined && (JSON.parse(body) as MxTransaction).member_guid === memberGuid ? [guid] : [],
      );
      return [...(await this.deps.repository.pointers(userId, guids, state.resetSeq)).values()].filter((p) => !p.removed);
    });
    return removed !== undefined;
  }

  /**
   * Writes `removed` under the ingest lease (SYNC_BUSY for SQS to retry). Undefined for a user who does not sync, or was
   * forgotten: its next sync reads MX's whole list, which no longer shows what MX deleted.
   */
  async #removeUnderLease(
    userId: string,
    gone: (state: SyncState) => Promise<TransactionPointer[]>,
  ): Promise<{ removed: number } | undefined> {
    const claim = await this.#lease.claim(userId, { patient: true });
    if (claim.busy) throw new NexusRelayError('SYNC_BUSY', "Another call holds the user's transactions ingest");
    const lease = claim.held;
    if (!lease) return undefined;
    return this.#lease.hold(userId, lease, async () => ({
      removed: await this.#ingest.remove(userId, lease, await gone(lease.state)),
    }));
  }

  /**
   * Brings the log up to date; while another call ingests, waits a little, then serves what is committed. After an
   * aggregation, a user with no state or a forgotten one is `skipped`: read again only once its app syncs.
   */
  async #ingestOrWait(userId: string, caller: 'sync' | 'aggregation'): Promise<Ingested> {
    const bySync = caller === 'sync';
    const claim = await this.#lease.claim(
      userId,
      bySync ? { bySync, reusedWithinMs: INGEST_REUSE_MS, patient: true } : { patient: true },
    );
    const lease: HeldLease | undefined = claim.held;
    const state = claim.state;
    const resetSeq = state?.resetSeq === undefined ? {} : { resetSeq: state.resetSeq };
    if (!lease) return { committed: state?.committed ?? 0, ...resetSeq, ...(bySync || claim.busy ? {} : { skipped: true }) };
    const window = !bySync || (lease.state.windowDueAt ?? 0) > (lease.state.windowReadAt ?? 0);
    const ingested = await this.#lease.hold(userId, lease, () => this.#ingest.run(userId, lease, window));
    return { ...ingested, ...resetSeq, ...(lease.state.ingestedAt === undefined ? { made: true } : {}) };
  }
}
