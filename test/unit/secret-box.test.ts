import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../lib/clock.ts';
import { DATA_KEY_TTL_MS, LocalDataKeys, SecretBox, SecretBoxError, sealedFor } from '../../lib/secret-box.ts';

import { countingKeys } from '../support/session-box.ts';

const HERE = sealedFor.webhook('wh_1');

describe('SecretBox', () => {
  it('seals and opens any secret; the sealed form holds nothing of it (property)', async () => {
    const box = new SecretBox(new LocalDataKeys(randomBytes(32)), new ManualClock());
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1 }), async (secret) => {
        const sealed = await box.seal(secret, HERE);
        expect(sealed.startsWith('nxsec2.')).toBe(true);
        if (secret.length >= 4) expect(sealed).not.toContain(secret);
        expect(await box.open(sealed, HERE)).toBe(secret);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses an altered value and a value sealed under another key', async () => {
    const box = new SecretBox(new LocalDataKeys(randomBytes(32)), new ManualClock());
    const sealed = await box.seal('whsec_secret', HERE);
    const parts = sealed.split('.');
    const flipped = Buffer.from(parts[3]!, 'base64url');
    flipped[0]! ^= 1;
    await expect(box.open([...parts.slice(0, 3), flipped.toString('base64url')].join('.'), HERE)).rejects.toThrow(SecretBoxError);
    const other = new SecretBox(new LocalDataKeys(randomBytes(32)), new ManualClock());
    await expect(other.open(sealed, HERE)).rejects.toThrow(SecretBoxError);
    await expect(box.open('nxsec2.broken', HERE)).rejects.toThrow('malformed');
  });

  it('asks its key source for a data key once per DATA_KEY_TTL_MS, and opens with the cached key', async () => {
    const clock = new ManualClock();
    const { source, calls } = countingKeys();
    const box = new SecretBox(source, clock);
    const first = await Promise.all([box.seal('a', HERE), box.seal('b', HERE)]);
    expect(calls.generate).toBeGreaterThanOrEqual(1);
    const generated = calls.generate;
    await box.seal('c', HERE);
    expect(calls.generate).toBe(generated);
    expect(await box.open(first[0]!, HERE)).toBe('a');
    expect(calls.decrypt).toBe(0); // its own data key is known

    clock.advance(DATA_KEY_TTL_MS);
    await box.seal('d', HERE);
    expect(calls.generate).toBe(generated + 1);

    // Another container (a fresh box over the same key source) decrypts the data key once, then uses its cache.
    const other = new SecretBox(source, clock);
    expect(await other.open(first[0]!, HERE)).toBe('a');
    expect(await other.open(first[1]!, HERE)).toBe('b');
    expect(calls.decrypt).toBe(1);

    // An opened data key is trusted for DATA_KEY_TTL_MS on the box's clock, then decrypted again.
    clock.advance(DATA_KEY_TTL_MS - 1);
    expect(await other.open(first[0]!, HERE)).toBe('a');
    expect(calls.decrypt).toBe(1);
    clock.advance(1);
    expect(await other.open(first[0]!, HERE)).toBe('a');
    expect(calls.decrypt).toBe(2);
  });

  it('binds a sealed value to its item: opened for another item it is refused', async () => {
    const box = new SecretBox(new LocalDataKeys(randomBytes(32)), new ManualClock());
    const sealed = await box.seal('token-of-alice', sealedFor.session('alice'));
    expect(await box.open(sealed, sealedFor.session('alice'))).toBe('token-of-alice');
    await expect(box.open(sealed, sealedFor.session('mallory'))).rejects.toThrow(/sealed for another item/);
    await expect(box.open(sealed, sealedFor.webhook('alice'))).rejects.toThrow(SecretBoxError);
  });

  it('refuses a value whose tag is short (GCM takes a 16-byte tag only)', async () => {
    const box = new SecretBox(new LocalDataKeys(randomBytes(32)), new ManualClock());
    const sealed = await box.seal('whsec_secret', HERE);
    const parts = sealed.split('.');
    const short = Buffer.from(parts[3]!, 'base64url').subarray(-4);
    await expect(box.open([...parts.slice(0, 3), short.toString('base64url')].join('.'), HERE)).rejects.toMatchObject({
      kind: 'unopenable',
    });
  });

  it('refuses a value in clear or in any other form; says which failures are the key source', async () => {
    const keys = new LocalDataKeys(randomBytes(32));
    const box = new SecretBox(keys, new ManualClock());
    await expect(box.open('CLEAR-TOKEN', HERE)).rejects.toMatchObject({ kind: 'unopenable' });
    await expect(box.open('nxsec1.a.b.c', HERE)).rejects.toMatchObject({ kind: 'unopenable' });
    const sealed = await box.seal('token', HERE);
    expect(await box.open(sealed, HERE)).toBe('token');
    const failing = new SecretBox(
      { generate: () => keys.generate(), decrypt: () => Promise.reject(new Error('KMS down')) },
      new ManualClock(),
    );
    await expect(failing.open(sealed, HERE)).rejects.toMatchObject({ kind: 'key_unavailable' });
  });
});
