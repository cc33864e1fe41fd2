import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conditionalWrite, gsi1, gsi2, keys, queryItems, TABLE_KEYS, type TableRef } from './table.ts';

/** Every key also sits in GSI1 (sort key `{created_at}#{prefix}`), so `list` queries the keys alone instead of a Scan. */
const API_KEYS_PARTITION = gsi1.apiKeys;
const apiKeyListing = (record: Pick<ApiKeyRecord, 'createdAt' | 'prefix'>) => ({
  [TABLE_KEYS.gsi1pk]: API_KEYS_PARTITION,
  [TABLE_KEYS.gsi1sk]: `${record.createdAt}#${record.prefix ?? ''}`,
});
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** A reference names one key, none, or (a prefix) several. */
export type RevokeResult =
  | { outcome: 'revoked' | 'already_revoked'; record: ApiKeyRecord }
  | { outcome: 'not_found' }
  | { outcome: 'ambiguous'; matches: ApiKeyRecord[] };

function recordOf(item: Record<string, unknown>): ApiKeyRecord {
  return {
    hash: String(item[TABLE_KEYS.pk]).slice('APIKEY#'.length),
    prefix: item.prefix as string | undefined,
    name: item.name as string,
    userId: item.user_id as string | undefined,
    createdAt: item.created_at as string,
    revokedAt: item.revoked_at as string | undefined,
    lastUsedAt: item.last_used_at as string | undefined,
  };
}

function itemOf(record: ApiKeyRecord): Record<string, unknown> {
  return {
    ...keys.apiKey(record.hash),
    name: record.name,
    user_id: record.userId,
    created_at: record.createdAt,
    revoked_at: record.revokedAt,
    prefix: record.prefix,
    ...apiKeyListing(record),
    ...(record.userId === undefined
      ? {}
      : { [TABLE_KEYS.gsi2pk]: gsi2.userApiKeys(record.userId), [TABLE_KEYS.gsi2sk]: record.hash }),
  };
}

/** An API key as stored: only its SHA-256 is kept; `user_id` binds a client-app key to one user. */
export interface ApiKeyRecord {
  hash: string;
  name: string;
  userId?: string;
  createdAt: string;
  revokedAt?: string;
  /** The first characters after `nxr_`: shown to tell keys apart, not secret. */
  prefix?: string;
  lastUsedAt?: string;
}

export class ApiKeysRepository {
  constructor(private readonly table: TableRef) {}

  /**
   * The key with this SHA-256. An item without name and creation time is no key: an UpdateItem (the one write a function
   * may make under `APIKEY#`) on an absent key leaves one.
   */
  async get(hash: string): Promise<ApiKeyRecord | undefined> {
    const { Item } = await this.table.client.send(new GetCommand({ TableName: this.table.tableName, Key: keys.apiKey(hash) }));
    if (!Item || typeof Item.name !== 'string' || typeof Item.created_at !== 'string') return undefined;
    return recordOf(Item);
  }

  async put(record: ApiKeyRecord): Promise<void> {
    await this.table.client.send(
      new PutCommand({
        TableName: this.table.tableName,
        Item: itemOf(record),
      }),
    );
  }

  /** Stores a new key; false (and nothing written) if the hash exists. */
  async create(record: ApiKeyRecord): Promise<boolean> {
    return conditionalWrite(
      this.table.client.send(
        new PutCommand({
          TableName: this.table.tableName,
          Item: itemOf(record),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  /** Every listed key (revoked ones included), oldest first. */
  async list(): Promise<ApiKeyRecord[]> {
    const items = await queryItems(this.table, {
      IndexName: TABLE_KEYS.gsi1,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': TABLE_KEYS.gsi1pk },
      ExpressionAttributeValues: { ':pk': API_KEYS_PARTITION },
    });
    return items.map(recordOf);
  }

  /**
   * Revokes the key named by its SHA-256 (hex) or display prefix. Callers authenticate through a cache, so it stops working
   * within that cache's TTL.
   */
  async revoke(ref: string, revokedAt: string): Promise<RevokeResult> {
    let record: ApiKeyRecord | undefined;
    if (SHA256_HEX.test(ref)) {
      record = await this.#read(ref);
    } else {
      // The ellipsis escaped: one character above U+00FF in a bundle makes V8 store all its source at two bytes a character.
      const prefix = ref.replace(/^nxr_/, '').replace(/(\u2026|\.\.\.)$/, '');
      const matches = (await this.list()).filter((candidate) => candidate.prefix === prefix);
      if (matches.length > 1) return { outcome: 'ambiguous', matches };
      record = matches[0];
    }
    if (!record) return { outcome: 'not_found' };
    if (record.revokedAt !== undefined) return { outcome: 'already_revoked', record };
    const applied = await conditionalWrite(
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.apiKey(record.hash),
          UpdateExpression: 'SET revoked_at = :at',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revoked_at)',
          ExpressionAttributeValues: { ':at': revokedAt },
        }),
      ),
    );
    const current = await this.#read(record.hash);
    if (!current) return { outcome: 'not_found' };
    return { outcome: applied ? 'revoked' : 'already_revoked', record: current };
  }

  /** Read consistently. */
  async #read(hash: string): Promise<ApiKeyRecord | undefined> {
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: keys.apiKey(hash), ConsistentRead: true }),
    );
    return Item ? recordOf(Item) : undefined;
  }

  /**
   * Sets `last_used_at` unless it is already at or after `threshold`: containers write it about once per interval, and a
   * deleted key is not recreated as a bare item. True when it wrote.
   */
  async recordUse(hash: string, at: string, threshold: string, options: { abortSignal?: AbortSignal } = {}): Promise<boolean> {
    return conditionalWrite(
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.apiKey(hash),
          UpdateExpression: 'SET last_used_at = :at',
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(last_used_at) OR last_used_at < :threshold)',
          ExpressionAttributeValues: { ':at': at, ':threshold': threshold },
        }),
        { abortSignal: options.abortSignal },
      ),
    );
  }
}
