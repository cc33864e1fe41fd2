import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { DynamoSessionLease } from '../../../lib/mx/session-lease-repo.ts';
import { keys } from '../../../lib/store/table.ts';
import { useLocalEngines } from '../../support/local-table.ts';

const LEASE_MS = 10_000;

describe('DynamoSessionLease (dynalite)', () => {
  const local = useLocalEngines();
  let clock: ManualClock;
  let lease: DynamoSessionLease;
  let userId: string;

  beforeEach(() => {
    clock = new ManualClock();
    lease = new DynamoSessionLease(local.table, clock);
    userId = `user-${randomUUID()}`;
  });

  const rawItem = async () =>
    (await local.table.client.send(new GetCommand({ TableName: local.table.tableName, Key: keys.sessionLease(userId) }))).Item;

  it('is taken when free, as USER#{id} / SESSION#LEASE with its holder and expiry', async () => {
    await expect(lease.acquire(userId, 'holder-a', LEASE_MS)).resolves.toBe(true);
    const expiresAt = clock.now() + LEASE_MS;
    expect(await rawItem()).toEqual({
      pk: `USER#${userId}`,
      sk: 'SESSION#LEASE',
      holder: 'holder-a',
      expiresAt,
      ttl: expiresAt / 1000,
    });
  });

  it('is refused to anyone else, the same holder included, until it runs out', async () => {
    await lease.acquire(userId, 'holder-a', LEASE_MS);
    await expect(lease.acquire(userId, 'holder-b', LEASE_MS)).resolves.toBe(false);
    clock.advance(LEASE_MS);
    await expect(lease.acquire(userId, 'holder-b', LEASE_MS)).resolves.toBe(false);
    await expect(lease.acquire(userId, 'holder-a', LEASE_MS)).resolves.toBe(false);
    expect((await rawItem())?.holder).toBe('holder-a');
  });

  it('can be taken over once it has run out (its holder died)', async () => {
    await lease.acquire(userId, 'holder-a', LEASE_MS);
    clock.advance(LEASE_MS + 1);
    await expect(lease.acquire(userId, 'holder-b', LEASE_MS)).resolves.toBe(true);
    expect(await rawItem()).toMatchObject({ holder: 'holder-b', expiresAt: clock.now() + LEASE_MS });
  });

  it('goes to exactly one of many concurrent takers', async () => {
    const taken = await Promise.all(Array.from({ length: 25 }, (_, index) => lease.acquire(userId, `holder-${index}`, LEASE_MS)));
    expect(taken.filter(Boolean)).toHaveLength(1);
    expect((await rawItem())?.holder).toBe(`holder-${taken.indexOf(true)}`);
  });

  it('is released by its holder only: one that overran its lease leaves its successor alone', async () => {
    await lease.acquire(userId, 'holder-a', LEASE_MS);
    clock.advance(LEASE_MS + 1);
    await lease.acquire(userId, 'holder-b', LEASE_MS);

    await lease.release(userId, 'holder-a');
    expect((await rawItem())?.holder).toBe('holder-b');

    await lease.release(userId, 'holder-b');
    expect(await rawItem()).toBeUndefined();
    await expect(lease.acquire(userId, 'holder-c', LEASE_MS)).resolves.toBe(true);
  });

  it('releases quietly when there is nothing to release', async () => {
    await expect(lease.release(userId, 'holder-a')).resolves.toBeUndefined();
  });
});
