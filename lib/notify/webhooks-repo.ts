import { randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { type Clock, toEpochSeconds, toIso } from '../clock.ts';
import { DELIVERY_RETENTION_MS } from './delivery.ts';
import { conditionalWrite, gsi1, keys, queryAll, queryItems, TABLE_KEYS, type TableRef } from '../store/table.ts';

export type WebhookStatus = 'enabled' | 'disabled';

/** By its owner, by a 410 Gone answer, or after its endpoint failed for days. */
export type DisabledReason = 'manual' | 'endpoint_gone' | 'endpoint_failing';

export interface SigningSecret {
  secret: string;
  createdAt: string;
  /** Set when a newer secret replaced this one; it keeps signing until then (rotation overlap). */
  expiresAt?: string;
}

/** Where to POST, which events, and the secrets that sign them. */
export interface Webhook {
  id: string;
  url: string;
  /** Event types, `*`, or prefix wildcards (`aggregation.*`). */
  eventTypes: string[];
  description?: string;
  status: WebhookStatus;
  disabledReason?: DisabledReason;
  disabledAt?: string;
  /** The first failed attempt since the last successful one. */
  failingSince?: string;
  /** A failure streak disables it only as long after this too. */
  enabledAt?: string;
  /** Absent while the endpoint answers. */
  breaker?: EndpointBreaker;
  /** As its receiver asked; absent: as fast as they come. */
  maxDeliveriesPerSecond?: number;
  /** Newest first. */
  secrets: SigningSecret[];
  createdAt: string;
  updatedAt: string;
}

/** An endpoint's open circuit breaker. */
export interface EndpointBreaker {
  /** Deliveries are held until then; after it, one attempt at a time probes the endpoint. */
  openUntil: string;
  /** Times it has opened in a row: each hold lasts twice the one before. */
  opens: number;
  probeUntil?: string;
}

export interface NewWebhook {
  /** Given when something is bound to it before it is stored (its sealed secret). */
  id?: string;
  url: string;
  eventTypes: string[];
  description?: string;
  maxDeliveriesPerSecond?: number;
  secret: string;
}

/** What PATCH may change. `null` removes the description, or the rate. */
export interface WebhookChanges {
  url?: string;
  eventTypes?: string[];
  description?: string | null;
  maxDeliveriesPerSecond?: number | null;
}

interface SecretItem {
  secret: string;
  created_at: string;
  expires_at?: string;
}

interface WebhookItem {
  id: string;
  url: string;
  event_types: string[];
  description?: string;
  status: WebhookStatus;
  disabled_reason?: DisabledReason;
  disabled_at?: string;
  failing_since?: string;
  enabled_at?: string;
  breaker_open_until?: string;
  breaker_opens?: number;
  breaker_probe_until?: string;
  max_deliveries_per_second?: number;
  secrets: SecretItem[];
  created_at: string;
  updated_at: string;
}

const BREAKER_FIELDS = ['breaker_open_until', 'breaker_opens', 'breaker_probe_until'];

export const newWebhookId = (): string => `wh_${randomBytes(16).toString('base64url')}`;

/** What a webhook id may look like. */
export const WEBHOOK_ID_PATTERN = /^wh_[A-Za-z0-9_-]{1,64}$/;

/** A day past its deliveries' retention: DynamoDB expires them late. */
const DELETED_WEBHOOK_KEPT_MS = DELIVERY_RETENTION_MS + 24 * 60 * 60 * 1000;

/** Webhooks, listed in creation order through GSI1. */
export class WebhooksRepository {
  readonly #listeners: ((id: string) => void)[] = [];

  constructor(
    private readonly table: TableRef,
    private readonly clock: Clock,
  ) {}

  /** Calls `listener` with a webhook's id after every change made through this repository (cache invalidation). */
  onChange(listener: (id: string) => void): void {
    this.#listeners.push(listener);
  }

  #changed<T>(id: string, result: T): T {
    for (const listener of this.#listeners) listener(id);
    return result;
  }

  /** Whether it applied (listeners are told either way). */
  async #conditionalChange(id: string, command: DeleteCommand | UpdateCommand): Promise<boolean> {
    return this.#changed(id, await conditionalWrite(this.table.client.send(command)));
  }

  async create(input: NewWebhook): Promise<Webhook> {
    const id = input.id ?? newWebhookId();
    const now = toIso(this.clock.now());
    const item: WebhookItem = {
      id,
      url: input.url,
      event_types: input.eventTypes,
      ...(input.description === undefined ? {} : { description: input.description }),
      ...(input.maxDeliveriesPerSecond === undefined ? {} : { max_deliveries_per_second: input.maxDeliveriesPerSecond }),
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
    return this.#changed(id, fromItem(item));
  }

  async get(id: string): Promise<Webhook | undefined> {
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: keys.webhook(id), ConsistentRead: true }),
    );
    return Item ? fromItem(Item as WebhookItem) : undefined;
  }

  /** Every webhook, oldest first. Read from GSI1, so a webhook created a moment ago may be missing. */
  async list(): Promise<Webhook[]> {
    const items = await queryItems(this.table, {
      IndexName: TABLE_KEYS.gsi1,
      KeyConditionExpression: '#gsi1pk = :partition',
      ExpressionAttributeNames: { '#gsi1pk': TABLE_KEYS.gsi1pk },
      ExpressionAttributeValues: { ':partition': gsi1.webhooks },
    });
    return items.map((item) => fromItem(item as WebhookItem));
  }

  /**
   * Every log that may hold a delivery: the webhooks' own and those of webhooks deleted within the deliveries' retention.
   * From GSI1, so a webhook created a moment ago may be missing (it has no delivery older than its creation).
   */
  async logIds(): Promise<string[]> {
    const ids = new Set<string>();
    const webhookOf = (pk: unknown) => String(pk).slice(keys.webhook('').pk.length);
    for await (const entry of queryAll(this.table, {
      IndexName: TABLE_KEYS.gsi1,
      KeyConditionExpression: '#gsi1pk = :partition',
      ExpressionAttributeNames: { '#gsi1pk': TABLE_KEYS.gsi1pk },
      ExpressionAttributeValues: { ':partition': gsi1.webhooks },
    }))
      ids.add(webhookOf(entry.pk));
    for await (const entry of queryAll(this.table, {
      KeyConditionExpression: '#pk = :pk',
      ProjectionExpression: '#sk',
      ExpressionAttributeNames: { '#pk': TABLE_KEYS.pk, '#sk': TABLE_KEYS.sk },
      ExpressionAttributeValues: { ':pk': keys.deletedWebhook('').pk },
    }))
      ids.add(String(entry.sk));
    return [...ids];
  }

  /**
   * False when there was no such webhook. Its deliveries stay until their TTL, as the delivery log; its id is kept as
   * long (first, so an erasure finds them).
   */
  async delete(id: string): Promise<boolean> {
    if (!(await this.get(id))) return this.#changed(id, false);
    await this.table.client.send(
      new PutCommand({
        TableName: this.table.tableName,
        Item: { ...keys.deletedWebhook(id), ttl: toEpochSeconds(this.clock.now() + DELETED_WEBHOOK_KEPT_MS) },
      }),
    );
    return this.#conditionalChange(
      id,
      new DeleteCommand({
        TableName: this.table.tableName,
        Key: keys.webhook(id),
        ConditionExpression: 'attribute_exists(pk)',
      }),
    );
  }

  /** The changed webhook; undefined when there was none. A new URL is a new endpoint: its failure streak ends. */
  update(id: string, changes: WebhookChanges): Promise<Webhook | undefined> {
    const set = ['updated_at = :now'];
    const remove: string[] = [];
    const values: Record<string, unknown> = { ':now': toIso(this.clock.now()) };
    if (changes.url !== undefined) {
      set.push('#url = :url');
      values[':url'] = changes.url;
      remove.push('failing_since', ...BREAKER_FIELDS);
    }
    if (changes.eventTypes !== undefined) {
      set.push('event_types = :event_types');
      values[':event_types'] = changes.eventTypes;
    }
    if (changes.description === null) remove.push('description');
    else if (changes.description !== undefined) {
      set.push('description = :description');
      values[':description'] = changes.description;
    }
    if (changes.maxDeliveriesPerSecond === null) remove.push('max_deliveries_per_second');
    else if (changes.maxDeliveriesPerSecond !== undefined) {
      set.push('max_deliveries_per_second = :rate');
      values[':rate'] = changes.maxDeliveriesPerSecond;
    }
    return this.#updateReturningNew(id, {
      UpdateExpression: `SET ${set.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
      ExpressionAttributeNames: changes.url === undefined ? undefined : { '#url': 'url' },
      ExpressionAttributeValues: values,
    });
  }

  /** False when there was no such webhook or it was already disabled (its first reason stands). */
  async disable(id: string, reason: DisabledReason): Promise<boolean> {
    const now = toIso(this.clock.now());
    return this.#conditionalChange(
      id,
      new UpdateCommand({
        TableName: this.table.tableName,
        Key: keys.webhook(id),
        UpdateExpression: 'SET #status = :disabled, disabled_reason = :reason, disabled_at = :now, updated_at = :now',
        ConditionExpression: 'attribute_exists(pk) AND #status = :enabled',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':disabled': 'disabled', ':enabled': 'enabled', ':reason': reason, ':now': now },
      }),
    );
  }

  /** A failing endpoint stays failing until a delivery succeeds, with a new grace period before it is disabled again. */
  enable(id: string): Promise<Webhook | undefined> {
    return this.#updateReturningNew(id, {
      UpdateExpression: 'SET #status = :enabled, enabled_at = :now, updated_at = :now REMOVE disabled_reason, disabled_at',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':enabled': 'enabled', ':now': toIso(this.clock.now()) },
    });
  }

  /** Stores a rotation computed from a read; undefined when another rotation came first (or the webhook is gone). */
  replaceSecrets(id: string, secrets: SigningSecret[], readNewest: string): Promise<Webhook | undefined> {
    return this.#updateReturningNew(id, {
      UpdateExpression: 'SET secrets = :secrets, updated_at = :now',
      ConditionExpression: 'secrets[0].secret = :read_newest',
      ExpressionAttributeValues: {
        ':secrets': secrets.map(toSecretItem),
        ':read_newest': readNewest,
        ':now': toIso(this.clock.now()),
      },
    });
  }

  /** Returns when the streak began. */
  async markFailing(id: string): Promise<string | undefined> {
    const webhook = await this.#updateReturningNew(id, {
      UpdateExpression: 'SET failing_since = if_not_exists(failing_since, :now)',
      ExpressionAttributeValues: { ':now': toIso(this.clock.now()) },
    });
    return webhook?.failingSince;
  }

  /** Ends the failure streak and closes the breaker. False when neither was. */
  async markHealthy(id: string): Promise<boolean> {
    return this.#conditionalChange(
      id,
      new UpdateCommand({
        TableName: this.table.tableName,
        Key: keys.webhook(id),
        UpdateExpression: `REMOVE failing_since, ${BREAKER_FIELDS.join(', ')}`,
        ConditionExpression: 'attribute_exists(failing_since) OR attribute_exists(breaker_open_until)',
      }),
    );
  }

  /** Conditional on the hold it was seen in, so two containers never open it twice from one state. */
  openBreaker(id: string, seenOpenUntil: string | undefined, untilMs: number): Promise<boolean> {
    return this.#conditionalChange(
      id,
      new UpdateCommand({
        TableName: this.table.tableName,
        Key: keys.webhook(id),
        UpdateExpression: 'SET breaker_open_until = :until ADD breaker_opens :one REMOVE breaker_probe_until',
        ConditionExpression:
          seenOpenUntil === undefined ? 'attribute_not_exists(breaker_open_until)' : 'breaker_open_until = :seen',
        ExpressionAttributeValues: {
          ':until': toIso(untilMs),
          ':one': 1,
          ...(seenOpenUntil === undefined ? {} : { ':seen': seenOpenUntil }),
        },
      }),
    );
  }

  /** Ends the hold (an enable, a replay) so the next attempt probes at once; the breaker stays until one succeeds. */
  probeNow(id: string): Promise<boolean> {
    const now = toIso(this.clock.now());
    return this.#conditionalChange(
      id,
      new UpdateCommand({
        TableName: this.table.tableName,
        Key: keys.webhook(id),
        UpdateExpression: 'SET breaker_open_until = :now REMOVE breaker_probe_until',
        ConditionExpression: 'breaker_open_until > :now',
        ExpressionAttributeValues: { ':now': now },
      }),
    );
  }

  /** Takes the one probe of an open breaker whose hold is over, until `untilMs`; false when another holds it. */
  takeProbe(id: string, nowMs: number, untilMs: number): Promise<boolean> {
    return this.#conditionalChange(
      id,
      new UpdateCommand({
        TableName: this.table.tableName,
        Key: keys.webhook(id),
        UpdateExpression: 'SET breaker_probe_until = :until',
        ConditionExpression:
          'breaker_open_until <= :now AND (attribute_not_exists(breaker_probe_until) OR breaker_probe_until <= :now)',
        ExpressionAttributeValues: { ':until': toIso(untilMs), ':now': toIso(nowMs) },
      }),
    );
  }

  /** Undefined when a condition failed. */
  async #updateReturningNew(
    id: string,
    update: Pick<UpdateCommandInput, 'UpdateExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> & {
      ConditionExpression?: string;
    },
  ): Promise<Webhook | undefined> {
    const condition = ['attribute_exists(pk)', ...(update.ConditionExpression ? [update.ConditionExpression] : [])];
    try {
      const { Attributes } = await this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.webhook(id),
          ...update,
          ConditionExpression: condition.join(' AND '),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return this.#changed(id, fromItem(Attributes as WebhookItem));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }
}

const toSecretItem = (secret: SigningSecret): SecretItem => ({
  secret: secret.secret,
  created_at: secret.createdAt,
  ...(secret.expiresAt === undefined ? {} : { expires_at: secret.expiresAt }),
});

function fromItem(item: WebhookItem): Webhook {
  return {
    id: item.id,
    url: item.url,
    eventTypes: item.event_types,
    ...(item.description === undefined ? {} : { description: item.description }),
    status: item.status,
    ...(item.disabled_reason === undefined ? {} : { disabledReason: item.disabled_reason }),
    ...(item.disabled_at === undefined ? {} : { disabledAt: item.disabled_at }),
    ...(item.failing_since === undefined ? {} : { failingSince: item.failing_since }),
    ...(item.enabled_at === undefined ? {} : { enabledAt: item.enabled_at }),
    ...(item.max_deliveries_per_second === undefined ? {} : { maxDeliveriesPerSecond: item.max_deliveries_per_second }),
    ...(item.breaker_open_until === undefined
      ? {}
      : {
          breaker: {
            openUntil: item.breaker_open_until,
            opens: item.breaker_opens ?? 0,
            ...(item.breaker_probe_until === undefined ? {} : { probeUntil: item.breaker_probe_until }),
          },
        }),
    secrets: item.secrets.map((s) => ({
      secret: s.secret,
      createdAt: s.created_at,
      ...(s.expires_at === undefined ? {} : { expiresAt: s.expires_at }),
    })),
    createdAt: item.created_at,
    updatedAt: item.updated_at,
  };
}
