import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { keys, type TableRef } from './table.ts';

/** An API key as stored: only its SHA-256 is kept; `user_id` binds a client-app key to one user. */
export interface ApiKeyRecord {
  hash: string;
  name: string;
  userId?: string;
  createdAt: string;
  revokedAt?: string;
}

export class ApiKeysRepository {
  constructor(private readonly table: TableRef) {}

  async get(hash: string): Promise<ApiKeyRecord | undefined> {
    const { Item } = await this.table.client.send(new GetCommand({ TableName: this.table.tableName, Key: keys.apiKey(hash) }));
    if (!Item) return undefined;
    return { hash, name: Item.name, userId: Item.user_id, createdAt: Item.created_at, revokedAt: Item.revoked_at };
  }

  async put(record: ApiKeyRecord): Promise<void> {
    await this.table.client.send(
      new PutCommand({
        TableName: this.table.tableName,
        Item: {
          ...keys.apiKey(record.hash),
          name: record.name,
          user_id: record.userId,
          created_at: record.createdAt,
          revoked_at: record.revokedAt,
        },
      }),
    );
  }
}
