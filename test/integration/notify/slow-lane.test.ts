import { describe, expect, it } from 'vitest';
import type { WebhookEvent } from '../../../lib/notify/events.ts';
import { generateSecret } from '../../../lib/notify/signing.ts';
import { jobEventData } from '../../support/job-events.ts';
import type { Receiver } from '../../unit/notify/support/receiver.ts';
import { logOf, type NotifyHarness, useNotifyHarness } from './harness.ts';
import { createSealedWebhook } from '../../../bench/support/sealed-webhook.ts';

let harness: NotifyHarness;
let receiver: Receiver;
let sequence = 0;
useNotifyHarness((started) => ({ harness, receiver } = started));

const event = (): WebhookEvent => ({
  id: `msg_job_slow${++sequence}_succeeded`,
  type: 'aggregation.succeeded',
  timestamp: new Date(harness.clock.now()).toISOString(),
  data: jobEventData(`job_slow${sequence}`, 'succeeded'),
});

/** A webhook on `path` of the receiver, which answers its `n`th request there (from 1) when `answers(n)`, else never. */
async function endpointAt(path: string, answers: (n: number) => boolean) {
  const webhook = await createSealedWebhook(harness.notifier, {
    url: receiver.url(path),
    eventTypes: ['*'],
    secret: generateSecret(),
  });
  const previous = receiver.respond;
  receiver.respond = (request, response) => {
    if (request.path !== path) return previous(request, response);
    if (answers(receiver.to(path).length)) response.writeHead(204).end();
  };
  return webhook;
}

const moves = () => harness.logs.filter((entry) => entry.message.includes('moved to the slow lane'));

describe('the slow lane', () => {
  it('moves an attempt not answered within the patience to the slow lane, where it is made and recorded once', async () => {
    const slow = await endpointAt('/slow', (n) => n > 1);
    const before = moves().length;
    const published = event();
    await harness.publisher.publish(published);

    await harness.drain();

    // Given up on the delivery queue, unrecorded; delivered by the slow lane: the endpoint saw it twice, as one id.
    const requests = receiver.to('/slow');
    expect(requests).toHaveLength(2);
    expect(new Set(requests.map((request) => request.headers['webhook-id']))).toEqual(new Set([published.id]));
    const delivery = await harness.deliveries.get(logOf(slow.id), published.id);
    expect(delivery).toMatchObject({ status: 'delivered', attemptCount: 1 });
    expect(delivery!.attempts[0]!.statusCode).toBe(204);
    expect(moves().length - before).toBe(1);
  });

  it('sends the endpoint’s next attempts straight to the slow lane; a healthy endpoint beside it never waits', async () => {
    const dead = await endpointAt('/dead', () => false);
    const healthy = await endpointAt('/healthy', () => true);
    const published = [event(), event(), event()];
    for (const one of published) await harness.publisher.publish(one);

    // The delivery queue's worker: only the first attempt to the dead endpoint waits for the patience.
    for (const message of await harness.takeMessages()) await harness.notifier.deliverer.handle(message, 'delivery');
    expect(receiver.to('/dead')).toHaveLength(1);
    for (const { id } of published) {
      expect(await harness.deliveries.get(logOf(healthy.id), id)).toMatchObject({ status: 'delivered', attemptCount: 1 });
    }

    // The slow lane's worker waits the whole timeout, and records each first attempt once.
    const moved = await harness.takeMessages('delivery-slow');
    expect(moved.map((message) => [message.webhook_id, message.attempt])).toEqual(published.map(() => [dead.id, 1]));
    for (const message of moved) await harness.notifier.deliverer.handle(message, 'delivery-slow');
    expect(receiver.to('/dead')).toHaveLength(1 + published.length);
    for (const { id } of published) {
      const delivery = await harness.deliveries.get(logOf(dead.id), id);
      expect(delivery).toMatchObject({ status: 'pending', attemptCount: 1 });
      expect(delivery!.attempts[0]).toMatchObject({ error: 'timeout' });
    }
  });
});
