import { expect, it } from 'vitest';
import { ReconcileRepository } from '../../../lib/aggregation/reconcile-repo.ts';
import { useLocalEngines } from '../../support/local-table.ts';

const local = useLocalEngines();
const HOUR = 3600_000;

it("claims a user's turn once, answering when its previous turn (or its enrolment) was", async () => {
  const schedule = new ReconcileRepository(local.table);
  const enrolledAt = Date.UTC(2026, 10, 24, 6);
  expect(await schedule.enroll('user-1', enrolledAt, enrolledAt + 6 * HOUR)).toBe(true);
  expect(await schedule.enroll('user-1', enrolledAt + HOUR, enrolledAt + 7 * HOUR)).toBe(false);

  const firstTurn = enrolledAt + 6 * HOUR;
  const [due] = await schedule.due(firstTurn, 10);
  expect(due?.userId).toBe('user-1');
  expect(await schedule.claim(due!, firstTurn, firstTurn + 6 * HOUR)).toEqual({ previousTurnAt: enrolledAt });
  // Another sweep holding the same entry gets nothing.
  expect(await schedule.claim(due!, firstTurn, firstTurn + 6 * HOUR)).toBeUndefined();

  const secondTurn = firstTurn + 6 * HOUR + 5 * 60_000;
  const [next] = await schedule.due(secondTurn, 10);
  expect(await schedule.claim(next!, secondTurn, secondTurn + 6 * HOUR)).toEqual({ previousTurnAt: firstTurn });
});
