import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import type { WebhookEvent } from '../../../lib/notify/events.ts';
import { generateSecret } from '../../../lib/notify/signing.ts';
import { DELIVERY_LOG_SHARDS, keys, shardOf } from '../../../lib/store/table.ts';
import type { Receiver } from '../../unit/notify/support/receiver.ts';
import { jobEventData } from '../../support/job-events.ts';
import { type NotifyHarness, useNotifyHarness } from './harness.ts';
import { createSealedWebhook } from '../../../bench/support/sealed-webhook.ts';

let harness: NotifyHarness;
let receiver: Receiver;
let sequence = 0;

useNotifyHarness((started) => ({ harness, receiver } = started));

const event = (): WebhookEvent => ({
  id: `msg_shards_${++sequence}`,
  type: 'aggregation.succeeded',
  timestamp: new Date(harness.clock.now()).toISOString(),
  data: jobEventData(`job_${sequence}`),
});

const subscribe = () =>
  createSealedWebhook(harness.notifier, { url: receiver.url(), eventTypes: ['*'], secret: generateSecret() });

/** Publishes `count` events, some in the same millisecond, and delivers them; their ids, oldest first. */
async function publish(count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 3 === 0) harness.clock.advance(1_000);
    const published = event();
    await harness.publisher.publish(published);
    ids.push(published.id);
  }
  await harness.drain();
  return ids;
}

/** Every page of the log, `limit` at a time. */
async function readLog(webhookId: string, query: Record<string, string>): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await harness.api('GET', `/webhooks/${webhookId}/deliveries`, {
      query: { ...query, ...(cursor ? { cursor } : {}) },
    });
    expect(page.status).toBe(200);
    ids.push(...page.body.deliveries.map((d: { msg_id: string }) => d.msg_id));
    cursor = page.body.next_cursor;
    pages++;
  } while (cursor);
  return { ids, pages };
}

/** The table partition a delivery is stored in. */
async function partitionOf(webhookId: string, shard: number, msgId: string): Promise<boolean> {
  const { Item } = await harness.table.client.send(
    new GetCommand({ TableName: harness.table.tableName, Key: keys.delivery(webhookId, shard, msgId), ConsistentRead: true }),
  );
  return Item !== undefined;
}

/** Ids in log order: by creation time, then id (a log position is `{created_at}#{msg_id}`). */
const inLogOrder = async (webhookId: string, ids: string[]) => {
  const webhook = (await harness.notifier.webhooks.get(webhookId))!;
  const created = await Promise.all(ids.map(async (id) => `${(await harness.deliveries.get(webhook, id))!.createdAt}#${id}`));
  return created.sort().map((position) => position.split('#')[1]!);
};

describe("a webhook's delivery log over shards", () => {
  it('spreads a new webhook’s deliveries over its shards, and pages through them in order both ways', async () => {
    const webhook = await subscribe();
    const ids = await publish(40);
    const shards = new Set(ids.map((id) => shardOf(id, DELIVERY_LOG_SHARDS)));
    expect(shards.size).toBeGreaterThan(8);
    for (const id of ids) expect(await partitionOf(webhook.id, shardOf(id, DELIVERY_LOG_SHARDS), id)).toBe(true);

    const oldestFirst = await inLogOrder(webhook.id, ids);
    const newest = await readLog(webhook.id, { limit: '7' });
    expect(newest.ids).toEqual([...oldestFirst].reverse());
    expect(newest.pages).toBe(Math.ceil(40 / 7));
    // A status filter across shards: one delivery left pending_endpoint.
    expect((await readLog(webhook.id, { limit: '5', status: 'pending_endpoint' })).ids).toEqual([]);
    expect((await readLog(webhook.id, { limit: '100', status: 'delivered' })).ids).toHaveLength(40);

    const ascending: string[] = [];
    let after: string | undefined;
    do {
      const page = await harness.deliveryLog.page(webhook, {}, { order: 'oldest_first', limit: 9, ...(after ? { after } : {}) });
      ascending.push(...page.deliveries.map((delivery) => delivery.msgId));
      after = page.next;
    } while (after);
    expect(ascending).toEqual(oldestFirst);

    // A range replay walks the merged log oldest first.
    const replayed = await harness.api('POST', `/webhooks/${webhook.id}/replay`, {
      body: { since: '2000-01-01T00:00:00Z', until: '2100-01-01T00:00:00Z' },
    });
    expect(replayed).toMatchObject({ status: 202, body: { replayed: 40, skipped: 0 } });
    receiver.requests.length = 0;
    await harness.drain();
    expect(receiver.requests.map((r) => r.headers['webhook-id'])).toHaveLength(40);
  });
});
