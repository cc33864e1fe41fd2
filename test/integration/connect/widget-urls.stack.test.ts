import { randomBytes } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type LocalStack, startLocalStack } from '../../../infra/local/local-stack.ts';
import { createDocumentClient } from '../../../lib/aws/dynamodb-client.ts';
import { hashApiKey } from '../../../lib/http/auth.ts';
import { ApiKeysRepository } from '../../../lib/store/api-keys-repo.ts';

/**
 * `POST /users/{user_id}/widget_urls` through the local gateway, api-connect and the simulator's SSO API: the user made
 * at MX once, MX's use_cases rules kept before MX is called, and the URL — a credential — in no log line and no item.
 */
const BOUND_USER = 'connect-bound-user';
const USER_KEY = `nxr_test_${randomBytes(24).toString('base64url')}`;
const USERS_ROUTE = 'POST /mdx-realtime/{client_id}/users';
const URLS_ROUTE = 'POST /{client_id}/users/{user_id}/urls';

let stack: LocalStack;
const written: string[] = [];

beforeAll(async () => {
  // Every line the stack writes (DEBUG: the most it ever logs), kept to be searched for URLs.
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  stack = await startLocalStack({ port: 0, simPort: 0, env: { LOG_LEVEL: 'DEBUG' } });
  const client = createDocumentClient({ region: stack.engines.region, dynamoDbEndpoint: stack.engines.dynamoDbEndpoint });
  await new ApiKeysRepository({ client, tableName: stack.engines.tableName }).put({
    hash: hashApiKey(USER_KEY),
    name: 'client-app',
    userId: BOUND_USER,
    createdAt: new Date().toISOString(),
  });
  client.destroy();
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  vi.restoreAllMocks();
});

async function widgetUrl(userId: string, body: unknown, { key = stack.apiKey, headers = {} } = {}) {
  const response = await fetch(`${stack.url}/users/${userId}/widget_urls`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}

const mxCalls = async (): Promise<Record<string, number>> =>
  ((await (await fetch(`${stack.simulatorUrl}/_sim/stats`)).json()) as { calls: Record<string, number> }).calls;

const issued: string[] = [];

describe('POST /users/{user_id}/widget_urls', () => {
  it('makes a user MX does not know, then answers a single-use URL good for ten minutes (PFM unless named)', async () => {
    const before = Date.now();
    // Opted in, MX refuses a connect_widget URL without use_cases (the simulator too): the relay sent PFM.
    const answer = await widgetUrl('connect-new-user', { widget_type: 'connect_widget' });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    const { url, type, user_id, expires_at } = answer.body.widget_url;
    issued.push(url);
    expect({ type, user_id }).toEqual({ type: 'connect_widget', user_id: 'connect-new-user' });
    expect(url).toMatch(/\/_sim\/widgets\/[A-Za-z0-9_-]{20,}$/);
    expect(Date.parse(expires_at) - before).toBeGreaterThanOrEqual(10 * 60_000 - 1_000);
    expect(Date.parse(expires_at) - Date.now()).toBeLessThanOrEqual(10 * 60_000);
    expect((await mxCalls())[USERS_ROUTE]).toBe(1);
  });

  it('makes a new user at MX once, however many first requests arrive together', async () => {
    const usersBefore = (await mxCalls())[USERS_ROUTE] ?? 0;
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => widgetUrl('connect-crowd-user', { widget_type: 'accounts_widget' })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(201));
    issued.push(...answers.map((a) => a.body.widget_url.url as string));
    expect(new Set(issued).size).toBe(issued.length);
    expect((await mxCalls())[USERS_ROUTE]).toBe(usersBefore + 1);
  });

  it.each([
    [{ widget_type: 'connections_widget', use_cases: [] }, 'use_cases'],
    [{ widget_type: 'connect_widget', use_cases: ['PFM'], connections_use_case_filter: true }, 'connections_use_case_filter'],
  ])('refuses %j before MX: 422 naming %s', async (body, field) => {
    const before = await mxCalls();
    const answer = await widgetUrl('connect-new-user', body);
    expect(answer.status).toBe(422);
    expect(answer.headers.get('content-type')).toBe('application/problem+json');
    expect(answer.body).toMatchObject({ code: 'use_cases_invalid', field });
    const after = await mxCalls();
    expect(after[URLS_ROUTE]).toBe(before[URLS_ROUTE]);
    expect(after[USERS_ROUTE]).toBe(before[USERS_ROUTE]);
  });

  it('refuses what MX does not take, naming the field, and another user for a key bound to one', async () => {
    expect((await widgetUrl('u1', { widget_type: 'connect_widget', use_cases: ['PFM'], colour: 'red' })).body).toMatchObject({
      code: 'validation_failed',
      field: 'colour',
    });
    expect((await widgetUrl('u1', { widget_type: 'nope' })).body).toMatchObject({
      code: 'validation_failed',
      field: 'widget_type',
    });
    expect((await widgetUrl('u1', { widget_type: 'connect_widget', language: 'de' })).body).toMatchObject({
      code: 'validation_failed',
      field: 'language',
    });
    const french = await widgetUrl('u1', { widget_type: 'connect_widget', language: 'fr-ca', enable_app2app: false });
    expect(french.status).toBe(201);
    issued.push(french.body.widget_url.url);
    const own = await widgetUrl(BOUND_USER, { widget_type: 'connect_widget', use_cases: ['PFM'] }, { key: USER_KEY });
    expect(own.status).toBe(201);
    issued.push(own.body.widget_url.url);
    const other = await widgetUrl('connect-new-user', { widget_type: 'connect_widget', use_cases: ['PFM'] }, { key: USER_KEY });
    expect(other.status).toBe(403);
  });

  it('never replays a URL: the same Idempotency-Key gets a new one', async () => {
    const request = { widget_type: 'connect_widget', use_cases: ['PFM', 'MONEY_MOVEMENT'] };
    const headers = { 'idempotency-key': 'connect-once' };
    const [first, second] = [
      await widgetUrl('connect-new-user', request, { headers }),
      await widgetUrl('connect-new-user', request, { headers }),
    ];
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.headers.get('idempotent-replayed')).toBeNull();
    expect(second.body.widget_url.url).not.toBe(first.body.widget_url.url);
    issued.push(first.body.widget_url.url, second.body.widget_url.url);
  });

  it('leaves no URL token in any log line or table item', async () => {
    const tokens = issued.map((url) => url.slice(url.lastIndexOf('/') + 1));
    expect(tokens.length).toBeGreaterThan(20);
    const logged = written.join('');
    expect(logged).toContain('"function_name":"api-connect"');
    const client = createDocumentClient({ region: stack.engines.region, dynamoDbEndpoint: stack.engines.dynamoDbEndpoint });
    const { Items = [] } = await client.send(new ScanCommand({ TableName: stack.engines.tableName }));
    client.destroy();
    const items = JSON.stringify(Items);
    for (const token of tokens) {
      expect(logged.includes(token), 'a log line holds a widget URL token').toBe(false);
      expect(items.includes(token), 'a table item holds a widget URL token').toBe(false);
    }
  });
});
