import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conditionalWrite, gsi1, gsi2, keys, queryItems, TABLE_KEYS, type TableRef } from './table.ts';

/**
 * Listing: every key item also sits in GSI1 partition `APIKEYS` (sort key `{created_at}#{prefix}`), so `list` is one
 * Query over the keys alone — O(number of keys) — instead of a Scan that would read every job, delivery and session
 * of the table to find a handful of keys. Items written before that (without `gsi1pk`) are not listed; they can
 * still be revoked by their full SHA-256.
 */
const API_KEYS_PARTITION = gsi1.apiKeys;
const apiKeyListing = (record: Pick<ApiKeyRecord, 'createdAt' | 'prefix'>) => ({
  [TABLE_KEYS.gsi1pk]: API_KEYS_PARTITION,
  [TABLE_KEYS.gsi1sk]: `${record.createdAt}#${record.prefix ?? ''}`,
});
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** What `revoke` did: a reference (display prefix or SHA-256) names one key, none, or — for a prefix — several. */
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
  /** The first characters of the key after `nxr_` (see `lib/api-keys.ts`): shown to tell keys apart, not secret. */
  prefix?: string;
  lastUsedAt?: string;
}

export class ApiKeysRepository {
  constructor(private readonly table: TableRef) {}

  /**
   * The key with this SHA-256, as `put` (the CLI's `keys create`) made it: an item without its name and creation time —
   * what an UpdateItem on an absent key leaves, the one write a function may make under `APIKEY#` — is no key.
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

  /** Stores a new key; false if an item with this hash already exists (it is left as it was). */
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
   * Revokes the key named by `ref`: its full SHA-256 (hex), or its display prefix (with or without `nxr_`). A revoked
   * key stays revoked (revoking again changes nothing); callers authenticate through a cache, so it stops working
   * within that cache's TTL.
   */
  async revoke(ref: string, revokedAt: string): Promise<RevokeResult> {
    let record: ApiKeyRecord | undefined;
    if (SHA256_HEX.test(ref)) {
      record = await this.#read(ref);
    } else {
      // The ellipsis as an escape: esbuild leaves a regular expression as written, and one character above U+00FF
      // in a bundle makes V8 hold all of its source two bytes a character (test/infra/bundle-size.test.ts).
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

  /** The whole stored record (prefix and last use included), read consistently. */
  async #read(hash: string): Promise<ApiKeyRecord | undefined> {
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: keys.apiKey(hash), ConsistentRead: true }),
    );
    return Item ? recordOf(Item) : undefined;
  }

  /**
   * Records a use of the key: sets `last_used_at` to `at` unless the recorded use is already at or after `threshold`
   * (ISO timestamps compare as strings). One conditional write, so many containers using a key write it at most about
   * once per interval, and a deleted key is not recreated as a bare item. True when it wrote.
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
