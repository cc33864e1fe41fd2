import { expect, it } from 'vitest';
import { MxHintsRepository } from '../../../lib/aggregation/mx-hints-repo.ts';
import { useLocalEngines } from '../../support/local-table.ts';

const local = useLocalEngines();
const T0 = Date.UTC(2026, 10, 27, 12);
/** The window `add` is given: reads of a user at least this far apart. */
const WINDOW = 3_000;
const hint = (memberGuid: string) => ({ kind: 'aggregation' as const, memberGuid, background: false });
const deleted = (transactionGuid: string) => ({ kind: 'transactions' as const, memberGuid: 'MBR-1', transactionGuid });
const add = (hints: MxHintsRepository, user: string, h: Parameters<MxHintsRepository['add']>[1], now: number) =>
  hints.add(user, h, { now, dueAt: now + WINDOW });

it('a member hint is read at once; hints while it is due or read wait for one read at the end of the window', async () => {
  const hints = new MxHintsRepository(local.table);
  const user = 'hints-race';
  expect(await add(hints, user, hint('MBR-1'), T0)).toEqual({ readAt: T0, due: T0 });
  expect(await add(hints, user, hint('MBR-2'), T0 + 100)).toEqual({});
  const taken = await hints.take(user, T0 + 200);
  expect(taken?.aggregated).toEqual(['MBR-1', 'MBR-2']);
  // MX aggregates MBR-1 again while the read runs: its webhook schedules the next read, a window after the last.
  expect(await add(hints, user, hint('MBR-1'), T0 + 500)).toEqual({ readAt: T0 + 200 + WINDOW, due: T0 + 500 });
  expect(await add(hints, user, deleted('TRN-1'), T0 + 600)).toEqual({});
  await hints.done(user, taken!);
  const next = await hints.take(user, T0 + 3_200);
  expect(next).toMatchObject({ aggregated: ['MBR-1', 'MBR-2'], deletedTransactions: ['TRN-1'] });
  await hints.done(user, next!);
  // A window after that read, a member's hint is read at once again.
  expect(await add(hints, user, hint('MBR-3'), T0 + 6_300)).toEqual({ readAt: T0 + 6_300, due: T0 + 6_300 });
});

it("a transaction's hint gathers for a window; a member's hint then is read at once, once", async () => {
  const hints = new MxHintsRepository(local.table);
  const user = 'hints-transactions';
  expect(await add(hints, user, deleted('TRN-1'), T0)).toEqual({ readAt: T0 + WINDOW, due: T0 + WINDOW });
  expect(await add(hints, user, deleted('TRN-2'), T0 + 100)).toEqual({});
  expect(await add(hints, user, hint('MBR-1'), T0 + 200)).toEqual({ readAt: T0 + 200 });
  expect(await add(hints, user, hint('MBR-2'), T0 + 300)).toEqual({});
  expect(await hints.take(user, T0 + 400)).toMatchObject({
    aggregated: ['MBR-1', 'MBR-2'],
    deletedTransactions: ['TRN-1', 'TRN-2'],
  });
});

it('a read taken and done leaves nothing; a read that could not be scheduled is asked for again', async () => {
  const hints = new MxHintsRepository(local.table);
  const user = 'hints-unscheduled';
  const { due } = await add(hints, user, hint('MBR-1'), T0);
  // The send of its read failed: undone, the report's retry schedules it.
  await hints.unschedule(user, due!);
  expect(await add(hints, user, hint('MBR-1'), T0 + 1_000)).toEqual({ readAt: T0 + 1_000, due: T0 + 1_000 });
  const taken = await hints.take(user, T0 + 1_000);
  await hints.done(user, taken!);
  expect(await hints.take(user, T0 + 5_000)).toMatchObject({ aggregated: [], statuses: [] });
});

it('a read due long ago that never came is scheduled again by the next hint, and later hints coalesce into it', async () => {
  const hints = new MxHintsRepository(local.table);
  const user = 'hints-lost';
  expect(await add(hints, user, hint('MBR-1'), T0)).toEqual({ readAt: T0, due: T0 });
  // Its message lost: ten minutes on, a hint finds it overdue.
  expect(await add(hints, user, hint('MBR-2'), T0 + 600_000)).toEqual({ readAt: T0 + 600_000, due: T0 + 600_000 });
  expect(await add(hints, user, hint('MBR-3'), T0 + 600_500)).toEqual({});
  expect((await hints.take(user, T0 + 601_000))?.aggregated).toEqual(['MBR-1', 'MBR-2', 'MBR-3']);
});

it("a held hint waits for the user's turn; a member's hint then is read at once, or a window after a read", async () => {
  const hints = new MxHintsRepository(local.table);
  const TURN = 6 * 3600_000;
  const background = (memberGuid: string) => ({ kind: 'aggregation' as const, memberGuid, background: true });
  const held = (user: string, memberGuid: string, now: number) =>
    hints.add(user, background(memberGuid), { now, dueAt: now + TURN, held: true });

  const user = 'hints-held';
  expect(await hints.waiting(user, T0)).toBeUndefined();
  // Each held hint says what waits with it: the caller weighs it against the user's members.
  expect(await held(user, 'MBR-1', T0)).toEqual({ due: T0 + TURN, waiting: { aggregated: ['MBR-1'], dueAt: T0 + TURN } });
  const second = await held(user, 'MBR-2', T0 + 3600_000);
  expect({ ...second, waiting: { ...second.waiting, aggregated: second.waiting?.aggregated.sort() } }).toEqual({
    waiting: { aggregated: ['MBR-1', 'MBR-2'], dueAt: T0 + TURN },
  });
  expect(await add(hints, user, deleted('TRN-1'), T0 + 3600_100)).toEqual({});
  // Their read is due a turn after the first: the turn weighs what waits against the user's members.
  const waiting = await hints.waiting(user, T0 + 4 * 3600_000);
  expect({ ...waiting, aggregated: waiting?.aggregated.sort() }).toEqual({ aggregated: ['MBR-1', 'MBR-2'], dueAt: T0 + TURN });
  const taken = await hints.take(user, T0 + 4 * 3600_000);
  // Taken, not done (MX failed the read): the turn's retry still finds them, due at once.
  expect(await hints.waiting(user, T0 + 4 * 3600_000)).toEqual({ aggregated: expect.any(Array) });
  expect(taken).toMatchObject({ aggregated: ['MBR-1', 'MBR-2'], background: ['MBR-1', 'MBR-2'], deletedTransactions: ['TRN-1'] });
  await hints.done(user, taken!);
  expect(await hints.waiting(user, T0 + 4 * 3600_000)).toBeUndefined();

  // Held for a turn a week on (RECONCILE_INTERVAL_MINUTES allows it), hints outlive the 24 h of others.
  const weekly = 'hints-held-weekly';
  const WEEK = 7 * 24 * 3600_000;
  await hints.add(weekly, background('MBR-1'), { now: T0, dueAt: T0 + WEEK, held: true });
  // A transaction's hint a day on, kept as long as a held one: the held hint still waits at its turn.
  const later = T0 + 24 * 3600_000;
  await hints.add(weekly, deleted('TRN-1'), { now: later, dueAt: later + WINDOW, keepUntil: later + WEEK });
  expect(await hints.waiting(weekly, T0 + WEEK)).toBeDefined();
  // Kept only to its own window's day, it would have taken the held hint with it.
  const shortened = 'hints-held-shortened';
  await hints.add(shortened, background('MBR-1'), { now: T0, dueAt: T0 + WEEK, held: true });
  await hints.add(shortened, deleted('TRN-1'), { now: later, dueAt: later + WINDOW });
  expect(await hints.waiting(shortened, T0 + WEEK)).toBeUndefined();

  // The night's last held hint releases their read to now, once: a second release of the same turn finds it moved.
  const released = 'hints-held-released';
  await held(released, 'MBR-1', T0);
  const { waiting: last } = await held(released, 'MBR-2', T0 + 60_000);
  expect(await hints.release(released, last!.dueAt!, T0 + 60_000)).toBe(true);
  expect(await hints.release(released, last!.dueAt!, T0 + 60_000)).toBe(false);
  expect(await hints.waiting(released, T0 + 60_000)).toMatchObject({ dueAt: T0 + 60_000 });

  // Someone opens the app and MX reports a status: held hints are read with it, now.
  const woken = 'hints-held-woken';
  await held(woken, 'MBR-1', T0);
  expect(await add(hints, woken, hint('MBR-2'), T0 + 100)).toEqual({ readAt: T0 + 100 });
  // Right after a read, a held read is brought to the window's end, not left for the turn.
  await hints.done(woken, (await hints.take(woken, T0 + 200))!);
  // A held hint says when the user was last read: its release waits a window after it, as any hint's read.
  expect((await held(woken, 'MBR-3', T0 + 300)).waiting).toMatchObject({ lastReadAt: T0 + 200 });
  expect(await add(hints, woken, hint('MBR-4'), T0 + 400)).toEqual({ readAt: T0 + 200 + WINDOW });
});
