import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from '../zod.ts';
import { type Clock, systemClock, toEpochSeconds } from '../clock.ts';
import { sha256Hex } from '../hash.ts';
import { SESSION_REUSE_MS, type SessionStore, type StoredSession } from './sessions.ts';
import { type SecretBox, SecretBoxError, sealedFor } from '../secret-box.ts';
import { conditionalWrite, isExpired, keys, type TableRef } from '../store/table.ts';

/** MX's own sliding window: past it the token is dead, so the item may go. */
const SESSION_TTL_MS = 30 * 60_000;

const sessionItem = z.object({
  sealed_token: z.string().check(z.minLength(1)),
  createdAt: z.number(),
  lastUsedAt: z.number(),
  ttl: z.optional(z.number()),
});

const ttlFor = (lastUsedAt: number): number => toEpochSeconds(lastUsedAt + SESSION_TTL_MS);

/** Names a token in a condition without storing it. */
const tokenDigest = (token: string): string => sha256Hex(token);

/**
 * Sessions with the token sealed for its user. Touch and delete act only while the item holds the given token. An item
 * that does not open for its user (planted, or sealed under another key) reads as no session: the next call makes one.
 * The creation lease lives on the same item (`leaseHolder`, `leaseExpiresAt`, by the taker's clock): a session made
 * costs the lease's update and the put that ends it. A lease-only item reads as no session; its `ttl` only tidies up.
 */
export class DynamoSessionStore implements SessionStore {
  readonly #table: TableRef;
  readonly #box: Pick<SecretBox, 'seal' | 'open'>;
  readonly #clock: Clock;

  constructor(table: TableRef, box: Pick<SecretBox, 'seal' | 'open'>, clock: Clock = systemClock) {
    this.#table = table;
    this.#box = box;
    this.#clock = clock;
  }

  async get(userId: string): Promise<StoredSession | undefined> {
    // Strongly consistent: after a 401 another container may have replaced the token, and a stale read returns the dead one.
    const { Item } = await this.#table.client.send(
      new GetCommand({ TableName: this.#table.tableName, Key: keys.session(userId), ConsistentRead: true }),
    );
    const parsed = sessionItem.safeParse(Item);
    if (!parsed.success || isExpired(parsed.data, this.#clock.now())) return undefined;
    const { sealed_token, createdAt, lastUsedAt } = parsed.data;
    try {
      return { token: await this.#box.open(sealed_token, sealedFor.session(userId)), createdAt, lastUsedAt };
    } catch (error) {
      // A key source that failed is an error to retry.
      if (error instanceof SecretBoxError && error.kind === 'unopenable') return undefined;
      throw error;
    }
  }

  async put(userId: string, session: StoredSession): Promise<void> {
    const { token, createdAt, lastUsedAt } = session;
    await this.#table.client.send(
      new PutCommand({
        TableName: this.#table.tableName,
        Item: {
          ...keys.session(userId),
          sealed_token: await this.#box.seal(token, sealedFor.session(userId)),
          token_sha256: tokenDigest(token),
          createdAt,
          lastUsedAt,
          ttl: ttlFor(lastUsedAt),
        },
      }),
    );
  }

  async touch(userId: string, token: string, lastUsedAt: number): Promise<boolean> {
    const update = new UpdateCommand({
      TableName: this.#table.tableName,
      Key: keys.session(userId),
      UpdateExpression: 'SET #lastUsedAt = :lastUsedAt, #ttl = :ttl',
      // Never backwards: an older touch arriving late must not shorten the session.
      ConditionExpression: 'token_sha256 = :token AND #lastUsedAt < :lastUsedAt',
      ExpressionAttributeNames: { '#lastUsedAt': 'lastUsedAt', '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':token': tokenDigest(token), ':lastUsedAt': lastUsedAt, ':ttl': ttlFor(lastUsedAt) },
    });
    return conditionalWrite(this.#table.client.send(update));
  }

  lease(userId: string, holderId: string, durationMs: number): Promise<boolean> {
    const now = this.#clock.now();
    const expiresAt = now + durationMs;
    const update = new UpdateCommand({
      TableName: this.#table.tableName,
      Key: keys.session(userId),
      // A stored session keeps its own ttl: the holder may find it fresh and use it.
      UpdateExpression: 'SET #holder = :holder, #expiresAt = :expiresAt, #ttl = if_not_exists(#ttl, :ttl)',
      ConditionExpression: 'attribute_not_exists(#expiresAt) OR #expiresAt < :now',
      ExpressionAttributeNames: { '#holder': 'leaseHolder', '#expiresAt': 'leaseExpiresAt', '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':holder': holderId, ':expiresAt': expiresAt, ':now': now, ':ttl': toEpochSeconds(expiresAt) },
    });
    return conditionalWrite(this.#table.client.send(update));
  }

  async release(userId: string, holderId: string): Promise<void> {
    const update = new UpdateCommand({
      TableName: this.#table.tableName,
      Key: keys.session(userId),
      UpdateExpression: 'REMOVE #holder, #expiresAt',
      // A holder that overran its lease must not end its successor's.
      ConditionExpression: '#holder = :holder',
      ExpressionAttributeNames: { '#holder': 'leaseHolder', '#expiresAt': 'leaseExpiresAt' },
      ExpressionAttributeValues: { ':holder': holderId },
    });
    await conditionalWrite(this.#table.client.send(update));
  }

  async delete(userId: string, token: string): Promise<boolean> {
    const deletion = new DeleteCommand({
      TableName: this.#table.tableName,
      Key: keys.session(userId),
      ConditionExpression: 'token_sha256 = :token',
      ExpressionAttributeValues: { ':token': tokenDigest(token) },
    });
    return conditionalWrite(this.#table.client.send(deletion));
  }
}

/**
 * Whether the user has an MX session fresh enough to reuse, read without opening its token: someone is using an app
 * now, and a read of MX costs one call, not three. Eventually consistent: what it decides is a hint's timing.
 */
export async function hasFreshSession(table: TableRef, userId: string, now: number): Promise<boolean> {
  const { Item } = await table.client.send(
    new GetCommand({ TableName: table.tableName, Key: keys.session(userId), ProjectionExpression: 'lastUsedAt' }),
  );
  return typeof Item?.lastUsedAt === 'number' && Item.lastUsedAt + SESSION_REUSE_MS > now;
}
