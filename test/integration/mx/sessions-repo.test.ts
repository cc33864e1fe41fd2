import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, toEpochSeconds } from '../../../lib/clock.ts';
import { sha256Hex } from '../../../lib/hash.ts';
import { sealedFor } from '../../../lib/secret-box.ts';
import { DynamoSessionStore, hasFreshSession } from '../../../lib/mx/sessions-repo.ts';
import { keys } from '../../../lib/store/table.ts';
import { useLocalEngines } from '../../support/local-table.ts';
import { testSessionBox } from '../../support/session-box.ts';

const MINUTE = 60_000;

describe('DynamoSessionStore (dynalite)', () => {
  const local = useLocalEngines();
  let clock: ManualClock;
  let store: DynamoSessionStore;
  let userId: string;

  beforeEach(() => {
    clock = new ManualClock();
    store = new DynamoSessionStore(local.table, testSessionBox, clock);
    userId = `user-${randomUUID()}`;
  });

  const rawItem = async () =>
    (await local.table.client.send(new GetCommand({ TableName: local.table.tableName, Key: keys.session(userId) }))).Item;
  const session = (token: string, at = clock.now()) => ({ token, createdAt: at, lastUsedAt: at });

  it('says whether a fresh session is stored (used within the 29 minutes it is reused), a lease alone none', async () => {
    const fresh = () => hasFreshSession(local.table, userId, clock.now());
    await expect(fresh()).resolves.toBe(false);
    await store.lease(userId, 'holder', 10_000);
    await expect(fresh()).resolves.toBe(false);
    await store.put(userId, session(`SESSION-${randomUUID()}`));
    await expect(fresh()).resolves.toBe(true);
    clock.advance(29 * MINUTE - 1);
    await expect(fresh()).resolves.toBe(true);
    clock.advance(1);
    await expect(fresh()).resolves.toBe(false);
  });

  it('has nothing for an unknown user', async () => {
    await expect(store.get(userId)).resolves.toBeUndefined();
  });

  it('stores a session as USER#{id} / SESSION, its token sealed for the user, with a ttl 30 minutes past its last use', async () => {
    const token = `SESSION-${randomUUID()}`;
    await store.put(userId, session(token));

    await expect(store.get(userId)).resolves.toEqual(session(token));
    const item = await rawItem();
    expect(item).toEqual({
      pk: `USER#${userId}`,
      sk: 'SESSION',
      sealed_token: expect.stringMatching(/^nxsec2\./),
      token_sha256: sha256Hex(token),
      createdAt: clock.now(),
      lastUsedAt: clock.now(),
      ttl: toEpochSeconds(clock.now() + 30 * MINUTE),
    });
    // The token is in no attribute in clear, and opens only for its own user.
    expect(JSON.stringify(item)).not.toContain(token);
    expect(await testSessionBox.open(item!.sealed_token, sealedFor.session(userId))).toBe(token);
    await expect(testSessionBox.open(item!.sealed_token, sealedFor.session('mallory'))).rejects.toThrow();
  });

  it("reads another user's sealed token copied onto this user's item as no session, never as a token", async () => {
    await store.put('alice', session('ALICE-TOKEN'));
    const alice = (
      await local.table.client.send(new GetCommand({ TableName: local.table.tableName, Key: keys.session('alice') }))
    ).Item!;
    await local.table.client.send(
      new PutCommand({ TableName: local.table.tableName, Item: { ...alice, ...keys.session(userId) } }),
    );
    await expect(store.get(userId)).resolves.toBeUndefined();
  });

  it('reads a clear or unbound token planted where a sealed one belongs as no session', async () => {
    for (const planted of ['CLEAR-TOKEN', 'nxsec1.a.b.c']) {
      await local.table.client.send(
        new PutCommand({
          TableName: local.table.tableName,
          Item: { ...keys.session(userId), sealed_token: planted, createdAt: clock.now(), lastUsedAt: clock.now() },
        }),
      );
      await expect(store.get(userId), planted).resolves.toBeUndefined();
    }
  });

  it('reads an item stored in clear by an earlier version as no session (the next call makes one)', async () => {
    await local.table.client.send(
      new PutCommand({
        TableName: local.table.tableName,
        Item: { ...keys.session(userId), token: 'CLEAR', createdAt: clock.now(), lastUsedAt: clock.now() },
      }),
    );
    await expect(store.get(userId)).resolves.toBeUndefined();
  });

  it('treats an item past its ttl as absent (dynalite never expires anything)', async () => {
    await store.put(userId, session('T1'));
    clock.advance(30 * MINUTE);
    await expect(store.get(userId)).resolves.toBeUndefined();
  });

  it('treats a malformed item as absent', async () => {
    await local.table.client.send(
      new PutCommand({ TableName: local.table.tableName, Item: { ...keys.session(userId), token: 42 } }),
    );
    await expect(store.get(userId)).resolves.toBeUndefined();
  });

  describe('touch', () => {
    it('moves lastUsedAt and ttl forward while the token is the same', async () => {
      const createdAt = clock.now();
      await store.put(userId, session('T1'));
      clock.advance(MINUTE);

      await expect(store.touch(userId, 'T1', clock.now())).resolves.toBe(true);

      await expect(store.get(userId)).resolves.toEqual({ token: 'T1', createdAt, lastUsedAt: clock.now() });
      expect((await rawItem())?.ttl).toBe(toEpochSeconds(clock.now() + 30 * MINUTE));
    });

    it('leaves a session with another token alone', async () => {
      await store.put(userId, session('T2'));
      await expect(store.touch(userId, 'T1', clock.now() + MINUTE)).resolves.toBe(false);
      await expect(store.get(userId)).resolves.toEqual(session('T2'));
    });

    it('never moves lastUsedAt backwards', async () => {
      await store.put(userId, session('T1'));
      await expect(store.touch(userId, 'T1', clock.now() - MINUTE)).resolves.toBe(false);
      await expect(store.get(userId)).resolves.toEqual(session('T1'));
    });

    it('does not recreate a deleted session', async () => {
      await expect(store.touch(userId, 'T1', clock.now())).resolves.toBe(false);
      expect(await rawItem()).toBeUndefined();
    });
  });

  describe('delete', () => {
    it('deletes the session holding the token', async () => {
      await store.put(userId, session('T1'));
      await expect(store.delete(userId, 'T1')).resolves.toBe(true);
      expect(await rawItem()).toBeUndefined();
    });

    it('keeps a newer session when asked to delete an older token', async () => {
      await store.put(userId, session('T1'));
      clock.advance(MINUTE);
      await store.put(userId, session('T2'));

      await expect(store.delete(userId, 'T1')).resolves.toBe(false);

      await expect(store.get(userId)).resolves.toEqual(session('T2'));
    });

    it('is a no-op for a session already gone', async () => {
      await expect(store.delete(userId, 'T1')).resolves.toBe(false);
    });
  });
  describe('its creation lease, on the session item', () => {
    const LEASE_MS = 10_000;

    it('is taken when free, as leaseHolder and leaseExpiresAt on USER#{id} / SESSION', async () => {
      await expect(store.lease(userId, 'holder-a', LEASE_MS)).resolves.toBe(true);
      const expiresAt = clock.now() + LEASE_MS;
      expect(await rawItem()).toEqual({
        pk: `USER#${userId}`,
        sk: 'SESSION',
        leaseHolder: 'holder-a',
        leaseExpiresAt: expiresAt,
        ttl: toEpochSeconds(expiresAt),
      });
      // A lease alone is no session.
      await expect(store.get(userId)).resolves.toBeUndefined();
    });

    it('is refused to anyone else, the same holder included, until it runs out', async () => {
      await store.lease(userId, 'holder-a', LEASE_MS);
      await expect(store.lease(userId, 'holder-b', LEASE_MS)).resolves.toBe(false);
      clock.advance(LEASE_MS);
      await expect(store.lease(userId, 'holder-b', LEASE_MS)).resolves.toBe(false);
      await expect(store.lease(userId, 'holder-a', LEASE_MS)).resolves.toBe(false);
      expect((await rawItem())?.leaseHolder).toBe('holder-a');
    });

    it('can be taken over once it has run out (its holder died)', async () => {
      await store.lease(userId, 'holder-a', LEASE_MS);
      clock.advance(LEASE_MS + 1);
      await expect(store.lease(userId, 'holder-b', LEASE_MS)).resolves.toBe(true);
      expect(await rawItem()).toMatchObject({ leaseHolder: 'holder-b', leaseExpiresAt: clock.now() + LEASE_MS });
    });

    it('goes to exactly one of many concurrent takers', async () => {
      const taken = await Promise.all(Array.from({ length: 25 }, (_, index) => store.lease(userId, `holder-${index}`, LEASE_MS)));
      expect(taken.filter(Boolean)).toHaveLength(1);
      expect((await rawItem())?.leaseHolder).toBe(`holder-${taken.indexOf(true)}`);
    });

    it('ends when a session is stored: the next creator may take it at once', async () => {
      await store.lease(userId, 'holder-a', LEASE_MS);
      await store.put(userId, session('SESSION-A'));
      expect(await rawItem()).not.toHaveProperty('leaseHolder');
      await expect(store.lease(userId, 'holder-b', LEASE_MS)).resolves.toBe(true);
    });

    it('leaves a stored session and its ttl as they are', async () => {
      await store.put(userId, session('SESSION-A'));
      const { ttl } = (await rawItem())!;
      await store.lease(userId, 'holder-a', LEASE_MS);
      await expect(store.get(userId)).resolves.toEqual(session('SESSION-A'));
      expect((await rawItem())?.ttl).toBe(ttl);
      await store.release(userId, 'holder-a');
      expect(await rawItem()).not.toHaveProperty('leaseHolder');
      await expect(store.get(userId)).resolves.toEqual(session('SESSION-A'));
    });

    it('is released by its holder only: one that overran its lease leaves its successor alone', async () => {
      await store.lease(userId, 'holder-a', LEASE_MS);
      clock.advance(LEASE_MS + 1);
      await store.lease(userId, 'holder-b', LEASE_MS);

      await store.release(userId, 'holder-a');
      expect((await rawItem())?.leaseHolder).toBe('holder-b');

      await store.release(userId, 'holder-b');
      expect(await rawItem()).not.toHaveProperty('leaseHolder');
      await expect(store.lease(userId, 'holder-c', LEASE_MS)).resolves.toBe(true);
    });

    it('releases quietly when there is nothing to release', async () => {
      await expect(store.release(userId, 'holder-a')).resolves.toBeUndefined();
    });
  });
});
