import { describe, expect, it } from 'vitest';
import { slotAt, slotOf } from '../../../lib/aggregation/reconcile-cycle.ts';
import { ReconcileDispatcher } from '../../../lib/aggregation/reconcile-dispatcher.ts';
import { ReconcileRepository } from '../../../lib/aggregation/reconcile-repo.ts';
import { ManualClock } from '../../../lib/clock.ts';
import { silentLog } from '../../../lib/logger.ts';
import { noMetrics } from '../../../lib/metrics.ts';
import type { ReconcileMessage } from '../../../lib/queue/poll-message.ts';
import { useLocalEngines } from '../../support/local-table.ts';

const local = useLocalEngines();
const HOUR = 3600_000;
const INTERVAL = 6 * HOUR;
const T0 = Date.UTC(2026, 10, 24, 6);
let tables = 0;

/**
 * A dispatcher over the real schedule in dynalite. The cursors are the table's: each test starts ten intervals after
 * the one before (`t0`), so its first walk takes the whole cycle, and counts its own users (`prefix`) in what it sends.
 */
function setup(
  prefix: string,
  options: { turnsPerMinute?: number; webhooksOn?: boolean; intervalMs?: number; inactiveAfterMs?: number } = {},
) {
  const schedule = new ReconcileRepository(local.table);
  const t0 = T0 + ++tables * 10 * INTERVAL;
  const clock = new ManualClock(t0);
  const sent: ReconcileMessage[] = [];
  let failSends = false;
  const dispatcher = new ReconcileDispatcher({
    schedule,
    pushes: { countsSince: async () => ({ pushes: 0, ends: 0, background: options.webhooksOn === false ? 0 : 1 }) },
    queue: {
      async scheduleAll(messages) {
        if (failSends) throw new Error('SQS is down');
        sent.push(...messages);
      },
    },
    intervalMs: options.intervalMs ?? INTERVAL,
    inactiveAfterMs: options.inactiveAfterMs ?? 0,
    turnsPerMinute: options.turnsPerMinute ?? 50_000,
    periodMs: 2 * 60_000,
    budgetMs: 40_000,
    clock,
    log: silentLog,
    metrics: noMetrics,
  });
  const users = Array.from({ length: 60 }, (_, i) => `${prefix}-${i}`);
  const mine = () => sent.map((m) => m.reconcile.user_id).filter((id) => users.includes(id));
  return {
    t0,
    schedule,
    clock,
    dispatcher,
    users,
    sent,
    mine,
    failSends: (fail: boolean) => (failSends = fail),
    // Served an interval ago: a user served or read within half an interval has no turn.
    enrolAll: () => Promise.all(users.map((userId) => schedule.enroll(userId, t0 - INTERVAL))),
  };
}

/** The users whose slots time passes in (from, to], within one interval. */
const passedIn = (users: string[], from: number, to: number) => {
  const [a, b] = [slotAt(from, INTERVAL), slotAt(to, INTERVAL)];
  return users.filter((u) => (a < b ? slotOf(u) > a && slotOf(u) <= b : slotOf(u) > a || slotOf(u) <= b)).sort();
};

describe('ReconcileRepository', () => {
  it('enrols a user once, answering when it was last read (or enrolled)', async () => {
    const schedule = new ReconcileRepository(local.table);
    expect(await schedule.enroll('user-1', T0)).toBe(true);
    expect(await schedule.enroll('user-1', T0 + HOUR)).toBe(false);
    expect(await schedule.turnFacts(['user-1', 'user-never'])).toEqual(new Map([['user-1', { lastRead: T0 }]]));
    expect(await schedule.noteRead('user-1', T0 + 1000)).toBe(true);
    expect(await schedule.turnFacts(['user-1'])).toEqual(new Map([['user-1', { lastRead: T0 + 1000 }]]));
    expect(await schedule.noteRead('user-never', T0)).toBe(false);
  });

  it("notes each app's request for a user (served_at), enrolling it the first time at its slot", async () => {
    const schedule = new ReconcileRepository(local.table);
    expect(await schedule.serve('user-served', T0)).toBe(true);
    expect(await schedule.serve('user-served', T0 + HOUR)).toBe(false);
    expect(await schedule.enroll('user-served', T0 + 2 * HOUR)).toBe(false);
    expect(await schedule.turnFacts(['user-served'])).toEqual(new Map([['user-served', { lastRead: T0, servedAt: T0 + HOUR }]]));
    // Served before the cutoff: it stays; served only before it: it leaves, and only an app's request brings it back.
    const expiresAt = T0 + 3 * HOUR + 90 * 24 * HOUR;
    expect(await schedule.leave('user-served', T0 + HOUR, T0 + 3 * HOUR, expiresAt)).toBe(false);
    expect(await schedule.leave('user-served', T0 + HOUR + 1, T0 + 3 * HOUR, expiresAt)).toBe(true);
    expect(await schedule.enroll('user-served', T0 + 4 * HOUR)).toBe(false);
    // Left, its item expires: past that it is no user the relay serves.
    expect((await schedule.turnFacts(['user-served'], { now: expiresAt - 1 })).has('user-served')).toBe(true);
    expect((await schedule.turnFacts(['user-served'], { now: expiresAt })).has('user-served')).toBe(false);
    expect(await schedule.serve('user-served', T0 + 5 * HOUR)).toBe(true);
    expect(await schedule.serve('user-served', T0 + 6 * HOUR)).toBe(false);
    // Served again, it is kept.
    expect((await schedule.turnFacts(['user-served'], { now: expiresAt })).has('user-served')).toBe(true);
  });

  it('only reads a user on the cycle served since the given moment; one that left or was never served is written', async () => {
    const schedule = new ReconcileRepository(local.table);
    expect(await schedule.serve('user-read', T0, T0 - HOUR)).toBe(true);
    expect(await schedule.serve('user-read', T0 + HOUR, T0)).toBe(false);
    expect((await schedule.turnFacts(['user-read'])).get('user-read')?.servedAt).toBe(T0);
    expect(await schedule.serve('user-read', T0 + 2 * HOUR, T0 + HOUR)).toBe(false);
    expect((await schedule.turnFacts(['user-read'])).get('user-read')?.servedAt).toBe(T0 + 2 * HOUR);
    // Off the cycle, however lately served: the note puts it back.
    expect(await schedule.leave('user-read', T0 + 3 * HOUR, T0 + 3 * HOUR, T0 + 100 * HOUR)).toBe(true);
    expect(await schedule.serve('user-read', T0 + 3 * HOUR, T0)).toBe(true);
    expect((await schedule.turnFacts(['user-read'])).get('user-read')).toEqual({ lastRead: T0, servedAt: T0 + 3 * HOUR });
  });

  it('moves a cursor only from the state it was read in', async () => {
    // A shard no dispatcher walks: the dispatcher's tests below start with no cursor.
    const SHARD = 99;
    const schedule = new ReconcileRepository(local.table);
    expect(await schedule.cursor(SHARD)).toBeUndefined();
    expect(await schedule.moveCursor(SHARD, undefined, { at: T0 })).toBe(true);
    expect(await schedule.moveCursor(SHARD, undefined, { at: T0 })).toBe(false);
    const cursor = await schedule.cursor(SHARD);
    expect(cursor).toEqual({ at: T0, version: 1 });
    const walk = { from: '00000000', whole: false, toAt: T0 + HOUR, range: 0, done: 'abc#u' };
    expect(await schedule.moveCursor(SHARD, cursor, { at: T0, walk })).toBe(true);
    expect(await schedule.moveCursor(SHARD, cursor, { at: T0 + HOUR })).toBe(false);
    expect(await schedule.cursor(SHARD)).toEqual({ at: T0, walk, version: 2 });
  });
});

describe('ReconcileDispatcher over the cycle', () => {
  it('sends every user once before its first walk, then each user as time passes its slot, writing no user', async () => {
    const { t0, clock, dispatcher, users, mine, enrolAll } = setup('walk');
    await enrolAll();
    clock.set(t0 + 60_000);
    // The first walk takes every user, and is not overdue: nothing was due before it.
    expect((await dispatcher.dispatch()).overdueMs).toBe(0);
    expect(mine().sort()).toEqual([...users].sort());
    // Nothing new at the same moment.
    const first = mine().length;
    await dispatcher.dispatch();
    expect(mine()).toHaveLength(first);
    // A quarter of the interval on: exactly the users whose slots it passed, each once.
    clock.set(t0 + 60_000 + INTERVAL / 4);
    // How far behind the walk was: the time since the last one.
    expect((await dispatcher.dispatch()).overdueMs).toBe(INTERVAL / 4);
    expect(mine().slice(first).sort()).toEqual(passedIn(users, t0 + 60_000, t0 + 60_000 + INTERVAL / 4));
    // The rest of the interval: the others; over a whole interval every user came once.
    clock.set(t0 + 60_000 + INTERVAL);
    await dispatcher.dispatch();
    expect(mine().slice(first).sort()).toEqual([...users].sort());
  });

  it('takes users no app asked about for RECONCILE_INACTIVE_DAYS off the cycle; served again, they are back', async () => {
    const DAY = 24 * HOUR;
    const { t0, clock, dispatcher, users, mine, sent, schedule } = setup('idle', { inactiveAfterMs: 90 * DAY });
    const [idle, active, enrolledBefore] = [users.slice(0, 20), users.slice(20, 40), users.slice(40)];
    await Promise.all([
      ...idle.map((userId) => schedule.serve(userId, t0 - 91 * DAY)),
      ...active.map((userId) => schedule.serve(userId, t0 - 89 * DAY)),
      // Put on the cycle before served_at was kept: its clock starts at the first walk.
      ...enrolledBefore.map((userId) => schedule.enroll(userId, t0 - 200 * DAY)),
    ]);
    clock.set(t0 + 60_000);
    const report = await dispatcher.dispatch();
    expect(report.inactive).toBe(idle.length);
    // Their turns become worker-poll's order, due once they have left, to forget the relay's copies of their transactions.
    const forget = sent.filter((m) => m.reconcile.left);
    expect(forget.map((m) => m.reconcile.user_id).sort()).toEqual([...idle].sort());
    expect(forget.every((m) => m.due_at === t0 + 60_000 + 60_000)).toBe(true);
    expect(
      mine()
        .filter((userId) => !idle.includes(userId))
        .sort(),
    ).toEqual([...active, ...enrolledBefore].sort());
    expect((await schedule.turnFacts([idle[0]!])).get(idle[0]!)?.left).toBe(true);
    expect((await schedule.turnFacts(enrolledBefore)).get(enrolledBefore[0]!)?.servedAt).toBe(t0 + 60_000);
    // Off the cycle: a whole interval on, no turn; worker-poll's enrolment (MX reporting on the user) does not put
    // it back, an app's request does.
    await Promise.all(idle.map((userId) => schedule.enroll(userId, t0 + 2 * 60_000)));
    await schedule.serve(idle[0]!, t0 + 2 * 60_000);
    sent.length = 0;
    clock.set(t0 + 60_000 + INTERVAL);
    await dispatcher.dispatch();
    expect(mine().filter((userId) => idle.includes(userId))).toEqual([idle[0]]);
  });

  it('carries the last read and whether MX pushed lately', async () => {
    const { t0, clock, dispatcher, users, sent, enrolAll, schedule } = setup('msg', { webhooksOn: false });
    await enrolAll();
    await schedule.noteRead(users[0]!, t0 - 4 * HOUR);
    clock.set(t0 + 60_000);
    await dispatcher.dispatch();
    const byUser = new Map(sent.map((m) => [m.reconcile.user_id, m.reconcile]));
    expect(byUser.get(users[0]!)).toEqual({ user_id: users[0], since: t0 - 4 * HOUR, webhooks_on: false });
    expect(byUser.get(users[1]!)).toEqual({ user_id: users[1], since: t0 - INTERVAL, webhooks_on: false });
  });

  it('passes users read, or first served, within half an interval without a turn', async () => {
    const { t0, clock, dispatcher, users, mine, schedule } = setup('recent');
    await Promise.all(users.map((userId, i) => schedule.enroll(userId, i % 2 ? t0 - INTERVAL : t0)));
    await schedule.noteRead(users[1]!, t0 - HOUR);
    clock.set(t0 + 60_000);
    const report = await dispatcher.dispatch();
    const expected = users.filter((_, i) => i % 2 === 1 && i !== 1);
    expect(mine().sort()).toEqual(expected.sort());
    expect(report.skipped).toBeGreaterThanOrEqual(users.length - expected.length);
  });

  it('sends at most RECONCILE_TURNS_PER_MINUTE a run, spread at that pace; the next runs go on where it stopped', async () => {
    const { t0, clock, dispatcher, users, mine, enrolAll } = setup('cap', { turnsPerMinute: 25 });
    await enrolAll();
    clock.set(t0 + 60_000);
    // Every shard runs in parallel: the cap counts their turns together.
    const report = await dispatcher.dispatch();
    expect(report.sent).toBe(50);
    expect(report.left).toBeGreaterThan(0);
    for (let run = 0; run < 40 && mine().length < users.length; run++) await dispatcher.dispatch();
    expect(mine().sort()).toEqual([...users].sort());
  });

  it('leaves the cursor where it was when a send fails: the next run sends the same users', async () => {
    const { t0, clock, dispatcher, users, mine, enrolAll, failSends } = setup('fail');
    await enrolAll();
    clock.set(t0 + 60_000);
    failSends(true);
    await expect(dispatcher.dispatch()).rejects.toThrow('SQS is down');
    failSends(false);
    await dispatcher.dispatch();
    expect(mine().sort()).toEqual([...users].sort());
  });

  it('sends nothing while the reconcile is off (RECONCILE_INTERVAL_MINUTES=0)', async () => {
    const { t0, clock, dispatcher, mine, enrolAll } = setup('off', { intervalMs: 0 });
    await enrolAll();
    clock.set(t0 + INTERVAL);
    expect(await dispatcher.dispatch()).toEqual({ due: 0, sent: 0, skipped: 0, inactive: 0, left: 0, overdueMs: 0 });
    expect(mine()).toEqual([]);
  });
});
