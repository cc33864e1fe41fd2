import { digestOf } from '../hash.ts';
import { factsOf, isPending, linkPending } from './pending-match.ts';
import type { SyncState } from './sync-state-repo.ts';
import type { ChangeWrite, TransactionPointer } from './transactions-repo.ts';

/** MX's fields, whatever they are. */
export type MxTransaction = Record<string, unknown> & { guid: string };

/** What one ingest wrote to a user's change log. */
export interface IngestCounts {
  added: number;
  modified: number;
  removed: number;
}

/*
 * What an ingest changes in a user's log: pure functions, no I/O.
 */

/**
 * Each transaction once, as its last (newest) copy: MX pages by offset, so an insert between page reads repeats a row.
 * A repeat would be written twice in one batch (which DynamoDB refuses) or handed out twice.
 */
export function lastCopyByGuid(listed: readonly MxTransaction[]): MxTransaction[] {
  const byGuid = new Map<string, MxTransaction>();
  for (const transaction of listed) byGuid.set(transaction.guid, transaction);
  return byGuid.size === listed.length ? [...listed] : [...byGuid.values()];
}

/** A change an ingest found, before it has a sequence number. */
export interface FoundChange {
  write: Omit<ChangeWrite, 'seq' | 'firstSeq'>;
  /** Undefined for a transaction new to the log. */
  firstSeq?: number;
  /** '' when unknown (a removal of a transaction the relay never saw pending). */
  member: string;
}

/** The expected pointers (not removed) MX did not list. */
export function missingFrom(listed: readonly MxTransaction[], expected: readonly TransactionPointer[]): TransactionPointer[] {
  const present = new Set(listed.map(({ guid }) => guid));
  return expected.filter((pointer) => !pointer.removed && !present.has(pointer.guid));
}

/** New and changed transactions (a re-read version is no change), and those MX no longer has (`gone`). */
export function changesFound(
  listed: readonly MxTransaction[],
  known: ReadonlyMap<string, TransactionPointer>,
  gone: readonly TransactionPointer[],
  window: { from: string; to: string },
): FoundChange[] {
  const found: FoundChange[] = [];
  for (const transaction of listed) {
    // 96 bits, as the pending key: a re-read told from a change, in 24 bytes of each of a year's stored transactions.
    // Pointers written before hold the whole digest: its start is the same version.
    const version = digestOf(transaction).slice(0, 24);
    const pointer = known.get(transaction.guid);
    if (pointer && !pointer.removed && pointer.version.slice(0, 24) === version) continue;
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

/** With `pending_transaction_guid` once the relay has linked it. */
const bodyWith = (transaction: MxTransaction, pendingGuid: string | undefined): string =>
  JSON.stringify(pendingGuid === undefined ? transaction : { ...transaction, pending_transaction_guid: pendingGuid });

/** Posted transactions linked to the pending ones they replaced (posted guid → pending guid); `earlier`: removed before. */
export interface Links {
  posted: Map<string, string>;
  earlier: string[];
}

/** Which posted transactions replace pending ones removed now, or since the last ingest and not linked yet. */
export function linkPosted(
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
    // Not linked already, nor seen pending by the relay (MX posted it in place).
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

/** A linked posted transaction gets `pending_transaction_guid` in a new entry even when unchanged. */
export function withLinks(
  found: readonly FoundChange[],
  links: Links,
  known: ReadonlyMap<string, TransactionPointer>,
  listed: readonly MxTransaction[],
): FoundChange[] {
  if (links.posted.size === 0) return [...found];
  const linkedPending = new Set(links.posted.values());
  const byGuid = new Map(listed.map((transaction) => [transaction.guid, transaction]));
  const linked = found.map((change): FoundChange => {
    const { write } = change;
    if (write.removed) return linkedPending.has(write.guid) ? { ...change, write: { ...write, linked: true } } : change;
    const pendingGuid = links.posted.get(write.guid);
    if (pendingGuid === undefined) return change;
    return { ...change, write: { ...write, body: bodyWith(byGuid.get(write.guid)!, pendingGuid), pendingGuid } };
  });
  const changedNow = new Set(found.flatMap(({ write }) => (write.removed ? [] : [write.guid])));
  for (const [postedGuid, pendingGuid] of links.posted) {
    if (changedNow.has(postedGuid)) continue;
    const transaction = byGuid.get(postedGuid)!;
    const pointer = known.get(postedGuid)!;
    linked.push({
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
  return linked;
}

/** Added, modified and removed, per member. */
export function countsByMember(found: readonly FoundChange[]): Map<string, IngestCounts> {
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
