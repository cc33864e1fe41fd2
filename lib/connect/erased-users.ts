import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type BoundedCache, boundedCache } from '../bounded-cache.ts';
import type { Clock } from '../clock.ts';
import { UserErasedError } from '../errors.ts';
import type { DigestKeys } from '../digest-keys.ts';
import { isExpired, keys, type TableRef } from '../store/table.ts';

/** A year covers the apps, jobs and caches that still name the user; then the id may be served again (docs/security.md). */
export const ERASED_USER_RETENTION_DAYS = 365;

/** How long a container trusts what it read of an erasure: every container refuses an erased user within this. */
export const ERASED_USERS_CACHE_TTL_MS = 60_000;

/**
 * Erased users' tombstones, by a keyed digest of the id: a plain digest of an e-mail or number is guessed, so the table
 * must not tell who was erased. Looked for under every digest key held, so a rotation forgets no erasure.
 */
export class ErasedUsersRepository {
  constructor(
    private readonly table: TableRef,
    private readonly clock: Clock,
    private readonly digests: () => Promise<DigestKeys>,
  ) {}

  async put(userId: string, erasedAt: number): Promise<void> {
    const digest = (await this.digests()).of('erased user', userId);
    await this.table.client.send(
      new PutCommand({
        TableName: this.table.tableName,
        Item: {
          ...keys.erasedUser(digest),
          erased_at: erasedAt,
          ttl: Math.ceil(erasedAt / 1000) + ERASED_USER_RETENTION_DAYS * 86_400,
        },
      }),
    );
  }

  async has(userId: string): Promise<boolean> {
    // GetItem per key rather than a batch: every function that reads tombstones may GetItem.
    const found = await Promise.all(
      (await this.digests())
        .all('erased user', userId)
        .map((digest) =>
          this.table.client.send(
            new GetCommand({ TableName: this.table.tableName, Key: keys.erasedUser(digest), ConsistentRead: true }),
          ),
        ),
    );
    return found.some(({ Item }) => Item !== undefined && !isExpired(Item, this.clock.now()));
  }
}

/**
 * Which users were erased, as one container sees them: each answer trusted for ERASED_USERS_CACHE_TTL_MS, except with
 * `fresh` (before a user is made at MX).
 *
 * @example
 * await erasedUsers.refuseErased('dave'); // throws UserErasedError once dave was erased
 */
export class ErasedUsers {
  readonly #seen: BoundedCache<string, boolean>;

  constructor(
    private readonly repository: Pick<ErasedUsersRepository, 'put' | 'has'>,
    private readonly clock: Clock,
  ) {
    this.#seen = boundedCache({ max: 10_000, ttlMs: ERASED_USERS_CACHE_TTL_MS, clock });
  }

  /** `fresh` reads the table whatever this container saw. */
  async refuseErased(userId: string, options: { fresh?: boolean } = {}): Promise<void> {
    let erased = options.fresh ? undefined : this.#seen.get(userId);
    if (erased === undefined) {
      erased = await this.repository.has(userId);
      // An erasure made here while the read was under way stays known.
      if (this.#seen.get(userId) !== true) this.#seen.set(userId, erased);
    }
    if (erased || this.#seen.get(userId) === true) throw new UserErasedError();
  }

  /** The first thing an erasure does, so nothing makes the user again meanwhile. */
  async erase(userId: string): Promise<void> {
    await this.repository.put(userId, this.clock.now());
    this.#seen.set(userId, true);
  }
}
