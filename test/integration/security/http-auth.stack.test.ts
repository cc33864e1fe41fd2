import { randomBytes, randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type LocalStack, startLocalStack } from '../../../infra/local/local-stack.ts';
import { ROUTES } from '../../../lib/route-table.ts';
import { createDocumentClient } from '../../../lib/aws/dynamodb-client.ts';
import { ApiKeyAuthenticator, hashApiKey } from '../../../lib/http/auth.ts';
import { ApiKeysRepository } from '../../../lib/store/api-keys-repo.ts';
import { catalogueGuid } from '../../../sim/institutions.ts';

/**
 * API keys over HTTP, through the local gateway and the same handlers the Lambdas run: what a key bound to one user
 * may not do, and a brute-force run of random keys. (A missing or malformed key → 401 is covered end to end by
 * test/e2e/walking-skeleton.test.ts; webhook routes refusing user-bound keys by test/integration/notify/webhooks-api.)
 */
const OWN_USER = 'sim-user-pfm';
const OTHER_USER = 'sim-user-mm';
const USER_KEY = `nxr_test_${randomBytes(24).toString('base64url')}`;
const ATTEMPTS = 1_000;
const CONCURRENCY = 16;

let stack: LocalStack;

async function call(method: string, path: string, key: string | undefined, body?: unknown) {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: {
      ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, type: response.headers.get('content-type'), body: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, simPort: 0, env: { LOG_LEVEL: 'WARN' } });
  const client = createDocumentClient({ region: stack.engines.region, dynamoDbEndpoint: stack.engines.dynamoDbEndpoint });
  await new ApiKeysRepository({ client, tableName: stack.engines.tableName }).put({
    hash: hashApiKey(USER_KEY),
    name: 'client-app',
    userId: OWN_USER,
    createdAt: new Date().toISOString(),
  });
  client.destroy();
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

/** Values each path parameter's validation accepts, so a refusal can only come from the key. */
const VALID: Record<string, string> = {
  member_guid: 'MBR-00000000-0000-0000-0000-000000000001',
  beat_guid: 'BET-1',
  spending_plan_guid: 'SPL-1',
  spending_plan_account_guid: 'SPA-1',
  category_guid: 'CAT-1',
  top_level_category_guids: 'CAT-1,CAT-2',
  institution_guid: catalogueGuid('mxbank'),
  start_date: '2026-01-01',
  end_date: '2026-01-31',
};
const BODIES: Record<string, unknown> = { PUT: { challenges: [{ guid: 'CRD-1', value: 'blue' }] } };

describe('a key bound to a user', () => {
  const userRoutes = ROUTES.filter((route) => route.auth === 'api_key' && route.path.startsWith('/users/{user_id}/'));

  it('reads its own user’s data', async () => {
    const own = await call('GET', `/users/${OWN_USER}/members`, USER_KEY);
    expect(own.status, JSON.stringify(own.body)).toBe(200);
    expect(own.body.members.length).toBeGreaterThan(0);
  });

  it('gets 403 forbidden on every /users/{user_id}/… route for another user, before anything reaches MX', async () => {
    expect(userRoutes.length).toBeGreaterThanOrEqual(20);
    const requests = userRoutes.map((route) => ({
      method: route.method,
      path: route.path.replace(/\{(\w+)\}/g, (_, name: string) => (name === 'user_id' ? OTHER_USER : VALID[name]!)),
      body: BODIES[route.method],
    }));
    const mxCalls = async () => JSON.stringify(await (await fetch(`${stack.simulatorUrl}/_sim/stats`)).json());
    const before = await mxCalls();
    for (const { method, path, body } of requests) {
      expect(await call(method, path, USER_KEY, body), `${method} ${path}`).toMatchObject({
        status: 403,
        type: 'application/problem+json',
        body: { status: 403, code: 'forbidden' },
      });
    }
    expect(await mxCalls()).toBe(before);
    // The same requests with a server key get past authorisation (whatever MX then says): the 403s were the key's.
    for (const { method, path, body } of requests) {
      const answer = await call(method, path, stack.apiKey, body);
      expect(answer.body?.code, `${method} ${path}`).not.toBe('forbidden');
    }
  });
});

describe('a key bound to a user, on the routes for server keys only', () => {
  it('gets 403 forbidden on every one (webhooks, the operator’s views across users); a server key does not', async () => {
    const serverRoutes = ROUTES.filter((route) => route.auth === 'api_key' && route.access === 'server_key');
    expect(serverRoutes.map((route) => `${route.method} ${route.path}`)).toEqual(
      expect.arrayContaining(['GET /jobs', 'GET /members', 'GET /queues', 'POST /webhooks']),
    );
    const query: Record<string, string> = { '/jobs': '?state=attention', '/members': '?state=needs_user' };
    for (const route of serverRoutes) {
      const path = `${route.path.replace(/\{(\w+)\}/g, 'x')}${query[route.path] ?? ''}`;
      const body = route.method === 'GET' || route.method === 'DELETE' ? undefined : {};
      expect(await call(route.method, path, USER_KEY, body), `${route.method} ${path}`).toMatchObject({
        status: 403,
        body: { code: 'forbidden' },
      });
      expect((await call(route.method, path, stack.apiKey, body)).body?.code, `${route.method} ${path}`).not.toBe('forbidden');
    }
  });
});

describe(`brute force: ${ATTEMPTS} random wrong keys`, () => {
  it('are all refused with 401 problem+json, none succeeds, and the key cache stays bounded', async () => {
    // A request with the real key first, so the function's authenticator exists and holds a known key; the spy on
    // its class catches it.
    const authenticators = new Set<ApiKeyAuthenticator>();
    const authenticate = ApiKeyAuthenticator.prototype.authenticate;
    vi.spyOn(ApiKeyAuthenticator.prototype, 'authenticate').mockImplementation(function (this: ApiKeyAuthenticator, header) {
      authenticators.add(this);
      return authenticate.call(this, header);
    });
    expect((await call('GET', `/users/${OWN_USER}/members`, stack.apiKey)).status).toBe(200);
    expect(authenticators.size).toBe(1);
    const [authenticator] = [...authenticators] as [ApiKeyAuthenticator];
    expect(authenticator.cacheSize.keys).toBeGreaterThanOrEqual(1);

    const statuses = new Map<number, number>();
    let next = 0;
    const worker = async () => {
      while (next < ATTEMPTS) {
        next++;
        const key = randomBytes(randomInt(12, 384)).toString('base64url');
        const response = await call('GET', `/users/${OWN_USER}/members`, key);
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        if (response.status !== 401 || response.type !== 'application/problem+json' || response.body?.code !== 'unauthorized') {
          throw new Error(`a wrong key got ${response.status} ${response.type}: ${JSON.stringify(response.body)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    expect(Object.fromEntries(statuses)).toEqual({ 401: ATTEMPTS });
    const { keys, misses } = authenticator.cacheSize;
    expect(misses).toBeLessThanOrEqual(256);
    expect(keys).toBeLessThanOrEqual(2);
    // The flood evicted no real key: it still works.
    expect((await call('GET', `/users/${OWN_USER}/members`, stack.apiKey)).status).toBe(200);
  }, 120_000);
});
