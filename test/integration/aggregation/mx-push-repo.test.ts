import { expect, it } from 'vitest';
import { hourOf, MxPushRepository } from '../../../lib/aggregation/mx-push-repo.ts';
import { useLocalEngines } from '../../support/local-table.ts';

const local = useLocalEngines();

it('adds to each hour’s counters from any number of writers, and sums the hours from the one asked for on', async () => {
  const pushes = new MxPushRepository(local.table);
  const t0 = Date.UTC(2026, 10, 23, 4, 30);
  const before = hourOf(t0 - 2 * 3600_000);
  expect(await pushes.countsSince(hourOf(t0 - 3600_000))).toEqual({ pushes: 0, ends: 0, background: 0 });
  await pushes.add(before, { pushes: 100, ends: 100, background: 100 }, t0);
  await Promise.all([
    pushes.add(hourOf(t0 - 3600_000), { pushes: 2, ends: 3, background: 0 }, t0),
    pushes.add(hourOf(t0), { pushes: 4, ends: 0, background: 6 }, t0),
    pushes.add(hourOf(t0), { pushes: 1, ends: 5, background: 1 }, t0),
  ]);
  expect(await pushes.countsSince(hourOf(t0 - 3600_000))).toEqual({ pushes: 7, ends: 8, background: 7 });
  expect(hourOf(t0)).toBe('2026-11-23T04');
});
