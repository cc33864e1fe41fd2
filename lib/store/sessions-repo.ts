import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from '../zod.ts';
import { type Clock, systemClock, toEpochSeconds } from '../clock.ts';
import type { SessionStore, StoredSession } from '../mx/sessions.ts';
import { conditionalWrite, isExpired, keys, type TableRef } from './table.ts';

/** MX's own sliding window: past it the token is dead, so the item may go. */
const SESSION_TTL_MS = 30 * 60_000;

const sessionItem = z.object({
  token: z.string().check(z.minLength(1)),
  createdAt: z.number(),
  lastUsedAt: z.number(),
  ttl: z.optional(z.number()),
});

const ttlFor = (lastUsedAt: number): number => toEpochSeconds(lastUsedAt + SESSION_TTL_MS);

/** Sessions as `USER#{id}` / `SESSION` items. Touch and delete only act while the item holds the given token. */
export class DynamoSessionStore implements SessionStore {
  readonly #table: TableRef;
  readonly #clock: Clock;

  constructor(table: TableRef, clock: Clock = systemClock) {
    this.#table = table;
    this.#clock = clock;
  }

  async get(userId: string): Promise<StoredSession | undefined> {
    // Strongly consistent: right after a 401 another container may have replaced the token, and a stale read
    // would hand back the dead one.
    const { Item } = await this.#table.client.send(
      new GetCommand({ TableName: this.#table.tableName, Key: keys.session(userId), ConsistentRead: true }),
    );
    const parsed = sessionItem.safeParse(Item);
    if (!parsed.success || isExpired(parsed.data, this.#clock.now())) return undefined;
    const { token, createdAt, lastUsedAt } = parsed.data;
    return { token, createdAt, lastUsedAt };
  }

  async put(userId: string, session: StoredSession): Promise<void> {
    await this.#table.client.send(
      new PutCommand({
        TableName: this.#table.tableName,
        Item: { ...keys.session(userId), ...session, ttl: ttlFor(session.lastUsedAt) },
      }),
    );
  }

  async touch(userId: string, token: string, lastUsedAt: number): Promise<boolean> {
    const update = new UpdateCommand({
      TableName: this.#table.tableName,
      Key: keys.session(userId),
      UpdateExpression: 'SET #lastUsedAt = :lastUsedAt, #ttl = :ttl',
      // Never backwards: an older touch arriving late must not shorten the session.
      ConditionExpression: '#token = :token AND #lastUsedAt < :lastUsedAt',
      ExpressionAttributeNames: { '#token': 'token', '#lastUsedAt': 'lastUsedAt', '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':token': token, ':lastUsedAt': lastUsedAt, ':ttl': ttlFor(lastUsedAt) },
    });
    return conditionalWrite(this.#table.client.send(update));
  }

  async delete(userId: string, token: string): Promise<boolean> {
    const deletion = new DeleteCommand({
      TableName: this.#table.tableName,
      Key: keys.session(userId),
      ConditionExpression: '#token = :token',
      ExpressionAttributeNames: { '#token': 'token' },
      ExpressionAttributeValues: { ':token': token },
    });
    return conditionalWrite(this.#table.client.send(deletion));
  }
}
