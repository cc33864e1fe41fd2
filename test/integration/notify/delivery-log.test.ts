import { describe, expect, it } from 'vitest';
import { type EventType, serializeEvent, type WebhookEvent } from '../../../lib/notify/events.ts';
import { generateSecret } from '../../../lib/notify/signing.ts';
import type { Receiver } from '../../unit/notify/support/receiver.ts';
import { logOf, type NotifyHarness, USER_KEY, useNotifyHarness, verifyAtReceipt } from './harness.ts';
import { jobEventData } from '../../support/job-events.ts';
import { createSealedWebhook } from '../../../bench/support/sealed-webhook.ts';

let harness: NotifyHarness;
let receiver: Receiver;
let sequence = 0;

useNotifyHarness((started) => ({ harness, receiver } = started));

function event(type: EventType = 'aggregation.succeeded'): WebhookEvent {
  sequence += 1;
  return {
    id: `msg_log_${sequence}`,
    type,
    timestamp: new Date(harness.clock.now()).toISOString(),
    data: jobEventData(`job_${sequence}`),
  };
}

async function subscribe() {
  const secret = generateSecret();
  const webhook = await createSealedWebhook(harness.notifier, { url: receiver.url(), eventTypes: ['*'], secret });
  return { id: webhook.id, secret };
}

/** Publishes `events`, one second apart, and delivers them. */
async function deliver(events: WebhookEvent[]): Promise<number[]> {
  const times: number[] = [];
  for (const published of events) {
    harness.clock.advance(1_000);
    times.push(harness.clock.now());
    await harness.publisher.publish({ ...published, timestamp: new Date(harness.clock.now()).toISOString() });
    await harness.drain();
  }
  return times;
}

const iso = (ms: number) => new Date(ms).toISOString();

describe('retries, seen in the delivery log', () => {
  it('a receiver failing 3 times then answering 204 gets the event once as delivered; the log shows 4 attempts', async () => {
    const { id, secret } = await subscribe();
    const answers = [500, 503, 429, 204];
    let calls = 0;
    receiver.respond = (_, response) => response.writeHead(answers[calls++]!).end(calls < 4 ? `no ${calls}` : '');
    const published = event();

    await harness.publisher.publish(published);
    await harness.drain();

    expect(receiver.requests).toHaveLength(4);
    expect(new Set(receiver.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([published.id]));
    for (const request of receiver.requests)
      expect(verifyAtReceipt(request, secret)).toEqual(JSON.parse(serializeEvent(published)));
    const log = await harness.api('GET', `/webhooks/${id}/deliveries`);
    expect(log.status).toBe(200);
    expect(log.body.deliveries).toEqual([
      {
        msg_id: published.id,
        event_type: 'aggregation.succeeded',
        status: 'delivered',
        attempt_count: 4,
        attempts: answers.map((statusCode, i) => ({
          at: expect.any(String),
          status_code: statusCode,
          latency_ms: expect.any(Number),
          ...(i < 3 ? { response_excerpt: `no ${i + 1}` } : {}),
        })),
        created_at: expect.any(String),
        updated_at: expect.any(String),
      },
    ]);
    expect(log.body).not.toHaveProperty('next_cursor');
  });

  it('shows the error class of attempts that got no answer', async () => {
    const { id } = await subscribe();
    receiver.respond = (_request, response) => {
      if (receiver.requests.length === 1) response.socket?.destroy();
      else response.writeHead(204).end();
    };
    await harness.publisher.publish(event());
    await harness.drain();

    const [delivery] = (await harness.api('GET', `/webhooks/${id}/deliveries`)).body.deliveries;
    expect(delivery.attempts).toEqual([
      { at: expect.any(String), latency_ms: expect.any(Number), error: 'connection' },
      { at: expect.any(String), status_code: 204, latency_ms: expect.any(Number) },
    ]);
  });
});

describe('GET /webhooks/{webhook_id}/deliveries', () => {
  it('lists newest first, filters by status and time, and pages with a cursor', async () => {
    const { id } = await subscribe();
    const events = [event(), event(), event(), event(), event()];
    let calls = 0;
    receiver.respond = (_, response) => response.writeHead(++calls === 2 ? 410 : 204).end();
    await deliver(events.slice(0, 2));
    await harness.api('POST', `/webhooks/${id}/enable`);
    const [resumed] = await harness.takeMessages(); // the kept event stays pending_endpoint for this test
    expect(resumed!.msg_id).toBe(events[1]!.id);
    const times = [0, 0, ...(await deliver(events.slice(2)))];

    const all = await harness.api('GET', `/webhooks/${id}/deliveries`);
    expect(all.body.deliveries.map((d: { msg_id: string }) => d.msg_id)).toEqual(events.map((e) => e.id).reverse());

    const kept = await harness.api('GET', `/webhooks/${id}/deliveries`, { query: { status: 'pending_endpoint' } });
    expect(kept.body.deliveries.map((d: { msg_id: string }) => d.msg_id)).toEqual([events[1]!.id]);

    const range = await harness.api('GET', `/webhooks/${id}/deliveries`, {
      query: { since: iso(times[2]!), until: iso(times[4]!) },
    });
    expect(range.body.deliveries.map((d: { msg_id: string }) => d.msg_id)).toEqual([events[3]!.id, events[2]!.id]);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await harness.api('GET', `/webhooks/${id}/deliveries`, {
        query: { limit: '2', ...(cursor ? { cursor } : {}) },
      });
      expect(page.status).toBe(200);
      expect(page.body.deliveries.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.deliveries.map((d: { msg_id: string }) => d.msg_id));
      cursor = page.body.next_cursor;
      if (cursor) expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    } while (cursor);
    expect(seen).toEqual(events.map((e) => e.id).reverse());
  });

  it('refuses a cursor that was tampered with, or belongs to another webhook or range, with 400 naming it', async () => {
    const { id } = await subscribe();
    const other = await subscribe();
    await deliver([event(), event(), event()]);
    const { next_cursor: cursor } = (await harness.api('GET', `/webhooks/${id}/deliveries`, { query: { limit: '1' } })).body;
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

    const tampered = [
      'not base64url!',
      encode('a string'),
      Buffer.from('{"pk":').toString('base64url'),
      encode({ ...key, extra: 1 }),
      encode({ ...key, position: `${key.position}x.y` }),
      encode({ ...key, webhook_id: other.id }),
      encode({ ...key, position: key.position.replace(/^\d{4}/, '1999-') }),
      cursor.slice(0, -2),
    ];
    for (const bad of tampered) {
      const response = await harness.api('GET', `/webhooks/${id}/deliveries`, { query: { cursor: bad } });
      expect(response, bad).toMatchObject({ status: 400, body: { code: 'invalid_cursor', field: 'cursor' } });
    }
    const elsewhere = await harness.api('GET', `/webhooks/${other.id}/deliveries`, { query: { cursor } });
    expect(elsewhere).toMatchObject({ status: 400, body: { field: 'cursor' } });
    const outside = await harness.api('GET', `/webhooks/${id}/deliveries`, {
      query: { cursor, until: '2000-01-01T00:00:00Z' },
    });
    expect(outside).toMatchObject({ status: 400, body: { field: 'cursor' } });
  });

  it.each([
    [{ status: 'lost' }, 'status'],
    [{ since: 'yesterday' }, 'since'],
    [{ since: '2026-01-02T00:00:00Z', until: '2026-01-01T00:00:00Z' }, 'until'],
    [{ limit: '0' }, 'limit'],
    [{ limit: '101' }, 'limit'],
    [{ colour: 'red' }, 'colour'],
  ])('rejects the query %j with 400 naming %s', async (query, field) => {
    const { id } = await subscribe();
    const response = await harness.api('GET', `/webhooks/${id}/deliveries`, { query });
    expect(response).toMatchObject({ status: 400, body: { code: 'validation_failed', field } });
  });

  it('answers 404 for an unknown webhook and 403 for a key bound to a user', async () => {
    expect(await harness.api('GET', '/webhooks/wh_nope/deliveries')).toMatchObject({ status: 404 });
    const { id } = await subscribe();
    expect(await harness.api('GET', `/webhooks/${id}/deliveries`, { key: USER_KEY })).toMatchObject({ status: 403 });
  });
});

describe('replay', () => {
  it('re-sends one message with its original webhook-id and body, and logs the new attempt', async () => {
    const { id, secret } = await subscribe();
    const published = event();
    await deliver([published]);

    const replayed = await harness.api('POST', `/webhooks/${id}/deliveries/${published.id}/replay`);
    expect(replayed).toMatchObject({ status: 202, body: { delivery: { msg_id: published.id, status: 'pending' } } });
    await harness.drain();

    expect(receiver.requests).toHaveLength(2);
    const [original, again] = receiver.requests;
    expect(again!.headers['webhook-id']).toBe(original!.headers['webhook-id']);
    expect(again!.body).toBe(original!.body);
    expect(verifyAtReceipt(again!, secret)).toEqual(JSON.parse(original!.body));
    expect(await harness.deliveries.get(logOf(id), published.id)).toMatchObject({ status: 'delivered', attemptCount: 2 });
  });

  it('replays a failed delivery with a fresh retry schedule', async () => {
    const { id } = await subscribe();
    receiver.respond = (_, response) => response.writeHead(500).end();
    const published = event();
    await deliver([published]);
    expect(await harness.deliveries.get(logOf(id), published.id)).toMatchObject({ status: 'failed', attemptCount: 8 });

    // The new round's first attempt fails and its retry succeeds (a tenth failure in a row would open the endpoint's
    // breaker: endpoint-breaker.test.ts).
    let calls = 0;
    receiver.respond = (_, response) => response.writeHead(++calls < 2 ? 500 : 204).end();
    await harness.api('POST', `/webhooks/${id}/deliveries/${published.id}/replay`);
    await harness.drain();

    expect(await harness.deliveries.get(logOf(id), published.id)).toMatchObject({
      status: 'delivered',
      attemptCount: 10,
      attemptsBeforeRound: 8,
    });
    expect(new Set(receiver.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([published.id]));
  });

  it('re-sends the deliveries of a time range, oldest first, with their original webhook-ids', async () => {
    const { id } = await subscribe();
    const events = [event(), event(), event(), event()];
    const times = await deliver(events);
    receiver.requests.length = 0;

    const replayed = await harness.api('POST', `/webhooks/${id}/replay`, {
      body: { since: iso(times[1]!), until: iso(times[3]!) },
    });
    expect(replayed).toMatchObject({ status: 202, body: { replayed: 2, skipped: 0 } });
    expect(replayed.body).not.toHaveProperty('next_cursor');
    await harness.drain();

    expect(receiver.requests.map((r) => r.headers['webhook-id'])).toEqual([events[1]!.id, events[2]!.id]);
  });

  it('replays only the range deliveries with the given status', async () => {
    const { id } = await subscribe();
    let calls = 0;
    receiver.respond = (_, response) => response.writeHead(++calls <= 8 ? 500 : 204).end();
    const [failed, delivered] = [event(), event()];
    const times = await deliver([failed!, delivered!]);
    receiver.requests.length = 0;

    const replayed = await harness.api('POST', `/webhooks/${id}/replay`, {
      body: { since: iso(times[0]!), until: iso(times[1]! + 1), status: 'failed' },
    });
    await harness.drain();

    expect(replayed.body).toMatchObject({ replayed: 1 });
    expect(receiver.requests.map((r) => r.headers['webhook-id'])).toEqual([failed!.id]);
  });

  it('refuses replays while the webhook is disabled, and unknown messages', async () => {
    const { id } = await subscribe();
    expect(await harness.api('POST', `/webhooks/${id}/deliveries/msg_unknown/replay`)).toMatchObject({
      status: 404,
      body: { code: 'not_found' },
    });
    await harness.api('PATCH', `/webhooks/${id}`, { body: { enabled: false } });
    expect(await harness.api('POST', `/webhooks/${id}/deliveries/msg_unknown/replay`)).toMatchObject({
      status: 409,
      body: { code: 'conflict' },
    });
    const range = { since: '2026-01-01T00:00:00Z', until: '2026-01-02T00:00:00Z' };
    expect(await harness.api('POST', `/webhooks/${id}/replay`, { body: range })).toMatchObject({ status: 409 });
  });

  it('validates the range body', async () => {
    const { id } = await subscribe();
    for (const [body, field, code] of [
      [{ until: '2026-01-02T00:00:00Z' }, 'since', 'validation_failed'],
      [{ since: '2026-01-02T00:00:00Z', until: '2026-01-01T00:00:00Z' }, 'until', 'validation_failed'],
      [{ since: '2026-01-01T00:00:00Z', until: '2026-01-02T00:00:00Z', status: 'done' }, 'status', 'validation_failed'],
      [{ since: '2026-01-01T00:00:00Z', until: '2026-01-02T00:00:00Z', cursor: 'x' }, 'cursor', 'invalid_cursor'],
    ] as const) {
      const response = await harness.api('POST', `/webhooks/${id}/replay`, { body });
      expect(response, field).toMatchObject({ status: 400, body: { code, field } });
    }
  });
});
