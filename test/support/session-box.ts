import { randomBytes } from 'node:crypto';
import { ManualClock } from '../../lib/clock.ts';
import { type DataKeySource, LocalDataKeys, SecretBox } from '../../lib/secret-box.ts';

/**
 * A session-token box over a key of the test process's own, as the local stack's: every store and client a test
 * file builds shares it, so one "container" opens what another sealed.
 */
export const testSessionBox = new SecretBox(new LocalDataKeys(randomBytes(32)), new ManualClock());

/** A key source over its own master key that counts its calls (as KMS would bill them). */
export function countingKeys() {
  const inner = new LocalDataKeys(randomBytes(32));
  const calls = { generate: 0, decrypt: 0 };
  const source: DataKeySource = {
    generate: () => (calls.generate++, inner.generate()),
    decrypt: (encrypted) => (calls.decrypt++, inner.decrypt(encrypted)),
  };
  return { source, calls };
}
