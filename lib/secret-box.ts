import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { type BoundedCache, boundedCache } from './bounded-cache.ts';
import type { Clock } from './clock.ts';
import { NexusRelayError } from './errors.ts';

/** A 256-bit data key in clear (used, never stored) and encrypted by its key source (stored with each secret). */
export interface DataKey {
  plaintext: Uint8Array;
  encrypted: Uint8Array;
}

/** KMS when deployed, a local master key on a laptop. */
export interface DataKeySource {
  generate(): Promise<DataKey>;
  decrypt(encrypted: Uint8Array): Promise<Uint8Array>;
}

export class SecretBoxError extends NexusRelayError {
  /** `unopenable`: the value itself does not open here; `key_unavailable`: the key source failed to decrypt its data key. */
  readonly kind: 'unopenable' | 'key_unavailable';

  constructor(kind: SecretBoxError['kind'], message: string, options?: { cause?: unknown }) {
    super('SECRET_BOX', message, options);
    this.name = 'SecretBoxError';
    this.kind = kind;
  }
}

/** Stored form: `nxsec2.<encrypted data key>.<iv>.<ciphertext + GCM tag>`, each base64url. */
const PREFIX = 'nxsec2.';
const TAG_BYTES = 16;
/** A data key seals new secrets for this long, then the next seal asks for a fresh one. */
export const DATA_KEY_TTL_MS = 5 * 60_000;
const OPENED_KEYS_MAX = 500;

/** The KMS encryption context `{purpose}` of each kind's data keys; a grant on the key may require it. */
export const WEBHOOK_SECRET_PURPOSE = 'webhook-signing-secret';
export const SESSION_TOKEN_PURPOSE = 'mx-session-token';
/** MX's answers to relayed writes, stored for their Idempotency-Key (under the session tokens' key). */
export const MX_ANSWER_PURPOSE = 'mx-answer';

/** What each kind of sealed value is bound to (GCM's additional data), so a value copied onto another item does not open. */
export const sealedFor = {
  webhook: (webhookId: string): string => `webhook:${webhookId}`,
  session: (userId: string): string => `session:${userId}`,
  answer: (recordId: string): string => `idempotency:${recordId}`,
};

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');
const unb64 = (text: string): Buffer => Buffer.from(text, 'base64url');

/**
 * Secrets at rest: envelope encryption, AES-256-GCM under a data key from `keys`, each value bound to what it belongs to.
 * Opened data keys are cached, so signing a delivery costs no KMS call once its key is known.
 */
export class SecretBox {
  readonly #keys: DataKeySource;
  readonly #clock: Clock;
  #current: { key: Promise<DataKey>; until: number } | undefined;
  readonly #opened: BoundedCache<string, Uint8Array>;

  /** `openedKeyTtlMs`: how long an opened data key is kept (as long as `keys` seals under one, at least). */
  constructor(keys: DataKeySource, clock: Clock, { openedKeyTtlMs = DATA_KEY_TTL_MS }: { openedKeyTtlMs?: number } = {}) {
    this.#keys = keys;
    this.#clock = clock;
    this.#opened = boundedCache({ max: OPENED_KEYS_MAX, ttlMs: openedKeyTtlMs, clock });
  }

  /** Only `open(…, binding)` gives `secret` back. */
  async seal(secret: string, binding: string): Promise<string> {
    const key = await this.#dataKey();
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key.plaintext, iv);
    cipher.setAAD(Buffer.from(binding, 'utf8'));
    const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${PREFIX}${b64(key.encrypted)}.${b64(iv)}.${b64(sealed)}`;
  }

  async open(stored: string, binding: string): Promise<string> {
    if (!stored.startsWith(PREFIX)) throw new SecretBoxError('unopenable', 'This value is not sealed as this box seals.');
    const [encryptedKey, iv, sealed] = stored.slice(PREFIX.length).split('.');
    if (!encryptedKey || !iv || !sealed) throw new SecretBoxError('unopenable', 'A sealed secret is malformed.');
    const bytes = unb64(sealed);
    if (bytes.length < TAG_BYTES) throw new SecretBoxError('unopenable', 'A sealed secret is malformed.');
    const key = await this.#openKey(encryptedKey);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, unb64(iv), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(binding, 'utf8'));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch (error) {
      throw new SecretBoxError(
        'unopenable',
        'A sealed secret could not be opened (wrong key, altered value, or sealed for another item).',
        {
          cause: error,
        },
      );
    }
  }

  /** Single-flight: concurrent seals share one key source call. */
  #dataKey(): Promise<DataKey> {
    const now = this.#clock.now();
    if (!this.#current || this.#current.until <= now) {
      const key = this.#keys.generate().then((generated) => {
        this.#opened.set(b64(generated.encrypted), generated.plaintext);
        return generated;
      });
      // A failed call is not kept: the next seal asks again.
      key.catch(() => {
        if (this.#current?.key === key) this.#current = undefined;
      });
      this.#current = { key, until: now + DATA_KEY_TTL_MS };
    }
    return this.#current.key;
  }

  async #openKey(encryptedKey: string): Promise<Uint8Array> {
    const known = this.#opened.get(encryptedKey);
    if (known) return known;
    let plaintext: Uint8Array;
    try {
      plaintext = await this.#keys.decrypt(unb64(encryptedKey));
    } catch (error) {
      throw new SecretBoxError('key_unavailable', 'The data key of a sealed secret could not be decrypted.', { cause: error });
    }
    this.#opened.set(encryptedKey, plaintext);
    return plaintext;
  }
}

/** Data keys wrapped by the local stack's master key, kept so persisted webhooks survive restarts. Never used deployed. */
export class LocalDataKeys implements DataKeySource {
  readonly #master: Buffer;

  constructor(masterKey: Uint8Array) {
    if (masterKey.length !== 32) throw new SecretBoxError('key_unavailable', 'The local secrets key must be 32 bytes.');
    this.#master = Buffer.from(masterKey);
  }

  async generate(): Promise<DataKey> {
    const plaintext = randomBytes(32);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#master, iv);
    const wrapped = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return { plaintext, encrypted: Buffer.concat([iv, wrapped]) };
  }

  async decrypt(encrypted: Uint8Array): Promise<Uint8Array> {
    const bytes = Buffer.from(encrypted);
    const decipher = createDecipheriv('aes-256-gcm', this.#master, bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    return Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]);
  }
}
