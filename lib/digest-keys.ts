import { createHmac } from 'node:crypto';

/** What a keyed digest stands for: each purpose digests apart, so one digest never answers for another's. */
export type DigestPurpose = 'idempotency scope' | 'idempotency request' | 'erased user' | 'event user' | 'event origin';

/**
 * Digests of user input and user ids that nobody holding the table can reverse by guessing, as a plain SHA-256 could be
 * (decision 0029). `all` covers what was digested before a key rotation.
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
