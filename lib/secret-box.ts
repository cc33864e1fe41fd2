import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { type BoundedCache, boundedCache } from './bounded-cache.ts';
import type { Clock } from './clock.ts';
import { NexusRelayError } from './errors.ts';

/** A 256-bit data key in clear (used, never stored) and as its key source encrypted it (stored with each secret). */
export interface DataKey {
  plaintext: Uint8Array;
  encrypted: Uint8Array;
}

/** Where data keys come from: KMS deployed (lib/aws/kms-data-keys.ts), a local master key on a laptop. */
export interface DataKeySource {
  generate(): Promise<DataKey>;
  decrypt(encrypted: Uint8Array): Promise<Uint8Array>;
}

export class SecretBoxError extends NexusRelayError {
  /**
   * `unopenable`: the value itself does not open here (altered, sealed for another item or under another key, or not
   * sealed); `key_unavailable`: its data key could not be decrypted (the key source failed).
   */
  readonly kind: 'unopenable' | 'key_unavailable';

  constructor(kind: SecretBoxError['kind'], message: string, options?: { cause?: unknown }) {
    super('SECRET_BOX', message, options);
    this.name = 'SecretBoxError';
    this.kind = kind;
  }
}

/**
 * Stored form: `nxsec2.<encrypted data key>.<iv>.<ciphertext + GCM tag>`, each base64url, the ciphertext bound to
 * what it belongs to (GCM's additional data: `webhook:{id}`, `session:{user_id}`), so a sealed value copied onto
 * another item does not open there.
 */
const PREFIX = 'nxsec2.';
const TAG_BYTES = 16;
/** A data key encrypts new secrets for this long, then the next seal asks the key source for a fresh one. */
export const DATA_KEY_TTL_MS = 5 * 60_000;
/** Decrypted data keys kept per container (a webhook's secrets share the key they were sealed with). */
const OPENED_KEYS_MAX = 500;

/** The purpose each kind's data keys carry (KMS encryption context `{purpose}`); a grant on the key may require it. */
export const WEBHOOK_SECRET_PURPOSE = 'webhook-signing-secret';
export const SESSION_TOKEN_PURPOSE = 'mx-session-token';

/** What each kind of sealed value is bound to: the item it belongs to. */
export const sealedFor = {
  webhook: (webhookId: string): string => `webhook:${webhookId}`,
  session: (userId: string): string => `session:${userId}`,
  /** An idempotent answer that carries a secret, by its record. */
  answer: (recordId: string): string => `idempotency:${recordId}`,
};

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');
const unb64 = (text: string): Buffer => Buffer.from(text, 'base64url');

/**
 * Secrets at rest (webhook signing secrets, MX session tokens: one box each, over its own key): envelope encryption,
 * AES-256-GCM under a data key from `keys` (KMS deployed), each value bound to what it belongs to.
 * A data key seals new secrets for DATA_KEY_TTL_MS; opened data keys are cached (bounded, same TTL), so signing a
 * delivery costs no KMS call once its key is known.
 */
export class SecretBox {
  readonly #keys: DataKeySource;
  readonly #clock: Clock;
  #current: { key: Promise<DataKey>; until: number } | undefined;
  readonly #opened: BoundedCache<string, Uint8Array>;

  constructor(keys: DataKeySource, clock: Clock) {
    this.#keys = keys;
    this.#clock = clock;
    this.#opened = boundedCache({ max: OPENED_KEYS_MAX, ttlMs: DATA_KEY_TTL_MS, clock });
  }

  /** `secret` sealed for `binding` (what it belongs to): only `open(…, binding)` gives it back. */
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

  /** The current data key; single-flight, so seals at once in one container share one key source call. */
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

/**
 * Data keys wrapped (AES-256-GCM) by a 32-byte master key held locally: the local stack's, kept in its data
 * directory so that persisted webhooks stay readable across restarts. Never used by a deployed function.
 */
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
