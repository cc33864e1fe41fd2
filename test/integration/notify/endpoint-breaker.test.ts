import { describe, expect, it } from 'vitest';
import { noMetrics } from '../../../lib/metrics.ts';
import { silentLog } from '../../../lib/logger.ts';
import { DelayedQueue } from '../../../lib/queue/delayed-queue.ts';
import type { DeliveryMessage } from '../../../lib/notify/delivery-message.ts';
import { DeliverySweep } from '../../../lib/notify/delivery-sweep.ts';
import {
  BREAKER_FAILURES_TO_OPEN,
  BREAKER_FIRST_OPEN_MS,
  BREAKER_TIMEOUTS_TO_OPEN,
} from '../../../lib/notify/endpoint-health.ts';
import type { WebhookEvent } from '../../../lib/notify/events.ts';
import { generateSecret } from '../../../lib/notify/signing.ts';
import { SweepCheckpointsRepository } from '../../../lib/notify/sweep-checkpoints-repo.ts';
import { jobEventData } from '../../support/job-events.ts';
import type { Receiver } from '../../unit/notify/support/receiver.ts';
import { logOf, type NotifyHarness, useNotifyHarness } from './harness.ts';
import { createSealedWebhook } from '../../../bench/support/sealed-webhook.ts';

let harness: NotifyHarness;
let receiver: Receiver;
let sequence = 0;
useNotifyHarness((started) => ({ harness, receiver } = started));

const event = (): WebhookEvent => ({
  id: `msg_job_breaker${++sequence}_succeeded`,
  type: 'aggregation.succeeded',
  timestamp: new Date(harness.clock.now()).toISOString(),
  data: jobEventData(`job_breaker${sequence}`, 'succeeded'),
});

/** A webhook whose endpoint answers 503 while `failing`, 204 after. */
async function failingEndpoint() {
  const webhook = await createSealedWebhook(harness.notifier, {
    url: receiver.url(),
    eventTypes: ['*'],
    secret: generateSecret(),
  });
  const endpoint = { id: webhook.id, failing: true };
  receiver.respond = (_, response) => response.writeHead(endpoint.failing ? 503 : 204).end();
  return endpoint;
}

const sweep = () =>
  new DeliverySweep({
    metrics: noMetrics,
    deliveries: harness.deliveries,
    deliveryLog: harness.deliveryLog,
    waiting: harness.waiting,
    webhooks: harness.notifier.webhooks,
    checkpoints: new SweepCheckpointsRepository(harness.table),
    queue: new DelayedQueue<DeliveryMessage>(harness.sqs, harness.queueUrl, harness.clock),
    stalledAfterMs: 15 * 60_000,
    clock: harness.clock,
    log: silentLog,
  }).sweep();

async function publish(count: number): Promise<WebhookEvent[]> {
  const events = Array.from({ length: count }, event);
  for (const published of events) await harness.publisher.publish(published);
  return events;
}

/** Failed attempts in a row until the breaker opens: its deliveries then wait, unattempted. */
async function openBreaker() {
  const endpoint = await failingEndpoint();
  const failed = await publish(BREAKER_FAILURES_TO_OPEN);
  await harness.drain();
  return { endpoint, failed };
}

describe('an endpoint’s circuit breaker', () => {
  it('opens after 10 failed attempts in a row: the endpoint’s next deliveries are held, unattempted, and the webhook says so', async () => {
    const { endpoint, failed } = await openBreaker();
    // The first attempts only: each one's retry, due 5 s on, found the breaker open and was held.
    expect(receiver.requests).toHaveLength(BREAKER_FAILURES_TO_OPEN);
    const later = await publish(3);
    await harness.drain();
    expect(receiver.requests).toHaveLength(BREAKER_FAILURES_TO_OPEN);
    for (const { id } of [...failed, ...later]) {
      expect(await harness.deliveries.get(logOf(endpoint.id), id)).toMatchObject({ status: 'pending_endpoint' });
    }
    const { webhook } = (await harness.api('GET', `/webhooks/${endpoint.id}`)).body;
    expect(webhook).toMatchObject({
      status: 'enabled',
      breaker: { state: 'open' },
    });
    expect(Date.parse(webhook.breaker.held_until)).toBeGreaterThan(harness.clock.now());
  });

  it('opens after 3 timeouts in a row: a dead endpoint costs a worker 3 timeouts, not 10', async () => {
    const webhook = await createSealedWebhook(harness.notifier, {
      url: receiver.url(),
      eventTypes: ['*'],
      secret: generateSecret(),
    });
    receiver.respond = () => {}; // takes each request, never answers
    const events = await publish(BREAKER_TIMEOUTS_TO_OPEN + 2);
    await harness.drain();
    // The first attempt given up on the delivery queue, then each timing out on the slow lane until the breaker opened.
    expect(receiver.requests).toHaveLength(1 + BREAKER_TIMEOUTS_TO_OPEN);
    expect((await harness.api('GET', `/webhooks/${webhook.id}`)).body.webhook.breaker).toMatchObject({ state: 'open' });
    for (const { id } of events)
      expect(await harness.deliveries.get(logOf(webhook.id), id)).toMatchObject({ status: 'pending_endpoint' });
  });

  it('probes with one held delivery once the hold is over; a success closes it and delivers every held one once', async () => {
    const { endpoint, failed } = await openBreaker();
    const later = await publish(3);
    await harness.drain();
    // Before the hold is over: no probe.
    expect((await sweep()).probed).toBe(0);
    endpoint.failing = false;
    harness.clock.advance(BREAKER_FIRST_OPEN_MS);
    expect((await sweep()).probed).toBe(1);
    await harness.drain();

    const ids = [...failed, ...later].map((e) => e.id);
    const delivered = receiver.requests.slice(BREAKER_FAILURES_TO_OPEN).map((r) => r.headers['webhook-id']);
    expect([...delivered].sort()).toEqual([...ids].sort());
    for (const id of ids) expect(await harness.deliveries.get(logOf(endpoint.id), id)).toMatchObject({ status: 'delivered' });
    const { webhook } = (await harness.api('GET', `/webhooks/${endpoint.id}`)).body;
    expect(webhook).not.toHaveProperty('breaker');
    expect(webhook).not.toHaveProperty('failing_since');
  });

  it('closing it also sends at once a delivery that was waiting for a later retry', async () => {
    const endpoint = await failingEndpoint();
    const [waiting] = await publish(1);
    // Two failed attempts: the next is due in 5 minutes (its message still on its way).
    for (let attempt = 0; attempt < 2; attempt++) {
      for (const message of await harness.takeMessages()) {
        harness.clock.set(Math.max(harness.clock.now(), message.due_at));
        await harness.notifier.deliverer.handle(message);
      }
    }
    await harness.takeMessages();
    const retryAt = (await harness.deliveries.get(logOf(endpoint.id), waiting!.id))!.nextAttemptAt!;
    await publish(BREAKER_FAILURES_TO_OPEN);
    await harness.drain();
    expect((await harness.api('GET', `/webhooks/${endpoint.id}`)).body.webhook.breaker).toMatchObject({ state: 'open' });

    endpoint.failing = false;
    harness.clock.advance(BREAKER_FIRST_OPEN_MS);
    expect((await sweep()).probed).toBe(1);
    await harness.drain();

    expect(harness.clock.now()).toBeLessThan(retryAt);
    expect(await harness.deliveries.get(logOf(endpoint.id), waiting!.id)).toMatchObject({ status: 'delivered', attemptCount: 3 });
  });

  it('a failed probe holds the endpoint twice as long, with one probe at a time', async () => {
    const { endpoint } = await openBreaker();
    await publish(2);
    await harness.drain();
    harness.clock.advance(BREAKER_FIRST_OPEN_MS);
    const probedAt = harness.clock.now();
    expect((await sweep()).probed).toBe(1);
    // The probe fails; its retry, 5 s on, is held again.
    await harness.drain();
    expect(receiver.requests).toHaveLength(BREAKER_FAILURES_TO_OPEN + 1);
    const { webhook } = (await harness.api('GET', `/webhooks/${endpoint.id}`)).body;
    expect(webhook.breaker).toMatchObject({ state: 'open' });
    expect(Date.parse(webhook.breaker.held_until)).toBe(probedAt + 2 * BREAKER_FIRST_OPEN_MS);
    harness.clock.set(probedAt + BREAKER_FIRST_OPEN_MS);
    expect((await sweep()).probed).toBe(0);
    harness.clock.set(probedAt + 2 * BREAKER_FIRST_OPEN_MS);
    expect((await sweep()).probed).toBe(1);
    // A second sweep before the probe is made sends another held delivery: the deliverer lets one probe through.
    expect((await sweep()).probed).toBe(1);
    await harness.drain();
    expect(receiver.requests).toHaveLength(BREAKER_FAILURES_TO_OPEN + 2);
  });

  it('a success among failures keeps it closed: only failures in a row count', async () => {
    const endpoint = await failingEndpoint();
    let calls = 0;
    receiver.respond = (_, response) => response.writeHead(++calls % BREAKER_FAILURES_TO_OPEN === 0 ? 204 : 503).end();
    await publish(2 * BREAKER_FAILURES_TO_OPEN);
    const first = await harness.takeMessages();
    for (const message of first) await harness.notifier.deliverer.handle(message);
    expect(receiver.requests).toHaveLength(2 * BREAKER_FAILURES_TO_OPEN);
    expect((await harness.notifier.webhooks.get(endpoint.id))?.breaker?.openUntil).toBeUndefined();
  });
});
