import { randomBytes } from 'node:crypto';
import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { ApiKeyAuthenticator, hashApiKey } from '../../../lib/http/auth.ts';
import { HttpProblem } from '../../../lib/http/problem.ts';
import { ApiKeysRepository } from '../../../lib/store/api-keys-repo.ts';
import { keys } from '../../../lib/store/table.ts';
import { useLocalEngines } from '../../support/local-table.ts';
import { silentLog } from '../../../lib/logger.ts';

/** The authenticator against the real table (dynalite): revocation through the cache, and `last_used_at` writes. */
const MINUTE = 60_000;
const CACHE_TTL_MS = 60_000;

describe('API key authentication (dynalite)', () => {
  const local = useLocalEngines();
  let clock: ManualClock;
  let repo: ApiKeysRepository;
  let key: string;
  let hash: string;

  beforeEach(async () => {
    clock = new ManualClock();
    repo = new ApiKeysRepository(local.table);
    key = `nxr_${randomBytes(24).toString('base64url')}`;
    hash = hashApiKey(key);
    await repo.put({ hash, name: 'app', createdAt: new Date(clock.now()).toISOString() });
  });

  const item = async () =>
    (await local.table.client.send(new GetCommand({ TableName: local.table.tableName, Key: keys.apiKey(hash) }))).Item;
  const status = (promise: Promise<unknown>) =>
    promise.then(
      () => 200,
      (error: unknown) => (error instanceof HttpProblem ? error.status : Promise.reject(error)),
    );

  it(`a revoked key is still accepted within the ${CACHE_TTL_MS / 1000} s cache TTL and refused (401) after it`, async () => {
    const authenticator = new ApiKeyAuthenticator(repo, clock, { cacheTtlMs: CACHE_TTL_MS, log: silentLog });
    expect(await authenticator.authenticate(`Bearer ${key}`)).toEqual({ keyId: hash, keyName: 'app', userId: undefined });

    expect((await repo.revoke(hash, new Date(clock.now()).toISOString())).outcome).toBe('revoked');
    clock.advance(CACHE_TTL_MS - 1);
    expect(await status(authenticator.authenticate(`Bearer ${key}`))).toBe(200);
    clock.advance(1);
    expect(await status(authenticator.authenticate(`Bearer ${key}`))).toBe(401);
    // A fresh container (cold cache) refuses it at once.
    expect(await status(new ApiKeyAuthenticator(repo, clock, { log: silentLog }).authenticate(`Bearer ${key}`))).toBe(401);
  });

  it('revokes by the display prefix as the CLI shows it: with or without nxr_, and its trailing ellipsis or dots', async () => {
    const at = new Date(clock.now()).toISOString();
    for (const [i, shown] of ['nxr_pfx0…', 'pfx1...', 'nxr_pfx2', 'pfx3'].entries()) {
      const other = hashApiKey(`nxr_${randomBytes(24).toString('base64url')}`);
      await repo.put({ hash: other, name: `shown-${i}`, createdAt: at, prefix: `pfx${i}` });
      expect(await repo.revoke(shown, at)).toMatchObject({ outcome: 'revoked' });
      expect((await repo.get(other))?.revokedAt).toBe(at);
    }
  });

  it('records last_used_at at most once per key per 5 minutes, across containers', async () => {
    const writes: boolean[] = [];
    const counting = {
      get: (h: string) => repo.get(h),
      recordUse: async (...args: Parameters<ApiKeysRepository['recordUse']>) => {
        const written = await repo.recordUse(...args);
        writes.push(written);
        return written;
      },
    };
    const options = { lastUsedIntervalMs: 5 * MINUTE, log: silentLog };
    const containerA = new ApiKeyAuthenticator(counting, clock, options);
    const containerB = new ApiKeyAuthenticator(counting, clock, options);
    const start = clock.now();
    const use = async (container: ApiKeyAuthenticator) => {
      await container.authenticate(`Bearer ${key}`);
      await container.settled();
    };

    expect((await item())!.last_used_at).toBeUndefined();
    await use(containerA);
    expect((await item())!.last_used_at).toBe(new Date(start).toISOString());

    // Within the interval: container A attempts no write; container B (its own cache) may attempt one, and the
    // condition holds it off.
    clock.advance(MINUTE);
    await use(containerA);
    await use(containerB);
    expect(writes[0]).toBe(true);
    expect(writes.slice(1)).toEqual(writes.length === 2 ? [false] : []);
    expect((await item())!.last_used_at).toBe(new Date(start).toISOString());

    // Past the interval, 20 requests at once in each container: one write lands.
    const before = writes.length;
    clock.set(start + 5 * MINUTE + 1);
    await Promise.all(
      [containerA, containerB].flatMap((container) => Array.from({ length: 20 }, () => container.authenticate(`Bearer ${key}`))),
    );
    await Promise.all([containerA.settled(), containerB.settled()]);
    const after = writes.slice(before);
    expect(after.filter(Boolean)).toEqual([true]);
    expect(after.length).toBeLessThanOrEqual(2);
    expect((await item())!.last_used_at).toBe(new Date(start + 5 * MINUTE + 1).toISOString());
  });

  it('an item an UpdateItem made on an absent key (all a function may write there) is no key', async () => {
    const forged = `nxr_${randomBytes(24).toString('base64url')}`;
    await local.table.client.send(
      new UpdateCommand({
        TableName: local.table.tableName,
        Key: keys.apiKey(hashApiKey(forged)),
        UpdateExpression: 'SET last_used_at = :at',
        ExpressionAttributeValues: { ':at': new Date(clock.now()).toISOString() },
      }),
    );
    const authenticator = new ApiKeyAuthenticator(repo, clock, { log: silentLog });
    expect(await status(authenticator.authenticate(`Bearer ${forged}`))).toBe(401);
    expect(await status(authenticator.authenticate(`Bearer ${key}`))).toBe(200);
  });

  it('recordUse neither recreates a deleted key nor moves last_used_at back', async () => {
    const at = (ms: number) => new Date(clock.now() + ms).toISOString();
    expect(await repo.recordUse(hash, at(0), at(-5 * MINUTE))).toBe(true);
    expect(await repo.recordUse(hash, at(-MINUTE), at(-6 * MINUTE))).toBe(false);
    expect((await item())!.last_used_at).toBe(at(0));

    await local.table.client.send(new DeleteCommand({ TableName: local.table.tableName, Key: keys.apiKey(hash) }));
    expect(await repo.recordUse(hash, at(10 * MINUTE), at(5 * MINUTE))).toBe(false);
    expect(await item()).toBeUndefined();
  });
});
