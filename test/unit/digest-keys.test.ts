import { describe, expect, it } from 'vitest';
import { DigestKeys } from '../../lib/digest-keys.ts';
import { sha256Hex } from '../../lib/hash.ts';

describe('DigestKeys', () => {
  const [current, previous] = [Buffer.alloc(32, 1), Buffer.alloc(32, 2)];

  it('digests under the current key, each purpose apart, never as a plain SHA-256', () => {
    const keys = new DigestKeys(current);
    expect(keys.of('erased user', 'bob')).toMatch(/^[0-9a-f]{64}$/);
    expect(keys.of('erased user', 'bob')).toBe(new DigestKeys(current).of('erased user', 'bob'));
    expect(keys.of('erased user', 'bob')).not.toBe(keys.of('event user', 'bob'));
    expect(keys.of('erased user', 'bob')).not.toBe(sha256Hex('bob'));
    expect(keys.of('erased user', 'bob')).not.toBe(new DigestKeys(previous).of('erased user', 'bob'));
  });

  it('answers every key held, current first, for what was digested before a rotation', () => {
    const rotated = new DigestKeys(current, [previous]);
    expect(rotated.all('erased user', 'bob')).toEqual([
      new DigestKeys(current).of('erased user', 'bob'),
      new DigestKeys(previous).of('erased user', 'bob'),
    ]);
  });
});
