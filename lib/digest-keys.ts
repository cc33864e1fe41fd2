import { createHmac } from 'node:crypto';

/** What a keyed digest stands for: each purpose digests apart, so one digest never answers for another's. */
export type DigestPurpose = 'idempotency scope' | 'idempotency request' | 'erased user' | 'event user' | 'event origin';

/**
 * Digests nobody holding the table (or a backup) can reverse by guessing: HMAC-SHA256 under the stack's digest key,
 * for what users send (an idempotent request, credentials and MFA answers included) and for user ids. A plain SHA-256
 * of either gave `bob.smith`/`sunshine1` back in 14 guesses. `of` digests under the current key; `all` under every
 * key still held, current first, for what was digested before a rotation (docs/security.md → Digests).
 *
 * @example
 * const keys = new DigestKeys(current, [previous]);
 * keys.of('erased user', 'bob');  // the tombstone's key now
 * keys.all('erased user', 'bob'); // [now, before the rotation]
 */
export class DigestKeys {
  readonly #keys: readonly Buffer[];

  constructor(current: Buffer, previous: readonly Buffer[] = []) {
    this.#keys = [current, ...previous];
  }

  /** Lowercase hex, under the current key. */
  of(purpose: DigestPurpose, value: string): string {
    return hmac(this.#keys[0]!, purpose, value);
  }

  /** Under every key held, current first. */
  all(purpose: DigestPurpose, value: string): string[] {
    return this.#keys.map((key) => hmac(key, purpose, value));
  }
}

const hmac = (key: Buffer, purpose: DigestPurpose, value: string): string =>
  createHmac('sha256', key).update(`${purpose}\n${value}`, 'utf8').digest('hex');
