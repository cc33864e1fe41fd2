import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ROUTES } from '../../../lib/route-table.ts';
import { TEST_EVENT_TYPE } from '../../../lib/notify/events.ts';
import { sealedFor } from '../../../lib/secret-box.ts';
import { Receiver } from '../../unit/notify/support/receiver.ts';
import { logOf, type NotifyHarness, resolverOf, startNotifyHarness, USER_KEY, verifyAtReceipt } from './harness.ts';
import { jobEventData } from '../../support/job-events.ts';

/** Deployed rules (https, public addresses only) with a resolver that knows a few names. */
let deployed: NotifyHarness;
/** Local rules, for calls that must reach a receiver on 127.0.0.1. */
let local: NotifyHarness;
let receiver: Receiver;

const PUBLIC = '93.184.215.14';
const names: Record<string, string | string[]> = {
  'hooks.example.com': PUBLIC,
  'other.example.com': [PUBLIC, '2606:2800:220:1::1'],
  'loopback.example.com': '127.0.0.1',
  'metadata.example.com': '169.254.169.254',
  'mixed.example.com': [PUBLIC, '10.0.0.8'],
  'rebind.example.com': PUBLIC,
};

beforeAll(async () => {
  [deployed, local] = await Promise.all([
    startNotifyHarness({ allowInsecureUrls: false, resolver: resolverOf(names) }),
    startNotifyHarness(),
  ]);
  receiver = await Receiver.start({ now: () => local.clock.now() });
});
afterAll(async () => {
  await receiver?.close();
  await Promise.all([deployed?.stop(), local?.stop()]);
});
beforeEach(() => {
  receiver.requests.length = 0;
  receiver.respond = (_, response) => response.writeHead(204).end();
});

const create = async (body: Record<string, unknown> = {}, harness = deployed) =>
  (await harness.api('POST', '/webhooks', { body: { url: 'https://hooks.example.com/a', ...body } })).body.webhook;

describe('POST /webhooks', () => {
  it('creates an enabled webhook to every event and returns its secret once', async () => {
    const created = await deployed.api('POST', '/webhooks', { body: { url: 'https://hooks.example.com/a', description: 'ops' } });

    expect(created.status).toBe(201);
    const { webhook } = created.body;
    expect(webhook).toEqual({
      id: expect.stringMatching(/^wh_[A-Za-z0-9_-]+$/),
      url: 'https://hooks.example.com/a',
      event_types: ['*'],
      description: 'ops',
      status: 'enabled',
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
      created_at: expect.any(String),
      updated_at: webhook.created_at,
    });
    expect(created.headers.location).toBe(`/webhooks/${webhook.id}`);
    // Stored sealed: only the secret box opens it to what the answer handed out.
    const [stored] = (await deployed.notifier.webhooks.get(webhook.id))!.secrets;
    expect(stored).toEqual({ secret: expect.stringMatching(/^nxsec2\./), createdAt: webhook.created_at });
    expect(await deployed.notifier.secretBox.open(stored!.secret, sealedFor.webhook(webhook.id))).toBe(webhook.secret);
    // Bound to its webhook: copied onto another, it does not open.
    await expect(deployed.notifier.secretBox.open(stored!.secret, sealedFor.webhook('wh_other'))).rejects.toThrow(
      /sealed for another item/,
    );

    const read = await deployed.api('GET', `/webhooks/${webhook.id}`);
    expect(read.status).toBe(200);
    expect(read.body.webhook).toEqual({ ...webhook, secret: undefined });
    expect(JSON.stringify(read.body)).not.toContain('whsec_');
    const list = await deployed.api('GET', '/webhooks');
    expect(list.body.webhooks).toContainEqual({ ...webhook, secret: undefined });
    expect(JSON.stringify(list.body)).not.toContain('whsec_');
  });

  it('keeps the given event types and wildcards, without duplicates', async () => {
    const webhook = await create({ event_types: ['aggregation.failed', 'aggregation.*', 'aggregation.failed'] });
    expect(webhook.event_types).toEqual(['aggregation.failed', 'aggregation.*']);
  });

  it.each([
    ['an unknown field', { url: 'https://hooks.example.com', colour: 'red' }, 'colour'],
    ['a missing url', { event_types: ['*'] }, 'url'],
    ['an unknown event type', { url: 'https://hooks.example.com', event_types: ['aggregation.done'] }, 'event_types.0'],
    ['a wildcard selecting nothing', { url: 'https://hooks.example.com', event_types: ['webhook.*'] }, 'event_types.0'],
    ['no event types', { url: 'https://hooks.example.com', event_types: [] }, 'event_types'],
    ['an empty description', { url: 'https://hooks.example.com', description: '  ' }, 'description'],
  ])('rejects %s with 400 naming the field', async (_, body, field) => {
    const response = await deployed.api('POST', '/webhooks', { body });
    expect(response).toMatchObject({ status: 400, body: { code: 'validation_failed', field } });
  });

  it('rejects a request without a body', async () => {
    const response = await deployed.api('POST', '/webhooks');
    expect(response).toMatchObject({ status: 400, body: { code: 'validation_failed', field: 'body' } });
  });
});

describe('the endpoint URL guard', () => {
  it.each([
    ['http:// when deployed', 'http://hooks.example.com/a', 'must use https'],
    ['a private address', 'https://10.0.0.1/a', 'must point to a public host'],
    ['the metadata address', 'https://169.254.169.254/latest/meta-data', 'must point to a public host'],
    ['IPv6 loopback', 'https://[::1]/a', 'must point to a public host'],
    ['IPv4-mapped loopback', 'https://[::ffff:127.0.0.1]/a', 'must point to a public host'],
    ['a decimal IPv4 loopback', 'https://2130706433/a', 'must point to a public host'],
    ['an octal IPv4 loopback', 'https://0177.0.0.1/a', 'must point to a public host'],
    ['a hex IPv4 private address', 'https://0xa000001/a', 'must point to a public host'],
    ['a hostname resolving to 127.0.0.1', 'https://loopback.example.com/a', 'must resolve only to public addresses'],
    ['a hostname resolving to the metadata address', 'https://metadata.example.com/a', 'must resolve only to public addresses'],
    [
      'a hostname with one private address among public ones',
      'https://mixed.example.com/a',
      'must resolve only to public addresses',
    ],
    ['a hostname that does not resolve', 'https://nowhere.example.com/a', 'must have a host that resolves'],
    ['localhost', 'https://localhost/a', 'must point to a public host'],
  ])('refuses %s with 400 naming url, on create and on update', async (_, url, detail) => {
    const created = await deployed.api('POST', '/webhooks', { body: { url } });
    expect(created).toMatchObject({
      status: 400,
      body: { code: 'validation_failed', field: 'url', detail: `body.url: ${detail}` },
    });

    const { id } = await create();
    const updated = await deployed.api('PATCH', `/webhooks/${id}`, { body: { url } });
    expect(updated).toMatchObject({ status: 400, body: { code: 'validation_failed', field: 'url' } });
    expect((await deployed.api('GET', `/webhooks/${id}`)).body.webhook.url).toBe('https://hooks.example.com/a');
  });

  it('accepts public https URLs, by name (all addresses public) or by address', async () => {
    for (const url of ['https://hooks.example.com/a', 'https://other.example.com:8443/b?c=d', `https://${PUBLIC}/e`]) {
      expect((await deployed.api('POST', '/webhooks', { body: { url } })).status, url).toBe(201);
    }
  });

  it('checks again at every delivery: a name that now resolves to 127.0.0.1 is not connected to', async () => {
    const { id } = await create({ url: 'https://rebind.example.com/hook' });
    names['rebind.example.com'] = '127.0.0.1';
    await deployed.publisher.publish({
      id: 'msg_rebind',
      type: 'aggregation.succeeded',
      timestamp: new Date(deployed.clock.now()).toISOString(),
      data: jobEventData('job_rebind'),
    });

    const [message] = (await deployed.takeMessages()).filter((m) => m.webhook_id === id);
    await deployed.notifier.deliverer.handle(message!);

    const delivery = await deployed.deliveries.get(logOf(id), 'msg_rebind');
    expect(delivery).toMatchObject({ status: 'pending', attemptCount: 1 });
    expect(delivery!.attempts[0]).toMatchObject({ error: 'blocked_address' });
    expect(delivery!.attempts[0]).not.toHaveProperty('statusCode');
  });

  it('accepts http://127.0.0.1 and http://localhost only in local mode', async () => {
    for (const url of ['http://127.0.0.1:4000/hook', 'http://localhost:4000/hook']) {
      expect((await local.api('POST', '/webhooks', { body: { url } })).status, url).toBe(201);
      expect((await deployed.api('POST', '/webhooks', { body: { url } })).status, url).toBe(400);
    }
  });
});

describe('PATCH /webhooks/{webhook_id}', () => {
  it('changes url, event types and description, and removes the description with null', async () => {
    const { id } = await create({ description: 'first' });

    const patched = await deployed.api('PATCH', `/webhooks/${id}`, {
      body: { url: 'https://other.example.com/b', event_types: ['aggregation.*'], description: 'second' },
    });

    expect(patched.status).toBe(200);
    expect(patched.body.webhook).toMatchObject({
      id,
      url: 'https://other.example.com/b',
      event_types: ['aggregation.*'],
      description: 'second',
      status: 'enabled',
    });
    const cleared = await deployed.api('PATCH', `/webhooks/${id}`, { body: { description: null } });
    expect(cleared.body.webhook).not.toHaveProperty('description');
    expect(cleared.body.webhook.url).toBe('https://other.example.com/b');
  });

  it('disables and enables', async () => {
    const { id } = await create();

    const disabled = await deployed.api('PATCH', `/webhooks/${id}`, { body: { enabled: false } });
    expect(disabled.body.webhook).toMatchObject({ status: 'disabled', disabled_reason: 'manual' });
    const enabled = await deployed.api('PATCH', `/webhooks/${id}`, { body: { enabled: true } });
    expect(enabled.body.webhook).toMatchObject({ status: 'enabled' });
    expect(enabled.body.webhook).not.toHaveProperty('disabled_reason');
  });

  it('a new URL ends the failure streak', async () => {
    const { id } = await create();
    await deployed.notifier.webhooks.markFailing(id);
    expect((await deployed.api('GET', `/webhooks/${id}`)).body.webhook).toHaveProperty('failing_since');

    const patched = await deployed.api('PATCH', `/webhooks/${id}`, { body: { url: 'https://other.example.com/new' } });

    expect(patched.body.webhook).not.toHaveProperty('failing_since');
  });

  it.each([
    ['an empty body', {}, 'body'],
    ['an unknown field', { secret: 'whsec_x' }, 'secret'],
    ['enabled that is not a boolean', { enabled: 'yes' }, 'enabled'],
    ['empty event types', { event_types: [] }, 'event_types'],
  ])('rejects %s with 400 naming the field', async (_, body, field) => {
    const { id } = await create();
    const response = await deployed.api('PATCH', `/webhooks/${id}`, { body });
    expect(response).toMatchObject({ status: 400, body: { code: 'validation_failed', field } });
  });

  it('answers 404 for an unknown webhook', async () => {
    const response = await deployed.api('PATCH', '/webhooks/wh_gone', { body: { enabled: true } });
    expect(response).toMatchObject({ status: 404, body: { code: 'not_found' } });
  });
});

describe('POST /webhooks/{webhook_id}/rotate-secret', () => {
  it('returns a new secret once and keeps the previous one signing for 24 hours', async () => {
    const { id, secret } = await create();

    const rotated = await deployed.api('POST', `/webhooks/${id}/rotate-secret`);

    expect(rotated.status).toBe(200);
    expect(rotated.body.webhook).toMatchObject({
      id,
      secret: expect.stringMatching(/^whsec_/),
      previous_secret_expires_at: new Date(deployed.clock.now() + 24 * 60 * 60 * 1000).toISOString(),
    });
    expect(rotated.body.webhook.secret).not.toBe(secret);
    const stored = (await deployed.notifier.webhooks.get(id))!.secrets.map((s) => s.secret);
    expect(await Promise.all(stored.map((s) => deployed.notifier.secretBox.open(s, sealedFor.webhook(id))))).toEqual([
      rotated.body.webhook.secret,
      secret,
    ]);
  });

  it('answers 409 when another rotation wins the race', async () => {
    const { id } = await create();
    const webhooks = deployed.notifier.webhooks;
    const replaceSecrets = webhooks.replaceSecrets.bind(webhooks);
    webhooks.replaceSecrets = async (...args) => {
      webhooks.replaceSecrets = replaceSecrets;
      await deployed.api('POST', `/webhooks/${id}/rotate-secret`);
      return replaceSecrets(...args);
    };

    const response = await deployed.api('POST', `/webhooks/${id}/rotate-secret`);

    expect(response).toMatchObject({ status: 409, body: { code: 'conflict' } });
    expect((await webhooks.get(id))!.secrets).toHaveLength(2);
  });
});

describe('POST /webhooks/{webhook_id}/test', () => {
  it('sends a signed webhook.test event and returns the outcome of the attempt', async () => {
    const { id, secret } = await create({ url: receiver.url('/test') }, local);
    receiver.respond = (_, response) => response.writeHead(200).end('pong');

    const tested = await local.api('POST', `/webhooks/${id}/test`);

    expect(tested).toMatchObject({
      status: 200,
      body: {
        test: {
          msg_id: expect.stringMatching(/^msg_test_/),
          delivered: true,
          attempt: { at: expect.any(String), status_code: 200, latency_ms: expect.any(Number), response_excerpt: 'pong' },
        },
      },
    });
    const [request] = receiver.requests;
    expect(request!.headers['webhook-id']).toBe(tested.body.test.msg_id);
    expect(verifyAtReceipt(request!, secret)).toEqual({
      type: TEST_EVENT_TYPE,
      timestamp: expect.any(String),
      data: { webhook_id: id },
    });
  });

  it('reports a failed attempt without retrying, logging it or touching the webhook', async () => {
    const { id } = await create({ url: receiver.url('/test') }, local);
    receiver.respond = (_, response) => response.writeHead(410).end();

    const tested = await local.api('POST', `/webhooks/${id}/test`);

    expect(tested.body.test).toMatchObject({ delivered: false, attempt: { status_code: 410 } });
    expect((await local.api('GET', `/webhooks/${id}`)).body.webhook).toMatchObject({ status: 'enabled' });
    expect((await local.api('GET', `/webhooks/${id}/deliveries`)).body.deliveries).toEqual([]);
    expect(await local.takeMessages()).toEqual([]);
  });
});

describe('GET and DELETE /webhooks/{webhook_id}', () => {
  it('deletes a webhook: 204, then 404', async () => {
    const { id } = await create();

    expect((await deployed.api('DELETE', `/webhooks/${id}`)).status).toBe(204);
    for (const method of ['GET', 'DELETE']) {
      expect(await deployed.api(method, `/webhooks/${id}`)).toMatchObject({ status: 404, body: { code: 'not_found' } });
    }
  });

  it('validates the id', async () => {
    const response = await deployed.api('GET', '/webhooks/nope');
    expect(response).toMatchObject({ status: 400, body: { code: 'validation_failed', field: 'webhook_id' } });
  });
});

describe('authorisation', () => {
  it('refuses keys bound to a user on every webhook route', async () => {
    const webhookRoutes = ROUTES.filter((route) => route.fn === 'api-webhooks');
    expect(webhookRoutes.length).toBeGreaterThanOrEqual(11);
    for (const route of webhookRoutes) {
      const path = route.path.replace('{webhook_id}', 'wh_x').replace('{msg_id}', 'msg_x');
      const response = await deployed.api(route.method, path, { key: USER_KEY, body: {} });
      expect(response, `${route.method} ${route.path}`).toMatchObject({ status: 403, body: { code: 'forbidden' } });
    }
  });
});
