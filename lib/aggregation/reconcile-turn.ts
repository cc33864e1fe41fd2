import { needsUser } from '../mx/connection-status.ts';
import type { MemberState, SeenMember } from './member-states-repo.ts';
import type { WaitingHints } from './mx-hints-repo.ts';

/** MX aggregates each member in the background about once a day. */
export const MX_DAILY_CADENCE_MS = 24 * 3600_000;

export type TurnReason = 'webhooks_off' | 'needs_user' | 'not_seen_aggregated' | 'seen_aggregated';

export interface TurnInput {
  now: number;
  intervalMs: number;
  /** Whether MX pushed any webhook within MX's day plus the interval. */
  webhooksOn: boolean;
  /** The user's last reconcile read, or its enrolment before the first. */
  lastReadAt: number | undefined;
  members: readonly Pick<MemberState, 'aggregatedAt' | 'connectionStatus'>[];
}

/**
 * Read while MX's webhooks are off (MX advises not to depend on them), once a day while a member needs its user (who
 * may fix it outside the relay; MX's webhooks say so sooner), and once a member has gone unseen aggregated for a day
 * plus the interval.
 */
export function judgeTurn(input: TurnInput): { read: boolean; reason: TurnReason } {
  const { now, intervalMs, webhooksOn, lastReadAt = Number.NEGATIVE_INFINITY, members } = input;
  if (!webhooksOn) return { read: true, reason: 'webhooks_off' };
  if (lastReadAt + MX_DAILY_CADENCE_MS <= now && members.some((member) => needsUser(member.connectionStatus))) {
    return { read: true, reason: 'needs_user' };
  }
  const seenAt = (member: Pick<MemberState, 'aggregatedAt'>) => {
    const aggregated = member.aggregatedAt === null ? Number.NaN : Date.parse(member.aggregatedAt);
    return Math.max(Number.isFinite(aggregated) ? aggregated : Number.NEGATIVE_INFINITY, lastReadAt);
  };
  const oldest = members.length === 0 ? lastReadAt : Math.min(...members.map(seenAt));
  const read = oldest + MX_DAILY_CADENCE_MS + intervalMs <= now;
  return { read, reason: read ? 'not_seen_aggregated' : 'seen_aggregated' };
}

/**
 * With MX_BACKGROUND_AT_TURN, whether the hints held for the user's turn are read now (weighed at each held hint and at
 * each turn). MX aggregates a user's members at different moments of its nightly wave: their read waits until every
 * member MX aggregates in the background (last seen CONNECTED) is among them or was seen aggregated within the interval
 * (read earlier tonight, or refreshed by its app), one read for the night (one session, one ingest). Held three quarters
 * of an interval (MX skipped a member tonight), the turn reads them anyway.
 *
 * @example readsHeld({ now, intervalMs, held: { aggregated: ['MBR-1'], dueAt }, members }) // false while MBR-2 is to come
 */
export function readsHeld(input: {
  now: number;
  intervalMs: number;
  held: WaitingHints;
  members: readonly Pick<SeenMember, 'memberGuid' | 'connectionStatus' | 'aggregatedAt'>[];
}): boolean {
  const { now, intervalMs, held, members } = input;
  // No `dueAt`: a read took them and failed, or a hint not held is due. `dueAt` is the first held hint's time + an interval.
  if (held.dueAt === undefined || held.dueAt - intervalMs / 4 <= now) return true;
  const aggregated = new Set(held.aggregated);
  const lately = (at: string | null) => at !== null && Date.parse(at) >= now - intervalMs;
  return members.every(
    (member) => member.connectionStatus !== 'CONNECTED' || aggregated.has(member.memberGuid) || lately(member.aggregatedAt),
  );
}
