import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errors, type MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MxError } from '../../../lib/mx/errors.ts';
import { MxTransport, NEXUS_HEADERS, NEXUS_MEDIA_TYPE } from '../../../lib/mx/transport.ts';
import { CapturingLog, DATA_ORIGIN, mockAgent, recordedCalls } from './support/fakes.ts';

describe('MxTransport', () => {
  let agent: MockAgent;
  let log: CapturingLog;
  let transport: MxTransport;

  beforeEach(() => {
    agent = mockAgent();
    log = new CapturingLog();
    transport = new MxTransport({
      baseUrl: DATA_ORIGIN,
      timeoutMs: 1_000,
      defaultHeaders: NEXUS_HEADERS,
      dispatcher: agent,
      upstream: 'mx-data',
      log,
    });
  });

  afterEach(async () => {
    agent.assertNoPendingInterceptors();
    await agent.close();
  });

  /** Answers the next call, whatever its path and method. */
  const reply = (status: number, body: object = {}) =>
    agent
      .get(DATA_ORIGIN)
      .intercept({ path: () => true, method: () => true })
      .reply(status, body);

  it('sends the default headers, the call headers and a JSON body, and parses the JSON answer', async () => {
    reply(200, { session: { token: 't' } });

    const response = await transport.request({
      method: 'POST',
      route: '/sessions',
      headers: { 'MD-API-TOKEN': 'one-time' },
      body: {},
    });

    expect(response).toEqual({ status: 200, body: { session: { token: 't' } } });
    const [sent] = recordedCalls(agent);
    expect(sent).toMatchObject({ method: 'POST', path: '/sessions', body: '{}' });
    expect(sent?.headers).toEqual({ accept: NEXUS_MEDIA_TYPE, 'content-type': NEXUS_MEDIA_TYPE, 'md-api-token': 'one-time' });
  });

  it.each([
    ['../x', '/members/..%2Fx'],
    ['a/b', '/members/a%2Fb'],
    ['%2e', '/members/%252e'],
    ['%2e%2e%2f', '/members/%252e%252e%252f'],
    ['x?y=1#z', '/members/x%3Fy%3D1%23z'],
    ['MBR-é 1', '/members/MBR-%C3%A9%201'],
  ])('encodes the path parameter %j as one segment', async (guid, path) => {
    reply(200);
    await transport.request({ method: 'GET', route: '/members/{member_guid}', params: { member_guid: guid } });
    expect(recordedCalls(agent)[0]?.url).toBe(`${DATA_ORIGIN}${path}`);
  });

  it.each(['', '.', '..'])('refuses the path parameter %j before calling MX', async (guid) => {
    await expect(
      transport.request({ method: 'GET', route: '/members/{member_guid}', params: { member_guid: guid } }),
    ).rejects.toThrow(TypeError);
    expect(recordedCalls(agent)).toHaveLength(0);
  });

  it('URL-encodes query keys and values and leaves out undefined ones', async () => {
    reply(200);
    await transport.request({
      method: 'GET',
      route: '/transactions',
      query: { use_case: 'PFM', q: 'a b&c=d/é', page: 2, include_holdings: false, skipped: undefined },
    });
    expect(recordedCalls(agent)[0]?.url).toBe(
      `${DATA_ORIGIN}/transactions?use_case=PFM&q=a%20b%26c%3Dd%2F%C3%A9&page=2&include_holdings=false`,
    );
  });

  it('keeps a base path of the base URL', async () => {
    const prefixed = new MxTransport({ baseUrl: `${DATA_ORIGIN}/nexus/`, timeoutMs: 1_000, dispatcher: agent });
    reply(200);
    await prefixed.request({ method: 'GET', route: '/members/{member_guid}', params: { member_guid: 'MBR-1' } });
    expect(recordedCalls(agent)[0]?.path).toBe('/nexus/members/MBR-1');
  });

  it('returns an undefined body for an empty answer', async () => {
    agent
      .get(DATA_ORIGIN)
      .intercept({ path: '/spending_plans/SPL-1/spending_plan_account/SPA-1', method: 'DELETE' })
      .reply(204, '');
    const response = await transport.request({
      method: 'DELETE',
      route: '/spending_plans/{spending_plan_guid}/spending_plan_account/{spending_plan_account_guid}',
      params: { spending_plan_guid: 'SPL-1', spending_plan_account_guid: 'SPA-1' },
    });
    expect(response).toEqual({ status: 204, body: undefined });
  });

  it('validates the body with the schema given and returns its output', async () => {
    reply(200, { member: { guid: 'MBR-1', extra: true } });
    const schema = z.object({ member: z.object({ guid: z.string() }) });
    const { body } = await transport.request({ method: 'GET', route: '/members', schema });
    expect(body).toEqual({ member: { guid: 'MBR-1' } });
  });

  it('fails with MX_INVALID_RESPONSE on a 2xx body of the wrong shape, naming the field', async () => {
    reply(200, { member: { guid: 42 } });
    const schema = z.object({ member: z.object({ guid: z.string() }) });
    const error = await transport.request({ method: 'GET', route: '/members', schema }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MxError);
    expect(error).toMatchObject({ code: 'MX_INVALID_RESPONSE', status: 200, route: '/members' });
    expect((error as MxError).message).toContain('member.guid');
  });

  it('fails with MX_INVALID_RESPONSE on a 2xx body that is not JSON, without quoting it', async () => {
    agent.get(DATA_ORIGIN).intercept({ path: '/sessions', method: 'POST' }).reply(200, '{"session":{"token":"SECRET-TOKEN"');
    const error = await transport.request({ method: 'POST', route: '/sessions', body: {} }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MX_INVALID_RESPONSE', status: 200 });
    expect((error as MxError).cause).toBeUndefined();
    expect(JSON.stringify(log.entries)).not.toContain('SECRET-TOKEN');
  });

  it('maps a non-2xx answer with the route pattern, not the path', async () => {
    agent
      .get(DATA_ORIGIN)
      .intercept({ path: '/members/MBR-9', method: 'GET' })
      .reply(404, { error: { code: 4040, message: 'Not found' } });
    const error = await transport
      .request({ method: 'GET', route: '/members/{member_guid}', params: { member_guid: 'MBR-9' } })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'MX_NOT_FOUND',
      status: 404,
      mxCode: 4040,
      route: '/members/{member_guid}',
      method: 'GET',
    });
    expect((error as MxError).message).not.toContain('MBR-9');
  });

  it('passes Retry-After through on 429', async () => {
    agent
      .get(DATA_ORIGIN)
      .intercept({ path: '/members', method: 'GET' })
      .reply(429, '', { headers: { 'retry-after': '12' } });
    const error = await transport.request({ method: 'GET', route: '/members' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MX_RATE_LIMITED', retryAfterSeconds: 12 });
  });

  it('maps a connection failure to MX_NETWORK_ERROR with the cause kept', async () => {
    const cause = new errors.SocketError('other side closed');
    agent.get(DATA_ORIGIN).intercept({ path: '/members', method: 'GET' }).replyWithError(cause);
    const error = await transport.request({ method: 'GET', route: '/members' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MX_NETWORK_ERROR', route: '/members', status: undefined });
    expect((error as MxError).cause).toBe(cause);
  });

  it.each([new errors.HeadersTimeoutError(), new errors.BodyTimeoutError(), new errors.ConnectTimeoutError()])(
    'maps undici %s to MX_TIMEOUT',
    async (cause) => {
      agent.get(DATA_ORIGIN).intercept({ path: '/members', method: 'GET' }).replyWithError(cause);
      const error = await transport.request({ method: 'GET', route: '/members' }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'MX_TIMEOUT', cause });
    },
  );

  describe('logging', () => {
    it('logs each call once with method, route pattern, status, latency and attempt', async () => {
      reply(200, { member: {} });
      await transport.request({
        method: 'GET',
        route: '/members/{member_guid}',
        params: { member_guid: 'MBR-SENSITIVE-PATH' },
        headers: { 'MD-SESSION-TOKEN': 'SESSION-SECRET' },
        attempt: 2,
      });

      expect(log.entries).toHaveLength(1);
      expect(log.entries[0]).toMatchObject({
        level: 'info',
        extra: { upstream: 'mx-data', method: 'GET', route: '/members/{member_guid}', status: 200, attempt: 2 },
      });
      expect(log.entries[0]?.extra?.latency_ms).toEqual(expect.any(Number));
      expect(log.text()).not.toMatch(/SESSION-SECRET|MBR-SENSITIVE-PATH/);
    });

    it('logs a failed call once, as a warning with its error code', async () => {
      reply(401, { error: { code: 4011, message: 'expired' } });
      await transport.request({ method: 'GET', route: '/members' }).catch(() => undefined);
      expect(log.entries).toEqual([
        {
          level: 'warn',
          message: 'mx call failed',
          extra: expect.objectContaining({
            route: '/members',
            status: 401,
            attempt: 1,
            error_code: 'MX_UNAUTHORIZED',
            mx_code: 4011,
          }),
        },
      ]);
    });
  });
});

describe('MxTransport over real sockets', () => {
  let server: Server;
  let baseUrl: string;
  let connections: number;
  let answer: 'json' | 'never';

  beforeEach(async () => {
    connections = 0;
    answer = 'json';
    server = createServer((req, res) => {
      if (answer === 'never') return;
      res.writeHead(200, { 'content-type': NEXUS_MEDIA_TYPE }).end(JSON.stringify({ path: req.url }));
    });
    server.on('connection', () => {
      connections += 1;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('reuses one keep-alive connection across calls by default', async () => {
    const transport = new MxTransport({ baseUrl, timeoutMs: 2_000 });
    try {
      for (const guid of ['a', 'b', 'c']) {
        const { body } = await transport.request({
          method: 'GET',
          route: '/members/{member_guid}',
          params: { member_guid: guid },
        });
        expect(body).toEqual({ path: `/members/${guid}` });
        // undici marks the connection free on the next tick; real flows always have I/O (DynamoDB) between calls.
        await new Promise(setImmediate);
      }
      expect(connections).toBe(1);
    } finally {
      await transport.close();
    }
  });

  it('gives up after timeoutMs with MX_TIMEOUT', async () => {
    answer = 'never';
    const transport = new MxTransport({ baseUrl, timeoutMs: 100 });
    try {
      const error = await transport.request({ method: 'GET', route: '/members' }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'MX_TIMEOUT', route: '/members' });
      expect((error as MxError).cause).toBeInstanceOf(errors.HeadersTimeoutError);
    } finally {
      await transport.close();
    }
  });

  it('maps a refused connection to MX_NETWORK_ERROR', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));

    const transport = new MxTransport({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 1_000 });
    try {
      const error = await transport.request({ method: 'GET', route: '/members' }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'MX_NETWORK_ERROR', message: 'GET /members could not reach MX (ECONNREFUSED)' });
    } finally {
      await transport.close();
    }
  });
});
