import { digestOf } from '../hash.ts';

type MxTransaction = Record<string, unknown> & { guid: string };

/** Days MX may still change transactions: it deletes PENDING ones after 14 (a day more for time zones), lists 5 ahead. */
export const PENDING_WINDOW = { daysBack: 15, daysAhead: 5 } as const;

/** A posted transaction may be dated this many days before or after the pending one it replaces. */
const DATE_SLACK_DAYS = { before: 1, after: 7 } as const;
const DAY_MS = 24 * 3600_000;

/** What a pending transaction and the posted one that replaces it share, kept on the pending one's pointer. */
export interface PendingFacts {
  /** Digest of account, type, amount and description. */
  key: string;
  day: string;
  createdMs?: number;
  /** Whose a removal is. */
  member?: string;
}

/** A removed pending transaction that may be linked. */
export interface RemovedPending extends PendingFacts {
  guid: string;
}

/** A posted transaction that may be linked. */
export interface PostedCandidate extends PendingFacts {
  guid: string;
}

/** MX's `date` as a day: text, or Unix seconds in MX's webhooks. */
export function dayOf(transaction: MxTransaction): string | undefined {
  const { date } = transaction;
  if (typeof date === 'string' && /^\d{4}-\d{2}-\d{2}/.test(date)) return date.slice(0, 10);
  if (typeof date === 'number' && Number.isFinite(date)) return new Date(date * 1000).toISOString().slice(0, 10);
  return undefined;
}

/** `status` PENDING, or `status_name` where `status` is a number (as Nexus pairs other fields). */
export function isPending({ status, status_name: name }: MxTransaction): boolean {
  const said = typeof status === 'string' ? status : name;
  return typeof said === 'string' && said.toUpperCase() === 'PENDING';
}

/** The facts a match compares, or undefined when MX left out what a match needs (never a guess). */
export function factsOf(transaction: MxTransaction): PendingFacts | undefined {
  const day = dayOf(transaction);
  const { account_guid: account, amount, type, description } = transaction;
  if (day === undefined || typeof account !== 'string' || typeof description !== 'string') return undefined;
  const value = typeof amount === 'number' ? amount : typeof amount === 'string' ? Number(amount) : Number.NaN;
  if (!Number.isFinite(value)) return undefined;
  const created = typeof transaction.created_at === 'string' ? Date.parse(transaction.created_at) : Number.NaN;
  return {
    key: digestOf([account, String(type ?? ''), value.toFixed(2), description.trim().replace(/\s+/g, ' ').toLowerCase()]).slice(
      0,
      24,
    ),
    day,
    ...(Number.isFinite(created) ? { createdMs: created } : {}),
    ...(typeof transaction.member_guid === 'string' ? { member: transaction.member_guid } : {}),
  };
}

/**
 * Which posted transaction replaced which removed pending one: linked only when each is the other's one candidate and no
 * pending transaction still there could be the posted one's. Ambiguity means no link.
 *
 * @example
 * linkPending([{ guid: 'TRN-p', key: 'k', day: '2026-11-20' }], [{ guid: 'TRN-q', key: 'k', day: '2026-11-20' }], []);
 * // Map { 'TRN-q' => 'TRN-p' }
 */
export function linkPending(
  removed: readonly RemovedPending[],
  posted: readonly PostedCandidate[],
  stillPending: readonly PendingFacts[],
): Map<string, string> {
  const candidates = (pending: PendingFacts) => posted.filter((candidate) => matches(pending, candidate));
  const links = new Map<string, string>();
  const byPosted = new Map<string, number>();
  for (const pending of [...removed, ...stillPending]) {
    for (const candidate of candidates(pending)) byPosted.set(candidate.guid, (byPosted.get(candidate.guid) ?? 0) + 1);
  }
  for (const pending of removed) {
    const found = candidates(pending);
    if (found.length === 1 && byPosted.get(found[0]!.guid) === 1) links.set(found[0]!.guid, pending.guid);
  }
  return links;
}

function matches(pending: PendingFacts, posted: PendingFacts): boolean {
  if (pending.key !== posted.key) return false;
  const apart = (Date.parse(posted.day) - Date.parse(pending.day)) / DAY_MS;
  if (apart < -DATE_SLACK_DAYS.before || apart > DATE_SLACK_DAYS.after) return false;
  return pending.createdMs === undefined || posted.createdMs === undefined || posted.createdMs >= pending.createdMs;
}

/** The window's first and last day at `now`. */
export function pendingWindow(now: number): { from: string; to: string } {
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return { from: day(now - PENDING_WINDOW.daysBack * DAY_MS), to: day(now + PENDING_WINDOW.daysAhead * DAY_MS) };
}
