import { randomBytes } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Clock, toIso } from '../clock.ts';
import { conditionalWrite, gsi1, keys, TABLE_KEYS, type TableRef } from './table.ts';

export type SubscriptionStatus = 'enabled' | 'disabled';

export interface SigningSecret {
  secret: string;
  createdAt: string;
}

/** A webhook subscription: where to POST, which events, and the secrets that sign them. */
export interface Subscription {
  id: string;
  url: string;
  /** Event types, `*`, or prefix wildcards (`aggregation.*`). */
  eventTypes: string[];
  description?: string;
  status: SubscriptionStatus;
  /** Newest first; the first signs alone until rotation adds another. */
  secrets: SigningSecret[];
  createdAt: string;
  updatedAt: string;
}

export interface NewSubscription {
  url: string;
  eventTypes: string[];
  description?: string;
  secret: string;
}

interface SubscriptionItem {
  id: string;
  url: string;
  event_types: string[];
  description?: string;
  status: SubscriptionStatus;
  secrets: { secret: string; created_at: string }[];
  created_at: string;
  updated_at: string;
}

const newWebhookId = (): string => `wh_${randomBytes(16).toString('base64url')}`;

/** What a webhook id may look like (newWebhookId makes 22 characters after `wh_`). */
export const WEBHOOK_ID_PATTERN = /^wh_[A-Za-z0-9_-]{1,64}$/;

/** Subscriptions: item `WEBHOOK#{id}/WEBHOOK`, listed in creation order through GSI1 partition `WEBHOOKS`. */
export class WebhooksRepository {
  constructor(
    private readonly table: TableRef,
    private readonly clock: Clock,
  ) {}

  async create(input: NewSubscription): Promise<Subscription> {
    const id = newWebhookId();
    const now = toIso(this.clock.now());
    const item: SubscriptionItem = {
      id,
      url: input.url,
      event_types: input.eventTypes,
      ...(input.description === undefined ? {} : { description: input.description }),
      status: 'enabled',
      secrets: [{ secret: input.secret, created_at: now }],
      created_at: now,
      updated_at: now,
    };
    await this.table.client.send(
      new PutCommand({
        TableName: this.table.tableName,
        Item: { ...keys.webhook(id), [TABLE_KEYS.gsi1pk]: gsi1.webhooks, [TABLE_KEYS.gsi1sk]: `${now}#${id}`, ...item },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return fromItem(item);
  }

  async get(id: string): Promise<Subscription | undefined> {
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: keys.webhook(id), ConsistentRead: true }),
    );
    return Item ? fromItem(Item as SubscriptionItem) : undefined;
  }

  /** Every subscription, oldest first. Read from GSI1, so a subscription created a moment ago may be missing. */
  async list(): Promise<Subscription[]> {
    const subscriptions: Subscription[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.table.client.send(
        new QueryCommand({
          TableName: this.table.tableName,
          IndexName: TABLE_KEYS.gsi1,
          KeyConditionExpression: '#gsi1pk = :partition',
          ExpressionAttributeNames: { '#gsi1pk': TABLE_KEYS.gsi1pk },
          ExpressionAttributeValues: { ':partition': gsi1.webhooks },
          ExclusiveStartKey: startKey,
        }),
      );
      subscriptions.push(...(page.Items ?? []).map((item) => fromItem(item as SubscriptionItem)));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return subscriptions;
  }

  /** False when there was no such subscription. Its deliveries stay until their TTL, as the delivery log. */
  delete(id: string): Promise<boolean> {
    return conditionalWrite(
      this.table.client.send(
        new DeleteCommand({
          TableName: this.table.tableName,
          Key: keys.webhook(id),
          ConditionExpression: 'attribute_exists(pk)',
        }),
      ),
    );
  }

  /** False when there was no such subscription. */
  disable(id: string): Promise<boolean> {
    return conditionalWrite(
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.webhook(id),
          UpdateExpression: 'SET #status = :disabled, updated_at = :now',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':disabled': 'disabled', ':now': toIso(this.clock.now()) },
        }),
      ),
    );
  }
}

function fromItem(item: SubscriptionItem): Subscription {
  return {
    id: item.id,
    url: item.url,
    eventTypes: item.event_types,
    ...(item.description === undefined ? {} : { description: item.description }),
    status: item.status,
    secrets: item.secrets.map((s) => ({ secret: s.secret, createdAt: s.created_at })),
    createdAt: item.created_at,
    updatedAt: item.updated_at,
  };
}
