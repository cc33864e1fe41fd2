import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { JobStatus } from '../../../lib/aggregation/job.ts';
import { type EventType, serializeEvent, type WebhookEvent } from '../../../lib/notify/events.ts';
import { generateSecret } from '../../../lib/notify/signing.ts';
import { DELIVERY_RETENTION_MS } from '../../../lib/notify/delivery.ts';
import { deliveryKey } from '../../../lib/notify/deliveries-repo.ts';
import { closedPort, Receiver } from '../../unit/notify/support/receiver.ts';
import { logOf, type NotifyHarness, useNotifyHarness, verifyAtReceipt } from './harness.ts';
import { jobEventData } from '../../support/job-events.ts';
import { createSealedWebhook } from '../../../bench/support/sealed-webhook.ts';

let harness: NotifyHarness;
let receiver: Receiver;
let sequence = 0;
const DAY = 24 * 60 * 60 * 1000;

useNotifyHarness((started) => ({ harness, receiver } = started));
afterEach(() => {
  harness.logs.length = 0;
});

function event(type: EventType = 'aggregation.succeeded'): WebhookEvent {
  sequence += 1;
  return {
    id: `msg_job_${sequence}_${type.split('.')[1]}`,
    type,
    timestamp: new Date(harness.clock.now()).toISOString(),
    data: jobEventData(`job_${sequence}`, type.split('.')[1] as JobStatus),
  };
}

async function subscribe(options: { url?: string; eventTypes?: string[] } = {}) {
  const secret = generateSecret();
  const webhook = await createSealedWebhook(harness.notifier, {
    url: options.url ?? receiver.url(),
    eventTypes: options.eventTypes ?? ['*'],
    secret,
  });
  return { ...webhook, secret };
}

describe('publish → deliver', () => {
  it('delivers a signed event that the receiver verifies with standardwebhooks', async () => {
    const { id, secret } = await subscribe();
    const verifier = new Webhook(secret);
    receiver.respond = (request, response) => {
      try {
        verifier.verify(request.body, request.headers as Record<string, string>);
        response.writeHead(204).end();
      } catch {
        response.writeHead(400).end('bad signature');
      }
    };
    const published = event();

    await harness.publisher.publish(published);
    await harness.drain();

    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]!.headers['webhook-id']).toBe(published.id);
    expect(receiver.requests[0]!.body).toBe(serializeEvent(published));
    const delivery = await harness.deliveries.get(logOf(id), published.id);
    expect(delivery).toMatchObject({ status: 'delivered', attemptCount: 1, eventType: 'aggregation.succeeded' });
    expect(delivery!.attempts).toEqual([{ at: expect.any(String), statusCode: 204, latencyMs: expect.any(Number) }]);
    expect(delivery).not.toHaveProperty('nextAttemptAt');
    const { Item } = await harness.table.client.send(
      new GetCommand({ TableName: harness.table.tableName, Key: deliveryKey(logOf(id), published.id) }),
    );
    expect(Item!.ttl).toBe(Math.floor((harness.clock.now() + DELIVERY_RETENTION_MS) / 1000));
  });

  it('creates a delivery for every webhook whose filter selects the event, disabled ones included', async () => {
    const everything = await subscribe({ eventTypes: ['*'] });
    const prefix = await subscribe({ eventTypes: ['aggregation.*'] });
    const exact = await subscribe({ eventTypes: ['aggregation.failed'] });
    const other = await subscribe({ eventTypes: ['aggregation.started', 'aggregation.timed_out'] });
    const disabled = await subscribe();
    await harness.notifier.webhooks.disable(disabled.id, 'manual');
    const published = event('aggregation.failed');

    await harness.publisher.publish(published);

    const selected = [everything, prefix, exact, disabled];
    for (const { id } of selected) expect(await harness.deliveries.get(logOf(id), published.id), id).toBeDefined();
    expect(await harness.deliveries.get(logOf(other.id), published.id)).toBeUndefined();
    const messages = await harness.takeMessages();
    expect(messages).toHaveLength(selected.length);
    expect(messages).toEqual(
      expect.arrayContaining(
        selected.map(({ id }) => ({ webhook_id: id, msg_id: published.id, attempt: 1, due_at: harness.clock.now() })),
      ),
    );
  });

  it('retries a failing receiver and delivers on attempt 3 with the same id and body, re-signed each time', async () => {
    const { id, secret } = await subscribe();
    let calls = 0;
    receiver.respond = (_, response) => response.writeHead(++calls <= 2 ? 500 : 204).end(calls <= 2 ? 'try later' : '');
    const published = event();
    const start = harness.clock.now();

    await harness.publisher.publish(published);
    const handled = await harness.drain();

    expect(handled.map((m) => m.attempt)).toEqual([1, 2, 3]);
    const requests = receiver.requests;
    expect(requests).toHaveLength(3);
    expect(new Set(requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([published.id]));
    expect(new Set(requests.map((r) => r.body))).toEqual(new Set([serializeEvent(published)]));
    // No jitter at random = 0.5: 5 s after attempt 1, 5 min after attempt 2.
    expect(requests.map((r) => Number(r.headers['webhook-timestamp']) - Math.floor(start / 1000))).toEqual([0, 5, 305]);
    for (const request of requests) expect(verifyAtReceipt(request, secret)).toEqual(JSON.parse(serializeEvent(published)));
    const delivery = await harness.deliveries.get(logOf(id), published.id);
    expect(delivery).toMatchObject({ status: 'delivered', attemptCount: 3 });
    expect(delivery!.attempts.map((a) => [a.statusCode, a.responseExcerpt])).toEqual([
      [500, 'try later'],
      [500, 'try later'],
      [204, undefined],
    ]);
    expect(delivery).not.toHaveProperty('nextAttemptAt');
  });

  it('gives up after 8 attempts over about 27.5 hours and marks the delivery failed', async () => {
    const { id } = await subscribe();
    receiver.respond = (_, response) => response.writeHead(503).end();
    const published = event();
    const start = harness.clock.now();

    await harness.publisher.publish(published);
    const handled = await harness.drain();

    expect(handled.map((m) => m.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(receiver.requests).toHaveLength(8);
    expect(harness.clock.now() - start).toBe((5 + 300 + 1800 + 7200 + 18_000 + 36_000 + 36_000) * 1000);
    const delivery = await harness.deliveries.get(logOf(id), published.id);
    expect(delivery).toMatchObject({ status: 'failed', failureReason: 'attempts_exhausted', attemptCount: 8 });
    expect(delivery!.attempts.every((a) => a.statusCode === 503)).toBe(true);
  });

  it('records a transport failure as an attempt and retries it', async () => {
    const { id } = await subscribe({ url: `http://127.0.0.1:${await closedPort()}/unreachable` });
    const published = event();

    await harness.publisher.publish(published);
    await harness.takeMessages().then(async ([message]) => harness.notifier.deliverer.handle(message!));

    const delivery = await harness.deliveries.get(logOf(id), published.id);
    expect(delivery).toMatchObject({ status: 'pending', attemptCount: 1, nextAttemptAt: harness.clock.now() + 5_000 });
    expect(delivery!.attempts[0]).toMatchObject({ error: 'connection' });
    expect(await harness.takeMessages()).toEqual([
      { webhook_id: id, msg_id: published.id, attempt: 2, due_at: harness.clock.now() + 5_000 },
    ]);
  });
});

describe('redirects', () => {
  it('are not followed: a 3xx answer is a failed attempt and its target is never called', async () => {
    const { id } = await subscribe({ url: receiver.url('/moving') });
    receiver.respond = (request, response) =>
      request.path === '/moving'
        ? response.writeHead(307, { location: receiver.url('/moved') }).end()
        : response.writeHead(204).end();
    const published = event();

    await harness.publisher.publish(published);
    await harness.takeMessages().then(async ([message]) => harness.notifier.deliverer.handle(message!));

    expect(receiver.to('/moved')).toHaveLength(0);
    const delivery = await harness.deliveries.get(logOf(id), published.id);
    expect(delivery).toMatchObject({ status: 'pending', attemptCount: 1 });
    expect(delivery!.attempts[0]).toMatchObject({ statusCode: 307 });
  });
});

describe('at most one attempt per message, however often it arrives', () => {
  it('the same message handled twice reaches the receiver once', async () => {
    await subscribe();
    const published = event();
    await harness.publisher.publish(published);
    const [message] = await harness.takeMessages();

    await harness.notifier.deliverer.handle(message!);
    await harness.notifier.deliverer.handle(message!);

    expect(receiver.requests).toHaveLength(1);
  });

  it('the same message handled by two workers at once reaches the receiver once', async () => {
    const { id } = await subscribe();
    const published = event();
    await harness.publisher.publish(published);
    const [message] = await harness.takeMessages();

    await Promise.all([harness.notifier.deliverer.handle(message!), harness.notifier.deliverer.handle(message!)]);

    expect(receiver.requests).toHaveLength(1);
    expect(await harness.deliveries.get(logOf(id), published.id)).toMatchObject({ status: 'delivered', attemptCount: 1 });
  });

  it('publishing the same event twice creates one delivery and reaches the receiver once', async () => {
    const { id } = await subscribe();
    const published = event();

    await harness.publisher.publish(published);
    await harness.publisher.publish({ ...published, data: jobEventData('job_changed', 'failed') });
    const handled = await harness.drain();

    expect(handled).toHaveLength(2);
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]!.body).toBe(serializeEvent(published));
    expect(await harness.deliveries.get(logOf(id), published.id)).toMatchObject({ status: 'delivered', attemptCount: 1 });
  });

  it('a retry message for an attempt already made is ignored', async () => {
    await subscribe();
    receiver.respond = (_, response) => response.writeHead(500).end();
    const published = event();
    await harness.publisher.publish(published);
    const [first] = await harness.takeMessages();
    await harness.notifier.deliverer.handle(first!);
    const [second] = await harness.takeMessages();
    harness.clock.set(second!.due_at);
    await harness.notifier.deliverer.handle(second!);

    await harness.notifier.deliverer.handle(second!);

    expect(receiver.requests).toHaveLength(2);
  });

  it('when the next message could not be sent, the redelivered message sends it without a new attempt', async () => {
    const { id } = await subscribe();
    let calls = 0;
    receiver.respond = (_, response) => response.writeHead(++calls === 1 ? 500 : 204).end();
    const published = event();
    await harness.publisher.publish(published);
    const [message] = await harness.takeMessages();

    harness.failNextSend();
    await expect(harness.notifier.deliverer.handle(message!)).rejects.toThrow('SQS unavailable');
    expect(await harness.takeMessages()).toEqual([]);
    await harness.enqueue(message!); // SQS redelivers the message whose handling failed
    await harness.drain();

    expect(receiver.requests).toHaveLength(2);
    expect(await harness.deliveries.get(logOf(id), published.id)).toMatchObject({ status: 'delivered', attemptCount: 2 });
  });
});

describe('webhook state', () => {
  it('410 Gone disables the webhook; its events are kept and enabling delivers them', async () => {
    const { id } = await subscribe();
    receiver.respond = (_, response) => response.writeHead(410).end();
    const gone = event();

    await harness.publisher.publish(gone);
    await harness.drain();

    expect(receiver.requests).toHaveLength(1);
    const read = await harness.api('GET', `/webhooks/${id}`);
    expect(read.body.webhook).toMatchObject({ status: 'disabled', disabled_reason: 'endpoint_gone' });
    expect(await harness.deliveries.get(logOf(id), gone.id)).toMatchObject({ status: 'pending_endpoint', attemptCount: 1 });

    const later = [event('aggregation.started'), event('aggregation.failed')];
    for (const published of later) await harness.publisher.publish(published);
    await harness.drain();
    expect(receiver.requests).toHaveLength(1);
    for (const published of later) {
      expect(await harness.deliveries.get(logOf(id), published.id)).toMatchObject({
        status: 'pending_endpoint',
        attemptCount: 0,
      });
    }

    receiver.respond = (_, response) => response.writeHead(204).end();
    const enabled = await harness.api('POST', `/webhooks/${id}/enable`);
    expect(enabled).toMatchObject({ status: 200, body: { webhook: { status: 'enabled' }, resumed_deliveries: 3 } });
    expect(enabled.body.webhook).not.toHaveProperty('disabled_reason');
    await harness.drain();

    const ids = [gone, ...later].map((published) => published.id);
    expect(
      receiver.requests
        .slice(1)
        .map((r) => r.headers['webhook-id'])
        .sort(),
    ).toEqual([...ids].sort());
    for (const msgId of ids) expect(await harness.deliveries.get(logOf(id), msgId)).toMatchObject({ status: 'delivered' });
    expect(await harness.deliveries.get(logOf(id), gone.id)).toMatchObject({ attemptCount: 2, attemptsBeforeRound: 1 });
  });

  it('keeps the retry in flight when the webhook is disabled, and resumes it with a fresh schedule', async () => {
    const { id } = await subscribe();
    receiver.respond = (_, response) => response.writeHead(500).end();
    const published = event();
    await harness.publisher.publish(published);
    const [first] = await harness.takeMessages();
    await harness.notifier.deliverer.handle(first!);
    await harness.api('PATCH', `/webhooks/${id}`, { body: { enabled: false } });

    await harness.drain();

    expect(receiver.requests).toHaveLength(1);
    expect(await harness.deliveries.get(logOf(id), published.id)).toMatchObject({ status: 'pending_endpoint', attemptCount: 1 });
    const patched = await harness.api('PATCH', `/webhooks/${id}`, { body: { enabled: true } });
    expect(patched.body.webhook).toMatchObject({ status: 'enabled' });
    const [resumed] = await harness.takeMessages();
    expect(resumed).toMatchObject({ attempt: 2, due_at: harness.clock.now() });
    await harness.notifier.deliverer.handle(resumed!);
    // The resumed round starts its schedule again: 5 s after its first failure.
    expect(await harness.deliveries.get(logOf(id), published.id)).toMatchObject({
      status: 'pending',
      attemptCount: 2,
      attemptsBeforeRound: 1,
      nextAttemptAt: harness.clock.now() + 5_000,
    });
  });

  it('a delivery marked pending_endpoint whose webhook is enabled meanwhile is queued again by the worker that marked it', async () => {
    const { id } = await subscribe();
    const published = event();
    await harness.publisher.publish(published);
    const [message] = await harness.takeMessages();
    await harness.notifier.webhooks.disable(id, 'manual');
    // The enable and its sweep happen between this worker's read of the webhook and its marking the delivery pending_endpoint.
    const webhooks = harness.notifier.webhooks;
    const get = webhooks.get.bind(webhooks);
    let reads = 0;
    const spy = vi.spyOn(webhooks, 'get').mockImplementation(async (webhookId) => {
      const webhook = await get(webhookId);
      if (++reads === 1) {
        await harness.api('POST', `/webhooks/${id}/enable`);
        return webhook && { ...webhook, status: 'disabled' };
      }
      return webhook;
    });
    try {
      await harness.notifier.deliverer.handle(message!);
    } finally {
      spy.mockRestore();
    }

    await harness.drain();

    expect(receiver.requests.map((r) => r.headers['webhook-id'])).toEqual([published.id]);
    expect(await harness.deliveries.get(logOf(id), published.id)).toMatchObject({ status: 'delivered' });
  });

  /** A subscribed endpoint answering 503 while `failing` is set, and 204 once it is cleared. */
  async function failingEndpoint() {
    const { id } = await subscribe();
    const endpoint = { id, failing: true, start: harness.clock.now() };
    receiver.respond = (_, response) => response.writeHead(endpoint.failing ? 503 : 204).end();
    return endpoint;
  }

  it('disables an endpoint whose attempts have all failed for 5 days; a success in between resets the streak', async () => {
    const endpoint = await failingEndpoint();
    const { id, start } = endpoint;

    await harness.publisher.publish(event());
    await harness.drain();
    expect((await harness.api('GET', `/webhooks/${id}`)).body.webhook).toMatchObject({
      status: 'enabled',
      failing_since: new Date(start).toISOString(),
    });

    harness.clock.set(start + 4 * DAY);
    endpoint.failing = false;
    await harness.publisher.publish(event());
    await harness.drain();
    expect((await harness.api('GET', `/webhooks/${id}`)).body.webhook).not.toHaveProperty('failing_since');

    endpoint.failing = true;
    const streakStart = harness.clock.now();
    await harness.publisher.publish(event());
    await harness.drain();
    harness.clock.set(streakStart + 5 * DAY - 1_000);
    await harness.publisher.publish(event());
    const [beforeFiveDays] = await harness.takeMessages();
    await harness.notifier.deliverer.handle(beforeFiveDays!);
    expect(await harness.notifier.webhooks.get(id)).toMatchObject({ status: 'enabled' });

    harness.clock.advance(5_000);
    await harness.drain();

    const webhook = (await harness.api('GET', `/webhooks/${id}`)).body.webhook;
    expect(webhook).toMatchObject({
      status: 'disabled',
      disabled_reason: 'endpoint_failing',
      failing_since: new Date(streakStart).toISOString(),
    });
    expect(await harness.deliveries.get(logOf(id), beforeFiveDays!.msg_id)).toMatchObject({ status: 'pending_endpoint' });
  });

  it('an endpoint enabled again stays failing until a delivery succeeds, with 5 new days before it is disabled again', async () => {
    const endpoint = await failingEndpoint();
    const { id, start } = endpoint;
    await harness.publisher.publish(event());
    await harness.drain();
    harness.clock.set(start + 5 * DAY + 1_000);
    await harness.publisher.publish(event());
    await harness.drain();
    expect(await harness.notifier.webhooks.get(id)).toMatchObject({ status: 'disabled', disabledReason: 'endpoint_failing' });

    // Enabled while the endpoint still fails: its kept deliveries are tried, it shows failing, it is not disabled at once.
    expect((await harness.api('POST', `/webhooks/${id}/enable`)).body.webhook).toMatchObject({
      status: 'enabled',
      failing_since: new Date(start).toISOString(),
    });
    await harness.drain();
    expect((await harness.api('GET', `/webhooks/${id}`)).body.webhook).toMatchObject({
      status: 'enabled',
      failing_since: new Date(start).toISOString(),
    });

    harness.clock.advance(5 * DAY + 1_000);
    await harness.publisher.publish(event());
    await harness.drain();
    expect(await harness.notifier.webhooks.get(id)).toMatchObject({ status: 'disabled', disabledReason: 'endpoint_failing' });

    endpoint.failing = false;
    await harness.api('POST', `/webhooks/${id}/enable`);
    await harness.drain();
    expect((await harness.api('GET', `/webhooks/${id}`)).body.webhook).not.toHaveProperty('failing_since');
  });

  it('a delivery whose webhook was deleted fails without an attempt', async () => {
    const { id } = await subscribe();
    const published = event();
    await harness.publisher.publish(published);
    await harness.notifier.webhooks.delete(id);

    await harness.drain();

    expect(receiver.requests).toHaveLength(0);
    expect(await harness.deliveries.get(logOf(id), published.id)).toMatchObject({
      status: 'failed',
      failureReason: 'webhook_deleted',
      attemptCount: 0,
    });
  });

  it('a delivery whose webhook was disabled is kept, unattempted', async () => {
    const { id } = await subscribe();
    const published = event();
    await harness.publisher.publish(published);
    await harness.notifier.webhooks.disable(id, 'manual');

    await harness.drain();

    expect(receiver.requests).toHaveLength(0);
    expect(await harness.deliveries.get(logOf(id), published.id)).toMatchObject({ status: 'pending_endpoint', attemptCount: 0 });
  });
});

describe('secret rotation', () => {
  it('signs with both secrets for 24 hours after a rotation, then with the new one only', async () => {
    const { id, secret: oldSecret } = await subscribe();
    const rotatedAt = harness.clock.now();

    const rotated = await harness.api('POST', `/webhooks/${id}/rotate-secret`);

    expect(rotated.status).toBe(200);
    const newSecret: string = rotated.body.webhook.secret;
    expect(newSecret).toMatch(/^whsec_/);
    expect(newSecret).not.toBe(oldSecret);
    expect(rotated.body.webhook.previous_secret_expires_at).toBe(new Date(rotatedAt + DAY).toISOString());
    const read = await harness.api('GET', `/webhooks/${id}`);
    expect(JSON.stringify(read.body)).not.toContain('whsec_');

    const deliverAt = async (at: number) => {
      harness.clock.set(at);
      receiver.requests.length = 0;
      await harness.publisher.publish(event());
      await harness.drain();
      return receiver.requests[0]!;
    };
    for (const at of [rotatedAt + 1_000, rotatedAt + DAY - 1_000]) {
      const request = await deliverAt(at);
      expect(String(request.headers['webhook-signature']).split(' ')).toHaveLength(2);
      expect(() => verifyAtReceipt(request, newSecret), 'new-secret receiver').not.toThrow();
      expect(() => verifyAtReceipt(request, oldSecret), 'old-secret receiver').not.toThrow();
    }
    const after = await deliverAt(rotatedAt + DAY);
    expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(() => verifyAtReceipt(after, newSecret)).not.toThrow();
    expect(() => verifyAtReceipt(after, oldSecret)).toThrow(WebhookVerificationError);
    expect((await harness.api('GET', `/webhooks/${id}`)).body.webhook).not.toHaveProperty('previous_secret_expires_at');
  });
});
