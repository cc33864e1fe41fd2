import { expect, it } from 'vitest';
import { ReconcileRepository } from '../../../lib/aggregation/reconcile-repo.ts';
import { RECONCILE_SHARDS, shardOf } from '../../../lib/store/table.ts';
import { useLocalEngines } from '../../support/local-table.ts';

const local = useLocalEngines();
const HOUR = 3600_000;

it("books a user's turn once, answering when it was last read (or enrolled)", async () => {
  const schedule = new ReconcileRepository(local.table);
  const enrolledAt = Date.UTC(2026, 10, 24, 6);
  expect(await schedule.enroll('user-1', enrolledAt, enrolledAt + 6 * HOUR)).toBe(true);
  expect(await schedule.enroll('user-1', enrolledAt + HOUR, enrolledAt + 7 * HOUR)).toBe(false);
  const shard = shardOf('user-1', RECONCILE_SHARDS);

  const firstTurn = enrolledAt + 6 * HOUR;
  expect((await schedule.due(shard, firstTurn - 1, 10)).users).toEqual([]);
  const [due] = (await schedule.due(shard, firstTurn, 10)).users;
  expect(due).toMatchObject({ userId: 'user-1', dueAt: firstTurn });
  expect(await schedule.lastReads(['user-1', 'user-never'])).toEqual(new Map([['user-1', enrolledAt]]));
  expect(await schedule.book(due!, firstTurn + 6 * HOUR)).toBe(true);
  // Another run holding the same entry books nothing.
  expect(await schedule.book(due!, firstTurn + 6 * HOUR)).toBe(false);
  // The turn did not read MX: the last read stays the enrolment.
  expect(await schedule.lastReads(['user-1'])).toEqual(new Map([['user-1', enrolledAt]]));

  const secondTurn = firstTurn + 6 * HOUR;
  const [next] = (await schedule.due(shard, secondTurn, 10)).users;
  expect(await schedule.book(next!, secondTurn + 6 * HOUR)).toBe(true);
  expect(await schedule.noteRead('user-1', secondTurn + 1000)).toBe(true);
  expect(await schedule.lastReads(['user-1'])).toEqual(new Map([['user-1', secondTurn + 1000]]));
  expect(await schedule.noteRead('user-never', secondTurn)).toBe(false);
});

it('pages through a shard, the longest overdue first', async () => {
  const schedule = new ReconcileRepository(local.table);
  const t0 = Date.UTC(2026, 10, 24, 6);
  const users = Array.from({ length: 40 }, (_, i) => `pager-${i}`).filter((u) => shardOf(u, RECONCILE_SHARDS) === 0);
  await Promise.all(users.map((userId, i) => schedule.enroll(userId, t0, t0 + i * 1000)));
  const seen: number[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await schedule.due(0, t0 + HOUR, 3, start);
    seen.push(...page.users.filter((user) => user.userId.startsWith('pager-')).map((user) => user.dueAt));
    start = page.next;
  } while (start);
  expect(seen).toHaveLength(users.length);
  expect(seen).toEqual([...seen].sort((a, b) => a - b));
});
