import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, toEpochSeconds } from '../../../lib/clock.ts';
import { IDEMPOTENCY_RETENTION_SECONDS, IdempotencyRepository, type StoredOutcome } from '../../../lib/store/idempotency-repo.ts';
import { keys } from '../../../lib/store/table.ts';
import { useLocalEngines } from '../../support/local-table.ts';

const LEASE_MS = 30_000;
const ANSWER: StoredOutcome = { status: 202, headers: { location: '/jobs/job_1' }, body: '{"job":{"id":"job_1"}}' };

describe('IdempotencyRepository (dynalite)', () => {
  const local = useLocalEngines();
  let clock: ManualClock;
  let repo: IdempotencyRepository;
  let recordId: string;

  beforeAll(() => {
    repo = new IdempotencyRepository(local.table);
  });

  beforeEach(() => {
    clock = new ManualClock();
    recordId = randomUUID();
  });

  const claim = (holder: string, requestHash = 'hash-a') =>
    repo.claim(recordId, { requestHash, holder, now: clock.now(), leaseMs: LEASE_MS });
  const rawItem = async () =>
    (await local.table.client.send(new GetCommand({ TableName: local.table.tableName, Key: keys.idempotency(recordId) }))).Item;

  it('claims a free key as IDEMP#{id} / IDEMP, in progress, leased, kept 24 h', async () => {
    await expect(claim('holder-a')).resolves.toBe(true);
    expect(await rawItem()).toEqual({
      pk: `IDEMP#${recordId}`,
      sk: 'IDEMP',
      status: 'in_progress',
      request_hash: 'hash-a',
      holder: 'holder-a',
      lease_until: clock.now() + LEASE_MS,
      ttl: toEpochSeconds(clock.now()) + IDEMPOTENCY_RETENTION_SECONDS,
    });
    expect(await repo.find(recordId, clock.now())).toEqual({
      status: 'in_progress',
      requestHash: 'hash-a',
      leaseUntil: clock.now() + LEASE_MS,
    });
  });

  it('gives a key to exactly one of many concurrent claimants', async () => {
    const won = await Promise.all(Array.from({ length: 25 }, (_, index) => claim(`holder-${index}`)));
    expect(won.filter(Boolean)).toHaveLength(1);
    expect((await rawItem())?.holder).toBe(`holder-${won.indexOf(true)}`);
  });

  it('stores the answer for its holder only, and then refuses every claim', async () => {
    await claim('holder-a');
    await expect(repo.complete(recordId, 'holder-b', ANSWER)).resolves.toBe(false);
    await expect(repo.complete(recordId, 'holder-a', ANSWER)).resolves.toBe(true);

    expect(await repo.find(recordId, clock.now())).toEqual({ status: 'complete', requestHash: 'hash-a', outcome: ANSWER });
    expect(await rawItem()).not.toHaveProperty('holder');
    clock.advance(LEASE_MS + 1);
    await expect(claim('holder-b')).resolves.toBe(false);
    await repo.release(recordId, 'holder-a');
    expect((await repo.find(recordId, clock.now()))?.status).toBe('complete');
  });

  it('is released by its holder only, after which the key can be claimed again', async () => {
    await claim('holder-a');
    await repo.release(recordId, 'holder-b');
    expect((await rawItem())?.holder).toBe('holder-a');

    await repo.release(recordId, 'holder-a');
    expect(await rawItem()).toBeUndefined();
    await expect(claim('holder-b')).resolves.toBe(true);
  });

  it('is taken over once the lease of a holder that died has run out; the dead holder cannot complete', async () => {
    await claim('holder-a');
    clock.advance(LEASE_MS);
    await expect(claim('holder-b')).resolves.toBe(false);
    clock.advance(1);
    await expect(claim('holder-b', 'hash-b')).resolves.toBe(true);

    await expect(repo.complete(recordId, 'holder-a', ANSWER)).resolves.toBe(false);
    await repo.release(recordId, 'holder-a');
    expect(await rawItem()).toMatchObject({ holder: 'holder-b', request_hash: 'hash-b' });
  });

  it('treats a record past its ttl as absent (dynalite never deletes it) and lets it be claimed afresh', async () => {
    await claim('holder-a');
    await repo.complete(recordId, 'holder-a', ANSWER);
    clock.advance(IDEMPOTENCY_RETENTION_SECONDS * 1000 - 1_000);
    expect(await repo.find(recordId, clock.now())).toBeDefined();
    await expect(claim('holder-b')).resolves.toBe(false);

    clock.advance(1_000);
    expect(await repo.find(recordId, clock.now())).toBeUndefined();
    await expect(claim('holder-b')).resolves.toBe(true);
  });

  it('finds nothing for an unknown key and releases quietly', async () => {
    expect(await repo.find(recordId, clock.now())).toBeUndefined();
    await expect(repo.release(recordId, 'holder-a')).resolves.toBeUndefined();
  });
});
