import { describe, expect, it } from 'vitest';
import type { WebhookEvent } from '../../../lib/notify/events.ts';
import type { Receiver } from '../../unit/notify/support/receiver.ts';
import { jobEventData } from '../../support/job-events.ts';
import { logOf, type NotifyHarness, useNotifyHarness } from './harness.ts';

let harness: NotifyHarness;
let receiver: Receiver;
let sequence = 0;

useNotifyHarness((started) => ({ harness, receiver } = started));

const event = (): WebhookEvent => ({
  id: `msg_pace_${++sequence}`,
  type: 'aggregation.succeeded',
  timestamp: new Date(harness.clock.now()).toISOString(),
  data: jobEventData(`job_${sequence}`),
});

describe("a subscription's own rate (max_deliveries_per_second)", () => {
  it('delivers a burst at the rate its receiver set, every event once, none failed', async () => {
    const created = await harness.api('POST', '/webhooks', { body: { url: receiver.url(), max_deliveries_per_second: 2 } });
    expect(created).toMatchObject({ status: 201, body: { webhook: { max_deliveries_per_second: 2 } } });
    const id = created.body.webhook.id as string;
    const burst = Array.from({ length: 7 }, event);
    for (const published of burst) await harness.publisher.publish(published);
    await harness.drain();

    expect(new Set(receiver.requests.map((request) => request.headers['webhook-id']))).toEqual(new Set(burst.map((e) => e.id)));
    const attempts = await Promise.all(burst.map(async (e) => (await harness.deliveries.get(logOf(id), e.id))!));
    expect(attempts.every((delivery) => delivery.status === 'delivered' && delivery.attemptCount === 1)).toBe(true);
    const perSecond = new Map<string, number>();
    for (const delivery of attempts) {
      const second = delivery.attempts[0]!.at.slice(0, 19);
      perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
    }
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(2);
    expect(perSecond.size).toBeGreaterThanOrEqual(4);
  });

  it('is set, changed and removed through the API, and refused out of range naming the field', async () => {
    const { body } = await harness.api('POST', '/webhooks', { body: { url: receiver.url() } });
    const id = body.webhook.id as string;
    expect(body.webhook).not.toHaveProperty('max_deliveries_per_second');
    const set = await harness.api('PATCH', `/webhooks/${id}`, { body: { max_deliveries_per_second: 50 } });
    expect(set.body.webhook.max_deliveries_per_second).toBe(50);
    const removed = await harness.api('PATCH', `/webhooks/${id}`, { body: { max_deliveries_per_second: null } });
    expect(removed.body.webhook).not.toHaveProperty('max_deliveries_per_second');
    for (const bad of [0, 1.5, 3_001, '10']) {
      const refused = await harness.api('PATCH', `/webhooks/${id}`, { body: { max_deliveries_per_second: bad } });
      expect(refused, String(bad)).toMatchObject({
        status: 400,
        body: { code: 'validation_failed', field: 'max_deliveries_per_second' },
      });
    }
  });
});
