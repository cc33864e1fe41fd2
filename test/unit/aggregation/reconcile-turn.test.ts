import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { judgeTurn, MX_DAILY_CADENCE_MS, readsHeld } from '../../../lib/aggregation/reconcile-turn.ts';

const HOUR = 3600_000;
const NOW = Date.UTC(2026, 10, 25, 12);
const INTERVAL = 6 * HOUR;
const WINDOW = MX_DAILY_CADENCE_MS + INTERVAL;
const iso = (ms: number) => new Date(ms).toISOString();
const settled = (aggregatedAt: number | null, connectionStatus = 'CONNECTED') => ({
  aggregatedAt: aggregatedAt === null ? null : iso(aggregatedAt),
  connectionStatus,
});
const turn = (change: Partial<Parameters<typeof judgeTurn>[0]>) =>
  judgeTurn({ now: NOW, intervalMs: INTERVAL, webhooksOn: true, lastReadAt: NOW - 2 * WINDOW, members: [], ...change });

describe('judgeTurn: whether a reconcile turn reads the user from MX', () => {
  it('with MX’s webhooks off, every turn', () => {
    expect(turn({ webhooksOn: false, members: [settled(NOW - HOUR)] })).toEqual({ read: true, reason: 'webhooks_off' });
  });

  it('a member needing its user, once a day: MX’s webhooks tell its fix sooner', () => {
    const members = [settled(NOW - HOUR), settled(NOW - HOUR, 'DENIED')];
    expect(turn({ members })).toEqual({ read: true, reason: 'needs_user' });
    expect(turn({ members, lastReadAt: NOW - MX_DAILY_CADENCE_MS })).toEqual({ read: true, reason: 'needs_user' });
    expect(turn({ members, lastReadAt: NOW - MX_DAILY_CADENCE_MS + HOUR })).toEqual({ read: false, reason: 'seen_aggregated' });
  });

  it('members all seen aggregated within MX’s day plus the interval: no read', () => {
    expect(turn({ members: [settled(NOW - 20 * HOUR), settled(NOW - 2 * HOUR)] })).toEqual({
      read: false,
      reason: 'seen_aggregated',
    });
  });

  it('a member not seen aggregated for that long is read, unless the reconcile read it since', () => {
    expect(turn({ members: [settled(NOW - WINDOW), settled(NOW - HOUR)] })).toEqual({
      read: true,
      reason: 'not_seen_aggregated',
    });
    expect(turn({ members: [settled(null)] })).toMatchObject({ read: true });
    expect(turn({ members: [settled(NOW - 3 * WINDOW)], lastReadAt: NOW - HOUR })).toMatchObject({ read: false });
  });

  it('a user with no member known: read once per window from its enrolment or last read', () => {
    expect(turn({ lastReadAt: NOW - HOUR })).toMatchObject({ read: false });
    expect(turn({ lastReadAt: NOW - WINDOW })).toMatchObject({ read: true });
    expect(turn({ lastReadAt: undefined })).toMatchObject({ read: true });
  });

  it('with webhooks on, no member unseen for longer than the window goes unread, and none read sooner unless it needs its user and was read a day ago', () => {
    const member = fc.record({
      aggregatedAt: fc.option(fc.integer({ min: NOW - 10 * WINDOW, max: NOW + HOUR }).map(iso), { nil: null }),
      connectionStatus: fc.constantFrom('CONNECTED', 'DENIED', 'CHALLENGED', null),
    });
    fc.assert(
      fc.property(
        fc.option(fc.integer({ min: NOW - 10 * WINDOW, max: NOW }), { nil: undefined }),
        fc.array(member, { maxLength: 5 }),
        (lastReadAt, members) => {
          const { read, reason } = judgeTurn({ now: NOW, intervalMs: INTERVAL, webhooksOn: true, lastReadAt, members });
          const seen = (m: (typeof members)[number]) =>
            Math.max(m.aggregatedAt === null ? -Infinity : Date.parse(m.aggregatedAt), lastReadAt ?? -Infinity);
          const oldest = members.length === 0 ? (lastReadAt ?? -Infinity) : Math.min(...members.map(seen));
          if (oldest + WINDOW <= NOW) expect(read).toBe(true);
          if (!read) expect(reason).toBe('seen_aggregated');
          if (read && oldest + WINDOW > NOW) {
            expect(reason).toBe('needs_user');
            expect((lastReadAt ?? -Infinity) + MX_DAILY_CADENCE_MS).toBeLessThanOrEqual(NOW);
          }
        },
      ),
    );
  });
});

describe('readsHeld: whether a turn reads the hints held for it (MX_BACKGROUND_AT_TURN)', () => {
  const member = (memberGuid: string, connectionStatus: string | null = 'CONNECTED', aggregatedAt = NOW - 20 * HOUR) => ({
    memberGuid,
    connectionStatus,
    aggregatedAt: iso(aggregatedAt),
  });
  const members = [member('MBR-1'), member('MBR-2'), member('MBR-3', 'CHALLENGED'), member('MBR-4', null)];
  /** Hints first held `heldFor` ago: their `due_at` is an interval after. */
  const held = (aggregated: string[], heldFor: number) => ({ aggregated, dueAt: NOW - heldFor + INTERVAL });
  const reads = (h: ReturnType<typeof held> | { aggregated: string[] }) =>
    readsHeld({ now: NOW, intervalMs: INTERVAL, held: h, members });

  it("amid MX's wave for the user, waits for the next turn; once every connected member is in, reads", () => {
    expect(reads(held(['MBR-1'], HOUR))).toBe(false);
    // A member needing its user, or never seen settled, is not aggregated in the background: nothing to wait for.
    expect(reads(held(['MBR-1', 'MBR-2'], HOUR))).toBe(true);
    // A member the relay never saw (connected through the widget) changes nothing.
    expect(reads(held(['MBR-1', 'MBR-9'], HOUR))).toBe(false);
  });

  it('a member seen aggregated within the interval (read earlier tonight, or refreshed by its app) is not waited for', () => {
    const tonight = [member('MBR-1'), member('MBR-2', 'CONNECTED', NOW - 2 * HOUR)];
    expect(readsHeld({ now: NOW, intervalMs: INTERVAL, held: held(['MBR-1'], HOUR), members: tonight })).toBe(true);
    const yesterday = [member('MBR-1'), member('MBR-2', 'CONNECTED', NOW - INTERVAL - 1)];
    expect(readsHeld({ now: NOW, intervalMs: INTERVAL, held: held(['MBR-1'], HOUR), members: yesterday })).toBe(false);
  });

  it('held three quarters of an interval (the next turn, early; or a member MX skipped tonight), reads', () => {
    expect(reads(held(['MBR-1'], 0.75 * INTERVAL - 1))).toBe(false);
    expect(reads(held(['MBR-1'], 0.75 * INTERVAL))).toBe(true);
  });

  it('hints a read took and did not finish (no due_at), or a user with no member seen, read at once', () => {
    expect(reads({ aggregated: ['MBR-1'] })).toBe(true);
    expect(readsHeld({ now: NOW, intervalMs: INTERVAL, held: held(['MBR-1'], 0), members: [] })).toBe(true);
  });
});
