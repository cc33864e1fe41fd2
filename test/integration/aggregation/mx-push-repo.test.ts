import { expect, it } from 'vitest';
import { MxPushRepository } from '../../../lib/store/mx-push-repo.ts';
import { useLocalEngines } from '../../support/local-table.ts';

const local = useLocalEngines();

it('keeps the latest push time: absent at first, moved forward only', async () => {
  const pushes = new MxPushRepository(local.table);
  expect(await pushes.lastPushAt()).toBeUndefined();
  await pushes.recordPush(2_000);
  expect(await pushes.lastPushAt()).toBe(2_000);
  await pushes.recordPush(1_000);
  expect(await pushes.lastPushAt()).toBe(2_000);
  await pushes.recordPush(3_000);
  expect(await pushes.lastPushAt()).toBe(3_000);
});
