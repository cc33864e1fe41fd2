import { timingSafeEqual } from 'node:crypto';
import { type BoundedCache, boundedCache } from '../bounded-cache.ts';
import { type Clock, toIso } from '../clock.ts';
import { sha256Bytes, sha256Hex } from '../hash.ts';
import type { Log } from '../logger.ts';
import type { ApiKeyRecord } from '../store/api-keys-repo.ts';
import { HttpProblem } from './problem.ts';

/** Who is calling: a server key (any user) or a client-app key bound to one user. */
export interface Principal {
  /** The key's SHA-256. What a key earns (an idempotent answer) is scoped by it, never by `keyName`, which is not unique. */
  keyId: string;
  keyName: string;
  userId?: string;
}

export interface ApiKeyLookup {
  get(hash: string): Promise<ApiKeyRecord | undefined>;
  /** Sets `last_used_at` unless a use after `threshold` is already recorded (or the key is gone); true when it wrote. */
  recordUse?(hash: string, at: string, threshold: string, options?: { abortSignal?: AbortSignal }): Promise<boolean>;
}

export const hashApiKey = (key: string): string => sha256Hex(key);

/** `crypto.timingSafeEqual`'s contract: both buffers have the same length. */
export type ConstantTimeCompare = (a: Buffer, b: Buffer) => boolean;

/**
 * Whether two secrets are equal, in a time that reveals neither where they differ nor their lengths (digests compared
 * in constant time). Use it wherever a presented secret meets an expected one.
 */
export function secretsEqual(
  given: string | Buffer,
  expected: string | Buffer,
  compare: ConstantTimeCompare = timingSafeEqual,
): boolean {
  return compare(sha256Bytes(given), sha256Bytes(expected));
}

export interface ApiKeyAuthenticatorOptions {
  /** How long a lookup (hit or miss) is trusted: also how long a revoked key keeps working in a warm container. */
  cacheTtlMs?: number;
  /** `last_used_at` is written at most once per key per this interval (per container, and across containers). */
  lastUsedIntervalMs?: number;
  maxCachedKeys?: number;
  /** Kept apart from known keys: a flood of random keys evicts only earlier misses. */
  maxCachedMisses?: number;
  recordUseTimeoutMs?: number;
  log: Log;
}

interface KnownKey {
  principal: Principal;
  /** The latest use recorded, in the table or by this container. */
  lastUsedAt: number | undefined;
}

const MINUTE = 60_000;

/**
 * Resolves `Authorization: Bearer <key>` to a principal, looked up by its SHA-256 and checked with `secretsEqual`. Hits
 * and misses are cached apart, each bounded, so a flood of wrong keys neither grows memory nor evicts the keys in use.
 *
 * `last_used_at` is written at most once per interval, conditionally, and not awaited: a frozen container costs at most
 * one late or lost update. A failure is logged, never thrown, and forgets the claim. `settled()` drains the writes.
 */
export class ApiKeyAuthenticator {
  readonly #known: BoundedCache<string, KnownKey>;
  readonly #misses: BoundedCache<string, true>;
  readonly #pending = new Set<Promise<void>>();
  /** So concurrent requests with one key make one read. */
  readonly #reading = new Map<string, Promise<KnownKey | undefined>>();
  readonly #lastUsedIntervalMs: number;
  readonly #recordUseTimeoutMs: number;
  readonly #log: Log;

  constructor(
    private readonly keys: ApiKeyLookup,
    private readonly clock: Clock,
    options: ApiKeyAuthenticatorOptions,
  ) {
    const ttlMs = options.cacheTtlMs ?? MINUTE;
    this.#known = boundedCache({ max: options.maxCachedKeys ?? 10_000, ttlMs, clock });
    this.#misses = boundedCache({ max: options.maxCachedMisses ?? 256, ttlMs, clock });
    this.#lastUsedIntervalMs = options.lastUsedIntervalMs ?? 5 * MINUTE;
    this.#recordUseTimeoutMs = options.recordUseTimeoutMs ?? 3_000;
    this.#log = options.log;
  }

  async authenticate(authorization: string | undefined): Promise<Principal> {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    if (token === undefined) throw new HttpProblem('unauthorized', 'Send the API key as `Authorization: Bearer <key>`.');
    if (token.length < 16 || token.length > 512) throw new HttpProblem('unauthorized', 'The API key is unknown or revoked.');
    const hash = hashApiKey(token);
    const now = this.clock.now();
    // An expired entry stays until the look-up replaces it: the use it recorded is carried over.
    const entry = this.#known.get(hash, { noDeleteOnStaleGet: true }) ?? (await this.#lookUpOnce(hash));
    if (!entry) throw new HttpProblem('unauthorized', 'The API key is unknown or revoked.');
    this.#recordUse(hash, entry, now);
    return entry.principal;
  }

  get cacheSize(): { keys: number; misses: number } {
    return { keys: this.#known.size, misses: this.#misses.size };
  }

  /** Resolves once every `last_used_at` write started so far has ended (they never reject). */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending);
  }

  #lookUpOnce(hash: string): Promise<KnownKey | undefined> {
    let reading = this.#reading.get(hash);
    if (!reading) {
      reading = this.#lookUp(hash).finally(() => this.#reading.delete(hash));
      this.#reading.set(hash, reading);
    }
    return reading;
  }

  async #lookUp(hash: string): Promise<KnownKey | undefined> {
    if (this.#misses.has(hash)) return undefined;
    const record = await this.keys.get(hash);
    // A lookup answering with another key's record is refused.
    if (!record || record.revokedAt || !secretsEqual(hash, record.hash)) {
      this.#known.delete(hash);
      this.#misses.set(hash, true);
      return undefined;
    }
    this.#misses.delete(hash);
    const entry: KnownKey = {
      principal: { keyId: record.hash, keyName: record.name, userId: record.userId },
      lastUsedAt: parseTime(record.lastUsedAt),
    };
    // A use this container recorded (or is recording) counts even if the read did not see it yet.
    const previous = this.#known.get(hash, { allowStale: true })?.lastUsedAt;
    if (previous !== undefined && (entry.lastUsedAt === undefined || previous > entry.lastUsedAt)) entry.lastUsedAt = previous;
    this.#known.set(hash, entry);
    return entry;
  }

  #recordUse(hash: string, entry: KnownKey, now: number): void {
    if (!this.keys.recordUse) return;
    const threshold = now - this.#lastUsedIntervalMs;
    if (entry.lastUsedAt !== undefined && entry.lastUsedAt >= threshold) return;
    const before = entry.lastUsedAt;
    entry.lastUsedAt = now; // claimed: other requests in this container skip the write
    let write: Promise<void>;
    try {
      write = this.keys
        .recordUse(hash, toIso(now), toIso(threshold), { abortSignal: AbortSignal.timeout(this.#recordUseTimeoutMs) })
        .then(() => undefined);
    } catch (error) {
      write = Promise.reject(error);
    }
    const tracked: Promise<void> = write
      .catch((error: unknown) => {
        if (entry.lastUsedAt === now) entry.lastUsedAt = before;
        this.#log.warn('could not record the API key use', {
          key_name: entry.principal.keyName,
          error: error instanceof Error ? error.name : typeof error,
        });
      })
      .finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }
}

const parseTime = (iso: string | undefined): number | undefined => {
  const ms = iso === undefined ? Number.NaN : Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
};

/**
 * Who may call an `api_key` operation. `server_key` and `path_user` are checked before the operation runs, so neither its
 * work nor a stored idempotent answer is reached by a key that may not. `by_resource` operations check the resource's
 * user themselves; reads only: an idempotent write must declare one of the other two.
 */
export type Access = 'server_key' | 'path_user' | 'by_resource';

/** Which rule refused a key. */
export type AccessRule = 'server_key' | 'user';

/** A refusal by an access rule (403). */
export class AccessRefusedProblem extends HttpProblem {
  constructor(
    readonly rule: AccessRule,
    message: string,
  ) {
    super('forbidden', message);
  }
}

/** A key bound to a user may only touch that user; the answer does not reveal whether the other user exists. */
export function assertUserAccess(principal: Principal, userId: string | undefined): void {
  if (principal.userId !== undefined && principal.userId !== userId) {
    throw new AccessRefusedProblem('user', 'This API key is bound to another user.');
  }
}

export function assertServerKey(principal: Principal): void {
  if (principal.userId !== undefined) {
    throw new AccessRefusedProblem('server_key', 'Only server keys (not bound to a user) may do this.');
  }
}

/** The pipeline's check of an operation's declared `access`. */
export function assertAccess(access: Access, principal: Principal, pathParams: Record<string, string | undefined>): void {
  if (access === 'server_key') assertServerKey(principal);
  else if (access === 'path_user') assertUserAccess(principal, pathParams.user_id);
}
