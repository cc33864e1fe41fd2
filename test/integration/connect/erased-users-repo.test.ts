import { expect, it } from 'vitest';
import { ErasedUsersRepository } from '../../../lib/connect/erased-users.ts';
import { ManualClock } from '../../../lib/clock.ts';
import { DigestKeys } from '../../../lib/digest-keys.ts';
import { useLocalEngines } from '../../support/local-table.ts';

const local = useLocalEngines();

it('finds a tombstone written before a rotation of the digest key while the earlier key is held', async () => {
  const clock = new ManualClock(Date.UTC(2026, 10, 27));
  const [before, after] = [Buffer.alloc(32, 1), Buffer.alloc(32, 2)];
  const repository = (keys: DigestKeys) => new ErasedUsersRepository(local.table, clock, async () => keys);
  await repository(new DigestKeys(before)).put('dave@example.com', clock.now());
  expect(await repository(new DigestKeys(after, [before])).has('dave@example.com')).toBe(true);
  expect(await repository(new DigestKeys(after, [before])).has('erin@example.com')).toBe(false);
  // The earlier key dropped from the secret: what it digested is no longer found.
  expect(await repository(new DigestKeys(after)).has('dave@example.com')).toBe(false);
});
