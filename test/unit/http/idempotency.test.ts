import { testDigests } from '../../support/digest-keys.ts';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { routesByKey } from '../../../lib/http/http-handler.ts';
import { idempotent } from '../../../lib/http/idempotency.ts';
import type { AuthenticatedRequest, AuthenticatedRoute, HttpMethod, Route } from '../../../lib/http/route.ts';
import { noMetrics } from '../../../lib/metrics.ts';
import { HttpProblem } from '../../../lib/http/problem.ts';
import { silentLog } from '../../../lib/logger.ts';
import { MemoryIdempotencyStore } from '../../support/memory-idempotency-store.ts';

const created: AuthenticatedRoute = {
  method: 'POST',
  path: '/things/{thing_id}',
  fn: 'api-webhooks',
  summary: 'things',
  docs: () => ({ responses: {} }),
  auth: 'api_key',
  access: 'server_key',
  handle: async () => ({ status: 201, body: { ok: true } }),
};

function setUp() {
  const store = new MemoryIdempotencyStore();
  return { store, operation: idempotent(created, { store, clock: new ManualClock(), log: silentLog, digests: testDigests }) };
}

function request(overrides: Partial<AuthenticatedRequest> & { key?: string } = {}): AuthenticatedRequest {
  const { key = 'key-1', ...rest } = overrides;
  return {
    requestId: 'req-00000001',
    routeKey: 'POST /things/{thing_id}',
    method: 'POST',
    path: '/things/t1',
    pathParams: { thing_id: 't1' },
    query: {},
    headers: { 'idempotency-key': key },
    body: { name: 'a', tags: ['x', 'y'] },
    principal: { keyId: 'key-id-a', keyName: 'client-a' },
    ...rest,
  };
}

describe('idempotent: the Idempotency-Key header', () => {
  it('runs requests without the header as they are, without touching the store', async () => {
    const { store, operation } = setUp();
    const answer = await operation.handle({ ...request(), headers: {} }, {});
    expect(answer).toEqual({ status: 201, body: { ok: true } });
    expect(store.claims).toHaveLength(0);
  });

  it.each([
    ['empty', ''],
    ['256 characters', 'k'.repeat(256)],
    ['a space', 'key 1'],
    ['a control character', 'key\t1'],
    ['non-ASCII', 'clé'],
  ])('answers 400 naming the header when the key is %s', async (_, key) => {
    const { store, operation } = setUp();
    const failure = await operation.handle(request({ key }), {}).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(HttpProblem);
    expect(failure).toMatchObject({ status: 400, problemCode: 'validation_failed', field: 'header.idempotency-key' });
    expect((failure as HttpProblem).message).toContain('Idempotency-Key');
    expect(store.claims).toHaveLength(0);
  });

  it('accepts 1 to 255 visible ASCII characters', async () => {
    const { store, operation } = setUp();
    for (const key of ['k', '!~'.repeat(127) + '!', 'order:2026-01-01/7f3e"{}']) {
      await expect(operation.handle(request({ key }), {})).resolves.toMatchObject({ status: 201 });
    }
    expect(store.claims).toHaveLength(3);
  });
});

describe('idempotent: scope and request fingerprint', () => {
  async function claimFor(overrides: Partial<AuthenticatedRequest> & { key?: string }) {
    const { store, operation } = setUp();
    await operation.handle(request(overrides), {});
    return store.claims[0]!;
  }

  it("scopes the key by the API key's identity, method and route key, never storing the key itself", async () => {
    const base = await claimFor({});
    expect(base.recordId).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(base)).not.toContain('key-1');
    expect((await claimFor({})).recordId).toBe(base.recordId);
    for (const other of [
      { key: 'key-2' },
      // Another key with the same name (names are labels, not unique).
      { principal: { keyId: 'key-id-b', keyName: 'client-a' } },
      { routeKey: 'POST /things/{thing_id}/copy' },
      { method: 'PUT', routeKey: 'PUT /things/{thing_id}' },
    ]) {
      expect((await claimFor(other)).recordId, JSON.stringify(other)).not.toBe(base.recordId);
    }
  });

  it('is the same scope for the same key whatever its name says', async () => {
    const base = await claimFor({});
    expect((await claimFor({ principal: { keyId: 'key-id-a', keyName: 'renamed' } })).recordId).toBe(base.recordId);
  });

  it('fingerprints the canonical body: key order does not matter, array order and values do', async () => {
    const base = await claimFor({});
    expect((await claimFor({ body: { tags: ['x', 'y'], name: 'a' } })).requestHash).toBe(base.requestHash);
    for (const body of [{ name: 'a', tags: ['y', 'x'] }, { name: 'b', tags: ['x', 'y'] }, { name: 'a' }, undefined]) {
      expect((await claimFor({ body })).requestHash, JSON.stringify(body)).not.toBe(base.requestHash);
    }
  });

  it('fingerprints path parameters and query, but not headers', async () => {
    const base = await claimFor({});
    expect((await claimFor({ pathParams: { thing_id: 't2' } })).requestHash).not.toBe(base.requestHash);
    expect((await claimFor({ query: { dry_run: 'true' } })).requestHash).not.toBe(base.requestHash);
    const withHeader = { headers: { 'idempotency-key': 'key-1', 'user-agent': 'other' } };
    expect((await claimFor(withHeader)).requestHash).toBe(base.requestHash);
  });
});

describe('routesByKey', () => {
  const route = (method: HttpMethod, path: string, auth: 'api_key' | 'none' = 'api_key'): Route => ({
    method,
    path,
    fn: 'api-webhooks',
    summary: path,
    ...(auth === 'api_key'
      ? { auth, access: 'server_key' as const, handle: created.handle }
      : { auth, handle: async () => ({ status: 201 }) }),
    docs: () => ({ responses: {} }),
  });
  const routes = [
    route('POST', '/things'),
    route('PUT', '/things/{thing_id}'),
    route('GET', '/things/{thing_id}'),
    route('PATCH', '/things/{thing_id}'),
    route('DELETE', '/things/{thing_id}'),
    route('POST', '/hooks', 'none'),
  ];
  const deps = { store: new MemoryIdempotencyStore(), clock: new ManualClock(), log: silentLog, digests: testDigests };

  it('makes the authenticated POST and PUT routes idempotent and no other', async () => {
    const byKey = routesByKey(routes, { log: silentLog, metrics: noMetrics, idempotent: (route) => idempotent(route, deps) });
    expect([...byKey.keys()]).toEqual(routes.map((r) => `${r.method} ${r.path}`));
    const replays = async (key: string) => {
      const send = () => byKey.get(key)!.handle(request({ routeKey: key }), {});
      await send();
      return (await send()).headers?.['idempotent-replayed'] === 'true';
    };
    expect(await replays('POST /things')).toBe(true);
    expect(await replays('PUT /things/{thing_id}')).toBe(true);
    for (const key of ['GET /things/{thing_id}', 'PATCH /things/{thing_id}', 'DELETE /things/{thing_id}', 'POST /hooks']) {
      expect(await replays(key), key).toBe(false);
    }
  });

  it('refuses a function serving an idempotent route without the key store, and a route declared twice', () => {
    const plain = { log: silentLog, metrics: noMetrics };
    expect(() => routesByKey(routes, plain)).toThrow('POST /things honours Idempotency-Key');
    expect(() => routesByKey([routes[2]!, routes[2]!], plain)).toThrow('GET /things/{thing_id} is declared twice');
  });
});

describe('idempotent: access', () => {
  it('refuses to wrap a route whose access is checked inside it, after a replay would already be answered', () => {
    const byResource: AuthenticatedRoute = { ...created, access: 'by_resource' };
    const deps = { store: new MemoryIdempotencyStore(), clock: new ManualClock(), log: silentLog, digests: testDigests };
    expect(() => idempotent(byResource, deps)).toThrow(/declares its access/);
  });
});
