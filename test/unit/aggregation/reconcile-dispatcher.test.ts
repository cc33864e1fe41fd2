import { describe, expect, it } from 'vitest';
import { ReconcileDispatcher } from '../../../lib/aggregation/reconcile-dispatcher.ts';
import type { DueUser } from '../../../lib/aggregation/reconcile-repo.ts';
import { ManualClock } from '../../../lib/clock.ts';
import { silentLog } from '../../../lib/logger.ts';
import { noMetrics } from '../../../lib/metrics.ts';
import type { ReconcileMessage } from '../../../lib/queue/poll-message.ts';

const HOUR = 3600_000;
const NOW = Date.UTC(2026, 10, 25, 12);
const INTERVAL = 6 * HOUR;

/** A dispatcher over an in-memory schedule of `users`, every one due, the first the longest overdue. */
function dispatcherOver(
  users: { userId: string; lastReadAt?: number }[],
  options: { turnsPerMinute?: number; webhooksOn?: boolean; failSends?: boolean; intervalMs?: number } = {},
) {
  const clock = new ManualClock(NOW);
  const entries = new Map<string, DueUser>(
    users.map((user, i) => [user.userId, { userId: user.userId, dueKey: `k${i}`, dueAt: NOW - (users.length - i) * 1000 }]),
  );
  const booked: { userId: string; nextDueAt: number }[] = [];
  const sent: ReconcileMessage[] = [];
  const dispatcher = new ReconcileDispatcher({
    schedule: {
      async due(_shard, now, limit, start) {
        // As DynamoDB pages: from past the last key of the page before (a user booked meanwhile has moved on).
        const after = (start?.dueAt as number | undefined) ?? Number.NEGATIVE_INFINITY;
        const due = [...entries.values()]
          .filter((user) => user.dueAt <= now && user.dueAt > after)
          .sort((a, b) => a.dueAt - b.dueAt);
        const page = due.slice(0, limit);
        return limit < due.length ? { users: page, next: { dueAt: page.at(-1)!.dueAt } } : { users: page };
      },
      async lastReads(userIds) {
        return new Map(
          users.filter((u) => userIds.includes(u.userId) && u.lastReadAt !== undefined).map((u) => [u.userId, u.lastReadAt!]),
        );
      },
      async book(user, nextDueAt) {
        if (entries.get(user.userId)?.dueKey !== user.dueKey) return false;
        entries.set(user.userId, { ...user, dueKey: `${user.dueKey}'`, dueAt: nextDueAt });
        booked.push({ userId: user.userId, nextDueAt });
        return true;
      },
    },
    pushes: { countsSince: async () => ({ pushes: 0, ends: 0, background: options.webhooksOn === false ? 0 : 1 }) },
    queue: {
      async scheduleAll(messages) {
        if (options.failSends) throw new Error('SQS is down');
        sent.push(...messages);
      },
    },
    intervalMs: options.intervalMs ?? INTERVAL,
    turnsPerMinute: options.turnsPerMinute ?? 500,
    periodMs: 2 * 60_000,
    budgetMs: 40_000,
    clock,
    log: silentLog,
    metrics: noMetrics,
    shards: 1,
  });
  return { dispatcher, booked, sent };
}

describe('ReconcileDispatcher', () => {
  it('sends each due user’s turn with its last read and whether MX pushed lately, then books its next turn', async () => {
    const { dispatcher, booked, sent } = dispatcherOver([
      { userId: 'read-before', lastReadAt: NOW - 7 * HOUR },
      { userId: 'new' },
    ]);
    expect(await dispatcher.dispatch()).toEqual({ due: 2, sent: 2, left: 0, overdueMs: 2000 });
    expect(sent.map((message) => message.reconcile)).toEqual([
      { user_id: 'read-before', since: NOW - 7 * HOUR, webhooks_on: true },
      { user_id: 'new', webhooks_on: true },
    ]);
    expect(booked).toEqual([
      { userId: 'read-before', nextDueAt: NOW + INTERVAL },
      { userId: 'new', nextDueAt: NOW + INTERVAL },
    ]);
    // Dispatched again before the next turn: nothing.
    expect(await dispatcher.dispatch()).toMatchObject({ due: 0, sent: 0 });
    const off = dispatcherOver([{ userId: 'u' }], { webhooksOn: false });
    await off.dispatcher.dispatch();
    expect(off.sent[0]!.reconcile.webhooks_on).toBe(false);
  });

  it('sends at most RECONCILE_TURNS_PER_MINUTE over its period, spread at that pace; the rest stay due for the next run', async () => {
    const users = Array.from({ length: 250 }, (_, i) => ({ userId: `u${i}` }));
    const { dispatcher, sent, booked } = dispatcherOver(users, { turnsPerMinute: 60 });
    expect(await dispatcher.dispatch()).toMatchObject({ due: 200, sent: 120, left: 130 });
    expect(sent).toHaveLength(120);
    expect(booked).toHaveLength(120);
    expect(sent.map((message) => message.due_at - NOW)).toEqual(Array.from({ length: 120 }, (_, i) => i * 1000));
    // The next run takes the users left, the longest overdue first.
    expect((await dispatcher.dispatch()).sent).toBe(120);
    expect(sent.slice(120).map((message) => message.reconcile.user_id)).toEqual(users.slice(120, 240).map((u) => u.userId));
  });

  it('sends nothing while the reconcile is off (RECONCILE_INTERVAL_MINUTES=0), whoever is on the schedule', async () => {
    const { dispatcher, sent, booked } = dispatcherOver([{ userId: 'u' }], { intervalMs: 0 });
    expect(await dispatcher.dispatch()).toEqual({ due: 0, sent: 0, left: 0, overdueMs: 0 });
    expect([sent, booked]).toEqual([[], []]);
  });

  it('books a turn only once it is queued: a failed send leaves the user due', async () => {
    const { dispatcher, booked } = dispatcherOver([{ userId: 'u' }], { failSends: true });
    await expect(dispatcher.dispatch()).rejects.toThrow('SQS is down');
    expect(booked).toEqual([]);
  });
});
