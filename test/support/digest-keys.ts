import { DigestKeys } from '../../lib/digest-keys.ts';
import { parseConfig } from '../../lib/config.ts';

/** Digest keys for tests that build parts by hand (the stack's own come from its secret or local key). */
export const testDigestKeys = new DigestKeys(Buffer.alloc(32, 7));
export const testDigests = async () => testDigestKeys;

/** The digest keys of the local stack this process runs (its LOCAL_SECRETS_KEY, as every function derives them). */
export function localStackDigestKeys(): DigestKeys {
  const key = parseConfig(process.env, ['digests']).digests.key;
  if (!key || !('localKey' in key)) throw new Error('no local stack in this process: LOCAL_SECRETS_KEY is not set');
  return new DigestKeys(key.localKey);
}
