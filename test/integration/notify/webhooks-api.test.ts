import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { silentLog } from '../../../lib/logger.ts';
import type { ApiEvent } from '../../../lib/http/api-event.ts';
import { ApiKeyAuthenticator, hashApiKey } from '../../../lib/http/auth.ts';
import { createHttpHandler } from '../../../lib/http/http-handler.ts';
import { webhooksOperations } from '../../../lib/notify/webhooks-api.ts';
import { WebhooksRepository } from '../../../lib/store/webhooks-repo.ts';
import { type NotifyHarness, startNotifyHarness } from './harness.ts';

const SERVER_KEY = 'server-key-0123456789abcdef';
const USER_KEY = 'user-key-0123456789abcdef';

let harness: NotifyHarness;
let webhooks: WebhooksRepository;
let deployed: ReturnType<typeof createHttpHandler>;
let local: ReturnType<typeof createHttpHandler>;

beforeAll(async () => {
  harness = await startNotifyHarness();
  webhooks = new WebhooksRepository(harness.table, new ManualClock());
  const keys = {
    get: async (hash: string) =>
      hash === hashApiKey(SERVER_KEY)
        ? { hash, name: 'server', createdAt: '2026-01-01T00:00:00Z' }
        : hash === hashApiKey(USER_KEY)
          ? { hash, name: 'app', userId: 'user-1', createdAt: '2026-01-01T00:00:00Z' }
          : undefined,
  };
  const deps = { authenticator: new ApiKeyAuthenticator(keys, new ManualClock()), log: silentLog };
  deployed = createHttpHandler(webhooksOperations({ webhooks, allowInsecureUrls: false }), deps);
  local = createHttpHandler(webhooksOperations({ webhooks, allowInsecureUrls: true }), deps);
});
afterAll(async () => {
  await harness?.stop();
});

async function call(
  handler: typeof deployed,
  method: string,
  path: string,
  options: { body?: unknown; key?: string; webhookId?: string } = {},
) {
  const event: ApiEvent = {
    routeKey: `${method} ${options.webhookId === undefined ? path : '/webhooks/{webhook_id}'}`,
    rawPath: path,
    headers: { authorization: `Bearer ${options.key ?? SERVER_KEY}`, 'content-type': 'application/json' },
    pathParameters: options.webhookId === undefined ? undefined : { webhook_id: options.webhookId },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    isBase64Encoded: false,
    requestContext: { requestId: 'req-0123456789', http: { method, path } },
  };
  const result = await handler(event, {} as Context);
  return { status: result.statusCode, headers: result.headers, body: result.body === '' ? undefined : JSON.parse(result.body) };
}

describe('POST /webhooks', () => {
  it('creates an enabled subscription to every event and returns its secret once', async () => {
    const created = await call(deployed, 'POST', '/webhooks', {
      body: { url: 'https://hooks.example.com/a', description: 'ops' },
    });

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
    });
    expect(created.headers.location).toBe(`/webhooks/${webhook.id}`);
    expect((await webhooks.get(webhook.id))!.secrets).toEqual([{ secret: webhook.secret, createdAt: webhook.created_at }]);

    const read = await call(deployed, 'GET', `/webhooks/${webhook.id}`, { webhookId: webhook.id });
    expect(read.status).toBe(200);
    expect(read.body.webhook).toEqual({ ...webhook, secret: undefined });
    expect(JSON.stringify(read.body)).not.toContain('whsec_');
    const list = await call(deployed, 'GET', '/webhooks');
    expect(list.body.webhooks).toContainEqual({ ...webhook, secret: undefined });
    expect(JSON.stringify(list.body)).not.toContain('whsec_');
  });

  it('keeps the given event types and wildcards, without duplicates', async () => {
    const created = await call(deployed, 'POST', '/webhooks', {
      body: { url: 'https://hooks.example.com/b', event_types: ['aggregation.failed', 'aggregation.*', 'aggregation.failed'] },
    });
    expect(created.body.webhook.event_types).toEqual(['aggregation.failed', 'aggregation.*']);
  });

  it.each([
    ['an unknown field', { url: 'https://hooks.example.com', colour: 'red' }, 'colour'],
    ['a missing url', { event_types: ['*'] }, 'url'],
    ['an http url', { url: 'http://hooks.example.com' }, 'url'],
    ['a private address', { url: 'https://169.254.169.254/latest' }, 'url'],
    ['an unknown event type', { url: 'https://hooks.example.com', event_types: ['aggregation.done'] }, 'event_types.0'],
    ['no event types', { url: 'https://hooks.example.com', event_types: [] }, 'event_types'],
    ['an empty description', { url: 'https://hooks.example.com', description: '  ' }, 'description'],
  ])('rejects %s with 400 naming the field', async (_, body, field) => {
    const response = await call(deployed, 'POST', '/webhooks', { body });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'validation_failed', field });
  });

  it('rejects a request without a body', async () => {
    const response = await call(deployed, 'POST', '/webhooks');
    expect(response).toMatchObject({ status: 400, body: { code: 'validation_failed', field: 'body' } });
  });

  it('accepts http://127.0.0.1 and http://localhost only in local mode', async () => {
    for (const url of ['http://127.0.0.1:4000/hook', 'http://localhost:4000/hook']) {
      expect((await call(local, 'POST', '/webhooks', { body: { url } })).status).toBe(201);
      expect((await call(deployed, 'POST', '/webhooks', { body: { url } })).status).toBe(400);
    }
  });
});

describe('GET and DELETE /webhooks/{webhook_id}', () => {
  it('deletes a subscription: 204, then 404', async () => {
    const { webhook } = (await call(deployed, 'POST', '/webhooks', { body: { url: 'https://hooks.example.com/c' } })).body;

    expect((await call(deployed, 'DELETE', `/webhooks/${webhook.id}`, { webhookId: webhook.id })).status).toBe(204);
    for (const method of ['GET', 'DELETE']) {
      const response = await call(deployed, method, `/webhooks/${webhook.id}`, { webhookId: webhook.id });
      expect(response).toMatchObject({ status: 404, body: { code: 'not_found' } });
    }
  });

  it('validates the id', async () => {
    const response = await call(deployed, 'GET', '/webhooks/nope', { webhookId: 'nope' });
    expect(response).toMatchObject({ status: 400, body: { code: 'validation_failed', field: 'webhook_id' } });
  });
});

describe('authorisation', () => {
  it('refuses keys bound to a user on every operation', async () => {
    const requests: [string, string, { webhookId?: string; body?: unknown }][] = [
      ['POST', '/webhooks', { body: { url: 'https://hooks.example.com' } }],
      ['GET', '/webhooks', {}],
      ['GET', '/webhooks/wh_x', { webhookId: 'wh_x' }],
      ['DELETE', '/webhooks/wh_x', { webhookId: 'wh_x' }],
    ];
    for (const [method, path, options] of requests) {
      const response = await call(deployed, method, path, { ...options, key: USER_KEY });
      expect(response, `${method} ${path}`).toMatchObject({ status: 403, body: { code: 'forbidden' } });
    }
  });
});
