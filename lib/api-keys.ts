import { randomBytes } from 'node:crypto';
import { hashApiKey } from './http/auth.ts';

/** So leaked keys are recognisable by secret scanners and log reviews. */
export const API_KEY_MARKER = 'nxr_';
export const API_KEY_RANDOM_BYTES = 32;
/** Characters after the marker kept in the clear to tell keys apart. */
export const API_KEY_PREFIX_LENGTH = 8;

/** What the table keeps of a key: its SHA-256 and a short non-secret prefix. */
export interface ApiKeyMaterial {
  hash: string;
  prefix: string;
}

/** Short enough to reveal nothing useful, long enough to find the key in a list. */
export const apiKeyPrefix = (key: string): string =>
  (key.startsWith(API_KEY_MARKER) ? key.slice(API_KEY_MARKER.length) : key).slice(0, API_KEY_PREFIX_LENGTH);

/** The stored form of a key that already exists (e.g. the local stack's `LOCAL_API_KEY`). */
export const apiKeyMaterial = (key: string): ApiKeyMaterial => ({ hash: hashApiKey(key), prefix: apiKeyPrefix(key) });

/** A new key and its stored form. The key itself is shown once and never kept. */
export function generateApiKey(): ApiKeyMaterial & { key: string } {
  const key = `${API_KEY_MARKER}${randomBytes(API_KEY_RANDOM_BYTES).toString('base64url')}`;
  return { key, ...apiKeyMaterial(key) };
}
