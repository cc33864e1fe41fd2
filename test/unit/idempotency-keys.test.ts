import { testDigestKeys, testDigests } from '../support/digest-keys.ts';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../lib/clock.ts';
import { canonicalJson, digestOf } from '../../lib/hash.ts';
import { DigestKeys } from '../../lib/digest-keys.ts';
import { IdempotencyKeys } from '../../lib/idempotency-keys.ts';
import { MemoryIdempotencyStore } from '../support/memory-idempotency-store.ts';

const LEASE_MS = 30_000;

function setUp() {
  const clock = new ManualClock();
  const store = new MemoryIdempotencyStore();
  return { clock, store, keys: new IdempotencyKeys(store, clock, LEASE_MS, testDigests) };
}

describe('IdempotencyKeys: one primitive for HTTP requests and queue messages', () => {
  it('claims a new key, then tells a repeat it is in progress, then answers it with the stored outcome', async () => {
    const { keys } = setUp();
    const first = await keys.claim<{ kind: string }>(['scope', 'k1'], { a: 1 });
    expect(first.state).toBe('claimed');
    expect((await keys.claim(['scope', 'k1'], { a: 1 })).state).toBe('in_progress');
    if (first.state === 'claimed') expect(await first.key.complete({ kind: 'started' })).toBe(true);
    expect(await keys.claim(['scope', 'k1'], { a: 1 })).toEqual({ state: 'completed', outcome: { kind: 'started' } });
  });

  it('tells a key used for another request apart, whatever the key order of the fingerprint', async () => {
    const { keys } = setUp();
    await keys.claim(['scope', 'k1'], { a: 1, b: 2 });
    expect((await keys.claim(['scope', 'k1'], { b: 2, a: 1 })).state).toBe('in_progress');
    expect((await keys.claim(['scope', 'k1'], { a: 1, b: 3 })).state).toBe('reused');
    expect((await keys.claim(['other scope', 'k1'], { a: 1, b: 3 })).state).toBe('claimed');
  });

  it('stores no plain digest of what was sent; after a rotation of the digest key, a record from before still answers', async () => {
    const clock = new ManualClock();
    const store = new MemoryIdempotencyStore();
    const [before, after] = [Buffer.alloc(32, 1), Buffer.alloc(32, 2)];
    const old = new IdempotencyKeys(store, clock, LEASE_MS, async () => new DigestKeys(before));
    const first = await old.claim(['scope', 'k1'], { password: 'sunshine1' });
    if (first.state === 'claimed') await first.key.complete({ kind: 'created' });
    expect(JSON.stringify([...store.records.entries()])).not.toContain(digestOf({ password: 'sunshine1' }));
    const rotated = new IdempotencyKeys(store, clock, LEASE_MS, async () => new DigestKeys(after, [before]));
    expect(await rotated.claim(['scope', 'k1'], { password: 'sunshine1' })).toEqual({
      state: 'completed',
      outcome: { kind: 'created' },
    });
    expect((await rotated.claim(['scope', 'k1'], { password: 'other' })).state).toBe('reused');
    // Once the earlier key leaves the secret, the key is new again.
    const later = new IdempotencyKeys(store, clock, LEASE_MS, async () => new DigestKeys(after));
    expect((await later.claim(['scope', 'k1'], { password: 'sunshine1' })).state).toBe('claimed');
  });

  it('frees a released key for the retry, and a dead execution’s key once its lease runs out', async () => {
    const { keys, clock } = setUp();
    const first = await keys.claim(['s', 'k'], 1);
    if (first.state === 'claimed') await first.key.release();
    const second = await keys.claim(['s', 'k'], 1);
    expect(second.state).toBe('claimed');
    clock.advance(LEASE_MS + 1);
    const third = await keys.claim<{ n: number }>(['s', 'k'], 1);
    expect(third.state).toBe('claimed');
    // The execution that overran its lease can no longer complete or release its successor's key.
    if (second.state === 'claimed') expect(await second.key.complete({ n: 2 })).toBe(false);
  });

  it('stores keyed digests only: neither the key nor the request in clear, nor their plain digests', async () => {
    const { keys, store } = setUp();
    await keys.claim(['client-a', 'POST', 'order-42'], { card: 'secret-ish' });
    expect(store.claims[0]).toMatchObject({
      recordId: testDigestKeys.of('idempotency scope', canonicalJson(['client-a', 'POST', 'order-42'])),
      requestHash: testDigestKeys.of('idempotency request', canonicalJson({ card: 'secret-ish' })),
    });
    expect(JSON.stringify(store.claims)).not.toContain(digestOf(['client-a', 'POST', 'order-42']));
    expect(JSON.stringify(store.claims)).not.toContain(digestOf({ card: 'secret-ish' }));
    expect(JSON.stringify(store.claims)).not.toContain('order-42');
    expect(JSON.stringify(store.claims)).not.toContain('secret-ish');
  });
});
