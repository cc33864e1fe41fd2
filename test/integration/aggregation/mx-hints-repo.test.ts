import { expect, it } from 'vitest';
import { MxHintsRepository } from '../../../lib/aggregation/mx-hints-repo.ts';
import { useLocalEngines } from '../../support/local-table.ts';

const local = useLocalEngines();
const T0 = Date.UTC(2026, 10, 27, 12);
const hint = (memberGuid: string) => ({ kind: 'aggregation' as const, memberGuid, background: false });

it('gathers hints for one read; a hint that comes while the read runs is not lost, even for a guid it took', async () => {
  const hints = new MxHintsRepository(local.table);
  const user = 'hints-race';
  expect(await hints.add(user, hint('MBR-1'), T0 + 3_000, T0)).toEqual({ first: true });
  expect(await hints.add(user, hint('MBR-2'), T0 + 3_100, T0 + 100)).toEqual({ first: false });
  const taken = await hints.take(user, T0 + 3_000);
  expect(taken?.aggregated).toEqual(['MBR-1', 'MBR-2']);
  // MX aggregates MBR-1 again while the read runs: its webhook schedules the next read.
  expect(await hints.add(user, hint('MBR-1'), T0 + 6_000, T0 + 3_500)).toEqual({ first: true });
  await hints.done(user, taken!);
  expect((await hints.take(user, T0 + 6_000))?.aggregated).toEqual(['MBR-1', 'MBR-2']);
});

it('a read taken and done leaves nothing; a read that could not be scheduled is asked for again', async () => {
  const hints = new MxHintsRepository(local.table);
  const user = 'hints-unscheduled';
  expect(await hints.add(user, hint('MBR-1'), T0 + 3_000, T0)).toEqual({ first: true });
  // The send of its read failed: undone, the report's retry schedules it.
  await hints.unschedule(user, T0 + 3_000);
  expect(await hints.add(user, hint('MBR-1'), T0 + 4_000, T0 + 1_000)).toEqual({ first: true });
  const taken = await hints.take(user, T0 + 4_000);
  await hints.done(user, taken!);
  expect(await hints.take(user, T0 + 5_000)).toMatchObject({ aggregated: [], statuses: [] });
});

it('a read due long ago that never came is scheduled again by the next hint, and later hints coalesce into it', async () => {
  const hints = new MxHintsRepository(local.table);
  const user = 'hints-lost';
  expect(await hints.add(user, hint('MBR-1'), T0 + 3_000, T0)).toEqual({ first: true });
  // Its message lost: ten minutes on, a hint finds it overdue.
  expect(await hints.add(user, hint('MBR-2'), T0 + 603_000, T0 + 600_000)).toEqual({ first: true });
  expect(await hints.add(user, hint('MBR-3'), T0 + 603_500, T0 + 600_500)).toEqual({ first: false });
  expect((await hints.take(user, T0 + 603_000))?.aggregated).toEqual(['MBR-1', 'MBR-2', 'MBR-3']);
});
