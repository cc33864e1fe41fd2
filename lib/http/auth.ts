import { createHash } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { ApiKeyRecord } from '../store/api-keys-repo.ts';
import { HttpProblem } from './problem.ts';

/** Who is calling: a server key (any user) or a client-app key bound to one user. */
export interface Principal {
  keyName: string;
  userId?: string;
}

export interface ApiKeyLookup {
  get(hash: string): Promise<ApiKeyRecord | undefined>;
}

export const hashApiKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

/**
 * Resolves `Authorization: Bearer <key>` to a principal. Keys are looked up by their SHA-256, so no secret is
 * ever compared byte by byte. Results (including misses) are cached per container for `cacheTtlMs`: that bounds
 * both table reads and how long a revoked key keeps working.
 */
export class ApiKeyAuthenticator {
  readonly #cache = new Map<string, { principal: Principal | undefined; expiresAt: number }>();

  constructor(
    private readonly keys: ApiKeyLookup,
    private readonly clock: Clock,
    private readonly cacheTtlMs = 60_000,
  ) {}

  async authenticate(authorization: string | undefined): Promise<Principal> {
    const match = /^Bearer\s+(\S{16,512})\s*$/i.exec(authorization ?? '');
    if (!match) throw new HttpProblem('unauthorized', 'Send the API key as `Authorization: Bearer <key>`.');
    const hash = hashApiKey(match[1]!);
    const now = this.clock.now();
    let cached = this.#cache.get(hash);
    if (!cached || cached.expiresAt <= now) {
      const record = await this.keys.get(hash);
      const principal = record && !record.revokedAt ? { keyName: record.name, userId: record.userId } : undefined;
      cached = { principal, expiresAt: now + this.cacheTtlMs };
      if (this.#cache.size > 10_000) this.#cache.clear();
      this.#cache.set(hash, cached);
    }
    if (!cached.principal) throw new HttpProblem('unauthorized', 'The API key is unknown or revoked.');
    return cached.principal;
  }
}

/** A key bound to a user may only touch that user; the answer does not reveal whether the other user exists. */
export function assertUserAccess(principal: Principal, userId: string): void {
  if (principal.userId !== undefined && principal.userId !== userId) {
    throw new HttpProblem('forbidden', 'This API key is bound to another user.');
  }
}

export function assertServerKey(principal: Principal): void {
  if (principal.userId !== undefined) {
    throw new HttpProblem('forbidden', 'Only server keys (not bound to a user) may do this.');
  }
}
