import { randomBytes } from 'node:crypto';
import { hashApiKey } from './http/auth.ts';

/** Every generated key starts with this, so leaked keys are recognisable (secret scanners, logs reviews). */
export const API_KEY_MARKER = 'nxr_';
/** Random bytes per key: 256 bits, base64url-encoded to 43 characters after the marker. */
export const API_KEY_RANDOM_BYTES = 32;
/** Characters of the key (after the marker) kept in the clear to tell keys apart: 48 of its 256 bits. */
export const API_KEY_PREFIX_LENGTH = 8;

/** What the table keeps of a key: its SHA-256 (to authenticate) and a short non-secret prefix (to show). */
export interface ApiKeyMaterial {
  hash: string;
  prefix: string;
}

/**
 * The display prefix of a key: the first characters after `nxr_` (or of the key itself, for a key chosen by hand
 * such as `LOCAL_API_KEY`). Short enough to reveal nothing useful, long enough to find the key in a list.
 */
export const apiKeyPrefix = (key: string): string =>
  (key.startsWith(API_KEY_MARKER) ? key.slice(API_KEY_MARKER.length) : key).slice(0, API_KEY_PREFIX_LENGTH);

/** The stored form of a key that already exists (e.g. the local stack's `LOCAL_API_KEY`). */
export const apiKeyMaterial = (key: string): ApiKeyMaterial => ({ hash: hashApiKey(key), prefix: apiKeyPrefix(key) });

/** A new key, `nxr_` + base64url(32 random bytes), and its stored form. The key itself is shown once and never kept. */
export function generateApiKey(): ApiKeyMaterial & { key: string } {
  const key = `${API_KEY_MARKER}${randomBytes(API_KEY_RANDOM_BYTES).toString('base64url')}`;
  return { key, ...apiKeyMaterial(key) };
}
