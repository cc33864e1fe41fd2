import { silentLog } from '../../../lib/logger.ts';
import { noMetrics } from '../../../lib/metrics.ts';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errors, type MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as z from '../../../lib/zod.ts';
import { ManualClock } from '../../../lib/clock.ts';
import { MxError } from '../../../lib/mx/errors.ts';
import { APP_MAX_OPEN_MS, FAILURES_TO_OPEN, FIRST_OPEN_MS } from '../../../lib/mx/circuit-breaker.ts';
import { MxBudgetSpent } from '../../../lib/mx/call-budget.ts';
import { RetryPolicy } from '../../../lib/mx/retry-policy.ts';
import {
  MxTransport,
  type MxTransportOptions,
  NEXUS_HEADERS,
  NEXUS_MEDIA_TYPE,
  SLOW_CALL_MS,
} from '../../../lib/mx/transport.ts';
import { CapturingLog, DATA_ORIGIN, FakeTimer, mockAgent, recordedCalls } from './support/fakes.ts';

describe('MxTransport', () => {
  let agent: MockAgent;
  let log: CapturingLog;
  let timer: FakeTimer;
  let clock: ManualClock;
  let transport: MxTransport;

  /** Backoffs at half their ceiling: 50, 100, 200… ms. */
  const transportWith = (budgetMs = 5_000, budget?: MxTransportOptions['budget']) =>
    new MxTransport({
      metrics: noMetrics,
      baseUrl: DATA_ORIGIN,
      timeoutMs: 1_000,
      retry: new RetryPolicy({ budgetMs, timer, random: () => 0.5 }),
      defaultHeaders: NEXUS_HEADERS,
      dispatcher: agent,
      upstream: 'mx-data',
      log,
      clock,
      ...(budget ? { budget } : {}),
    });

  beforeEach(() => {
    agent = mockAgent();
    log = new CapturingLog();
    timer = new FakeTimer();
    clock = new ManualClock();
    transport = transportWith();
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

  it('holds calls once MX failed FAILURES_TO_OPEN in a row: none is sent until the open time is over, then one probe', async () => {
    const failing = transportWith(1); // one attempt each: no time left for a retry
    const get = () => failing.request({ method: 'GET', route: '/users', kind: 'read' });
    for (let i = 0; i < FAILURES_TO_OPEN; i++) {
      reply(503);
      await expect(get()).rejects.toMatchObject({ code: 'MX_UPSTREAM_ERROR' });
    }
    expect(failing.circuit).toBe('open');
    // Nothing intercepts: a call sent now would fail the test's pending-interceptor check, or MockAgent's.
    await expect(get()).rejects.toMatchObject({ code: 'MX_CIRCUIT_OPEN', retryAfterSeconds: FIRST_OPEN_MS / 1000 });
    expect(recordedCalls(agent)).toHaveLength(FAILURES_TO_OPEN);
    clock.advance(FIRST_OPEN_MS);
    reply(200, {});
    await expect(get()).resolves.toMatchObject({ status: 200 });
    expect(failing.circuit).toBe('closed');
  });

  it("holds an app's calls 5 s at most once MX failed; with queued work's budget, the breaker's usual time", async () => {
    for (const [priority, heldFor] of [
      ['app', APP_MAX_OPEN_MS],
      ['queued', FIRST_OPEN_MS],
    ] as const) {
      const failing = transportWith(1, { take: async () => {}, priority });
      const get = () => failing.request({ method: 'GET', route: '/users', kind: 'read' });
      for (let i = 0; i < FAILURES_TO_OPEN; i++) {
        reply(503);
        await expect(get()).rejects.toMatchObject({ code: 'MX_UPSTREAM_ERROR' });
      }
      await expect(get(), priority).rejects.toMatchObject({ code: 'MX_CIRCUIT_OPEN', retryAfterSeconds: heldFor / 1000 });
      clock.advance(heldFor);
      reply(200, {});
      await expect(get()).resolves.toMatchObject({ status: 200 });
    }
  });

  /** A transport over a budget of `left` attempts; `taken` counts what it spent. */
  const budgetedWith = (left: number, budgetMs = 5_000) => {
    const spent = { taken: 0 };
    const transport = transportWith(budgetMs, {
      take: async () => {
        if (left-- <= 0) throw new MxBudgetSpent(2_400);
        spent.taken += 1;
      },
    });
    return { transport, spent };
  };

  it('spends the budget once per attempt: a retry takes its own, and a spent budget ends the retries', async () => {
    const { transport: budgeted, spent } = budgetedWith(3);
    const get = () => budgeted.request({ method: 'GET', route: '/users', kind: 'read' });
    reply(503);
    reply(200, {});
    await expect(get()).resolves.toMatchObject({ status: 200 });
    expect(spent.taken).toBe(2);
    // MX answering 503 at once: one attempt left in the budget, one request sent, then the budget's refusal.
    reply(503);
    await expect(get()).rejects.toMatchObject({ code: 'MX_BUDGET_SPENT', retryAfterSeconds: 3 });
    expect(recordedCalls(agent)).toHaveLength(3);
  });

  it('a call the budget refuses is not sent and leaves the breaker alone, its probe free for the next call', async () => {
    const { transport: budgeted } = budgetedWith(0);
    for (let i = 0; i < FAILURES_TO_OPEN; i++) {
      await expect(budgeted.request({ method: 'GET', route: '/users', kind: 'read' })).rejects.toMatchObject({
        code: 'MX_BUDGET_SPENT',
      });
    }
    expect(recordedCalls(agent)).toHaveLength(0);
    expect(budgeted.circuit).toBe('closed');
  });

  it("refuses another host's budget: SSO's calls never spend the data host's", () => {
    const take = async () => {};
    expect(() => transportWith(5_000, { take, upstream: 'mx-sso' })).toThrow(
      expect.objectContaining({ code: 'MX_BUDGET_OF_ANOTHER_HOST' }),
    );
    expect(() => transportWith(5_000, { take, upstream: 'mx-data' })).not.toThrow();
  });

  it('a call the open breaker refuses spends no budget', async () => {
    const { transport: budgeted, spent } = budgetedWith(100, 1);
    const get = () => budgeted.request({ method: 'GET', route: '/users', kind: 'read' });
    for (let i = 0; i < FAILURES_TO_OPEN; i++) {
      reply(503);
      await expect(get()).rejects.toMatchObject({ code: 'MX_UPSTREAM_ERROR' });
    }
    const taken = spent.taken;
    await expect(get()).rejects.toMatchObject({ code: 'MX_CIRCUIT_OPEN' });
    expect(spent.taken).toBe(taken);
  });

  it('a half-open probe the budget refuses frees the probe: the next call may go', async () => {
    let left = FAILURES_TO_OPEN;
    let refuse = false;
    const budgeted = transportWith(1, {
      take: async () => {
        if (refuse || left-- <= 0) throw new MxBudgetSpent(1_000);
      },
    });
    const get = () => budgeted.request({ method: 'GET', route: '/users', kind: 'read' });
    for (let i = 0; i < FAILURES_TO_OPEN; i++) {
      reply(503);
      await expect(get()).rejects.toMatchObject({ code: 'MX_UPSTREAM_ERROR' });
    }
    clock.advance(FIRST_OPEN_MS);
    refuse = true;
    await expect(get()).rejects.toMatchObject({ code: 'MX_BUDGET_SPENT' });
    refuse = false;
    left = 1;
    reply(200, {});
    await expect(get()).resolves.toMatchObject({ status: 200 });
    expect(budgeted.circuit).toBe('closed');
  });

  it('sends the default headers, the call headers and a JSON body, and parses the JSON answer', async () => {
    reply(200, { session: { token: 't' } });

    const response = await transport.request({
      method: 'POST',
      route: '/sessions',
      kind: 'read',
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
    await transport.request({ method: 'GET', route: '/members/{member_guid}', kind: 'read', params: { member_guid: guid } });
    expect(recordedCalls(agent)[0]?.url).toBe(`${DATA_ORIGIN}${path}`);
  });

  it.each(['', '.', '..'])('refuses the path parameter %j before calling MX', async (guid) => {
    await expect(
      transport.request({ method: 'GET', route: '/members/{member_guid}', kind: 'read', params: { member_guid: guid } }),
    ).rejects.toThrow(TypeError);
    expect(recordedCalls(agent)).toHaveLength(0);
  });

  it('URL-encodes query keys and values and leaves out undefined ones', async () => {
    reply(200);
    await transport.request({
      method: 'GET',
      route: '/transactions',
      kind: 'read',
      query: { use_case: 'PFM', q: 'a b&c=d/é', page: 2, include_holdings: false, skipped: undefined },
    });
    expect(recordedCalls(agent)[0]?.url).toBe(
      `${DATA_ORIGIN}/transactions?use_case=PFM&q=a%20b%26c%3Dd%2F%C3%A9&page=2&include_holdings=false`,
    );
  });

  it('keeps a base path of the base URL', async () => {
    const prefixed = new MxTransport({
      log: silentLog,
      metrics: noMetrics,
      baseUrl: `${DATA_ORIGIN}/nexus/`,
      timeoutMs: 1_000,
      retry: new RetryPolicy({ budgetMs: 1_000 }),
      dispatcher: agent,
    });
    reply(200);
    await prefixed.request({ method: 'GET', route: '/members/{member_guid}', kind: 'read', params: { member_guid: 'MBR-1' } });
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
      kind: 'read',
      params: { spending_plan_guid: 'SPL-1', spending_plan_account_guid: 'SPA-1' },
    });
    expect(response).toEqual({ status: 204, body: undefined });
  });

  it('validates the body with the schema given and returns its output', async () => {
    reply(200, { member: { guid: 'MBR-1', extra: true } });
    const schema = z.object({ member: z.object({ guid: z.string() }) });
    const { body } = await transport.request({ method: 'GET', route: '/members', kind: 'read', schema });
    expect(body).toEqual({ member: { guid: 'MBR-1' } });
  });

  it('fails with MX_INVALID_RESPONSE on a 2xx body of the wrong shape, naming the field', async () => {
    reply(200, { member: { guid: 42 } });
    const schema = z.object({ member: z.object({ guid: z.string() }) });
    const error = await transport.request({ method: 'GET', route: '/members', kind: 'read', schema }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MxError);
    expect(error).toMatchObject({ code: 'MX_INVALID_RESPONSE', status: 200, route: '/members' });
    expect((error as MxError).message).toContain('member.guid');
  });

  it('fails with MX_INVALID_RESPONSE on a 2xx body that is not JSON, without quoting it', async () => {
    agent.get(DATA_ORIGIN).intercept({ path: '/sessions', method: 'POST' }).reply(200, '{"session":{"token":"SECRET-TOKEN"');
    const error = await transport
      .request({ method: 'POST', route: '/sessions', kind: 'read', body: {} })
      .catch((e: unknown) => e);
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
      .request({ method: 'GET', route: '/members/{member_guid}', kind: 'read', params: { member_guid: 'MBR-9' } })
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

  it('passes Retry-After through on a 429 it cannot wait for', async () => {
    agent
      .get(DATA_ORIGIN)
      .intercept({ path: '/members', method: 'GET' })
      .reply(429, '', { headers: { 'retry-after': '12' } });
    const error = await transport.request({ method: 'GET', route: '/members', kind: 'read' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MX_RATE_LIMITED', retryAfterSeconds: 12 });
    expect(recordedCalls(agent)).toHaveLength(1);
  });

  it('maps a connection failure to MX_NETWORK_ERROR with the cause kept', async () => {
    const cause = new errors.SocketError('other side closed');
    agent.get(DATA_ORIGIN).intercept({ path: '/members', method: 'POST' }).replyWithError(cause);
    const error = await transport.request({ method: 'POST', route: '/members', kind: 'read', body: {} }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MX_NETWORK_ERROR', route: '/members', status: undefined });
    expect((error as MxError).cause).toBe(cause);
  });

  it.each([new errors.HeadersTimeoutError(), new errors.BodyTimeoutError()])('maps undici %s to MX_TIMEOUT', async (cause) => {
    agent.get(DATA_ORIGIN).intercept({ path: '/members', method: 'POST' }).replyWithError(cause);
    const error = await transport.request({ method: 'POST', route: '/members', kind: 'read', body: {} }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MX_TIMEOUT', cause });
  });

  describe('requestText (a body relayed unchanged)', () => {
    const replyText = (text: string, contentType: string) =>
      agent
        .get(DATA_ORIGIN)
        .intercept({ path: () => true, method: 'GET' })
        .reply(200, text, { headers: { 'content-type': contentType } });

    it("hands back MX's JSON text byte for byte, not parsed", async () => {
      const text = '{ "transactions": [ {"guid":"TRN-1","amount":1.50} ],\n"pagination":{"current_page":1} }';
      replyText(text, NEXUS_MEDIA_TYPE);

      await expect(
        transport.requestText({ method: 'GET', route: '/transactions', kind: 'read', query: { page: 1 } }),
      ).resolves.toEqual({
        status: 200,
        body: text,
      });
      expect(recordedCalls(agent)[0]?.url).toBe(`${DATA_ORIGIN}/transactions?page=1`);
    });

    it.each([
      ['a non-JSON media type', '{"a":1}', 'text/html'],
      ['a body that cannot be JSON', '<html>oops</html>', 'application/json'],
    ])('fails with MX_INVALID_RESPONSE on %s', async (_, text, contentType) => {
      replyText(text, contentType);
      await expect(transport.requestText({ method: 'GET', route: '/transactions', kind: 'read' })).rejects.toMatchObject({
        code: 'MX_INVALID_RESPONSE',
        route: '/transactions',
      });
    });

    it.each([
      '{"accounts":[{"guid":"ACT-1"}]',
      '{',
      ' [1, 2 ',
      '[{"a":1}',
      '{"a":[1]]',
      '{"accounts":[{"guid":"ACT-1","balance":1}',
      '[[1],[2]',
      '{"a":"}"',
      '{"a":"\\"}',
      '{"a":1}{"b":2}',
      '[1]]',
    ])(
      'refuses %j, which does not close every object, array and string it opens, once, at its end (MX_INVALID_RESPONSE)',
      async (text) => {
        replyText(text, NEXUS_MEDIA_TYPE);
        await expect(transport.requestText({ method: 'GET', route: '/accounts', kind: 'read' })).rejects.toMatchObject({
          code: 'MX_INVALID_RESPONSE',
          route: '/accounts',
        });
      },
    );

    it('maps an MX error as request does', async () => {
      reply(401, { error: { code: 4011, message: 'Session expired' } });
      await expect(transport.requestText({ method: 'GET', route: '/transactions', kind: 'read' })).rejects.toMatchObject({
        code: 'MX_UNAUTHORIZED',
        mxCode: 4011,
      });
    });
  });

  describe('exchange (one attempt, any answer: mx check)', () => {
    it("hands back MX's answer whatever its status, once: no retry, no log line", async () => {
      agent
        .get(DATA_ORIGIN)
        .intercept({ path: () => true, method: 'GET' })
        .reply(503, '{"error":{"code":5000}}', { headers: { 'content-type': 'application/json' } });

      const answer = await transport.exchange({
        method: 'GET',
        route: '/members/{member_guid}/aggregate',
        params: { member_guid: 'MBR-1' },
        headers: { 'MD-SESSION-TOKEN': 's' },
        query: { include_transactions: true },
      });

      expect(answer).toMatchObject({ status: 503, text: '{"error":{"code":5000}}' });
      expect(answer.headers['content-type']).toBe('application/json');
      const [sent, ...more] = recordedCalls(agent);
      expect(more).toEqual([]);
      expect(sent).toMatchObject({
        url: `${DATA_ORIGIN}/members/MBR-1/aggregate?include_transactions=true`,
        headers: expect.objectContaining({ 'md-session-token': 's', accept: NEXUS_MEDIA_TYPE }),
      });
      expect(log.entries).toEqual([]);
    });

    it('throws MxError when no answer comes', async () => {
      agent
        .get(DATA_ORIGIN)
        .intercept({ path: () => true, method: 'GET' })
        .replyWithError(new errors.SocketError('other side closed'));
      await expect(transport.exchange({ method: 'GET', route: '/members' })).rejects.toBeInstanceOf(MxError);
    });
  });

  describe('retrying', () => {
    const replyInTurn = (method: string, ...answers: (number | Error)[]) => {
      for (const answer of answers) {
        const interceptor = agent
          .get(DATA_ORIGIN)
          .intercept({ path: () => true, method })
          .defaultReplyHeaders({ 'content-type': NEXUS_MEDIA_TYPE });
        if (answer instanceof Error) interceptor.replyWithError(answer);
        else interceptor.reply(answer, answer < 300 ? { members: [] } : { error: { code: answer * 10, message: 'x' } });
      }
    };
    const get = () => transport.request({ method: 'GET', route: '/members', kind: 'read' });
    const attempts = () => recordedCalls(agent).length;

    it('retries a read after 502, 503, 504, 429 and a lost connection, with growing jittered waits', async () => {
      replyInTurn('GET', 502, 503, 504, 429, new errors.SocketError('other side closed'), 200);

      await expect(get()).resolves.toEqual({ status: 200, body: { members: [] } });

      expect(attempts()).toBe(6);
      expect(timer.sleeps).toEqual([50, 100, 200, 400, 800]);
    });

    it('retries a read after a 500: reading twice does no harm', async () => {
      replyInTurn('GET', 500, 500, 200);
      await expect(get()).resolves.toEqual({ status: 200, body: { members: [] } });
      expect(attempts()).toBe(3);
      expect(timer.sleeps).toEqual([50, 100]);
    });

    it('does not retry a 501, a 505 or a refusal: asking again gets the same answer', async () => {
      replyInTurn('GET', 501);
      await expect(get()).rejects.toMatchObject({ code: 'MX_UPSTREAM_ERROR', status: 501 });
      replyInTurn('GET', 505);
      await expect(get()).rejects.toMatchObject({ code: 'MX_UPSTREAM_ERROR', status: 505 });
      replyInTurn('GET', 404);
      await expect(get()).rejects.toMatchObject({ code: 'MX_NOT_FOUND' });
      expect(attempts()).toBe(3);
      expect(timer.sleeps).toEqual([]);
    });

    it('waits as long as Retry-After says, in seconds', async () => {
      agent
        .get(DATA_ORIGIN)
        .intercept({ path: '/members', method: 'GET' })
        .reply(429, '', { headers: { 'retry-after': '2' } });
      replyInTurn('GET', 200);
      await get();
      expect(timer.sleeps).toEqual([2_000]);
    });

    it('waits until the HTTP date Retry-After gives', async () => {
      const at = new Date(clock.now() + 3_000).toUTCString();
      agent
        .get(DATA_ORIGIN)
        .intercept({ path: '/members', method: 'GET' })
        .reply(429, '', { headers: { 'retry-after': at } });
      replyInTurn('GET', 200);
      await get();
      expect(timer.sleeps).toEqual([3_000]);
    });

    it('throws the last error once the budget is spent: a 5xx as MX_UPSTREAM_ERROR', async () => {
      transport = transportWith(1_000);
      agent
        .get(DATA_ORIGIN)
        .intercept({ path: '/members', method: 'GET' })
        .reply(503, { error: { code: 5030, message: 'Down' } })
        .persist();

      await expect(get()).rejects.toMatchObject({ code: 'MX_UPSTREAM_ERROR', status: 503, mxCode: 5030 });

      // 50 + 100 + 200 + 400 ms of waits leave 250 ms: the next wait (800 ms) is cut to 150, keeping 100 for a last try.
      expect(timer.sleeps).toEqual([50, 100, 200, 400, 150]);
      expect(attempts()).toBe(6);
      expect(timer.now()).toBe(900);
    });

    it('spends only what is left of a deadline the caller gives', async () => {
      const deadline = new RetryPolicy({ budgetMs: 60_000, timer }).newDeadline();
      timer.advance(59_000);
      agent.get(DATA_ORIGIN).intercept({ path: '/members', method: 'GET' }).reply(503, {}).persist();

      await expect(transport.request({ method: 'GET', route: '/members', kind: 'read' }, { deadline })).rejects.toMatchObject({
        status: 503,
      });

      // The 1 s left, not this transport's own 5 s budget, bounds the retries.
      expect(timer.sleeps).toEqual([50, 100, 200, 400, 150]);
      expect(timer.now()).toBeLessThanOrEqual(60_000);
    });

    it('does not call MX once the deadline has passed', async () => {
      const deadline = new RetryPolicy({ budgetMs: 100, timer }).newDeadline();
      timer.advance(100);
      await expect(transport.request({ method: 'GET', route: '/members', kind: 'read' }, { deadline })).rejects.toMatchObject({
        code: 'MX_TIMEOUT',
      });
      expect(attempts()).toBe(0);
    });

    describe('a call that is not idempotent (POST, or marked so)', () => {
      const aggregate = () => transport.request({ method: 'GET', route: '/members/aggregate', kind: 'read', idempotent: false });
      const post = () => transport.request({ method: 'POST', route: '/members', kind: 'read', body: {} });

      it.each([502, 504, 500])('is not retried after %i: MX may have acted on it', async (status) => {
        replyInTurn('GET', status);
        replyInTurn('POST', status);
        await expect(aggregate()).rejects.toMatchObject({ status });
        await expect(post()).rejects.toMatchObject({ status });
        expect(attempts()).toBe(2);
      });

      it('is not retried after a lost connection or a timeout', async () => {
        replyInTurn('POST', new errors.SocketError('other side closed'), new errors.HeadersTimeoutError());
        await expect(post()).rejects.toMatchObject({ code: 'MX_NETWORK_ERROR' });
        await expect(post()).rejects.toMatchObject({ code: 'MX_TIMEOUT' });
        expect(attempts()).toBe(2);
      });

      it('is retried after 429 and 503, which MX answers without acting', async () => {
        replyInTurn('GET', 429, 503, 200);
        await expect(aggregate()).resolves.toMatchObject({ status: 200 });
        expect(attempts()).toBe(3);
      });

      it('is retried when the request never left (refused connection, connect timeout)', async () => {
        replyInTurn('POST', Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }), new errors.ConnectTimeoutError(), 200);
        await expect(post()).resolves.toMatchObject({ status: 200 });
        expect(attempts()).toBe(3);
      });
    });
  });

  describe('logging', () => {
    it('logs each call once with method, route pattern, status, latency and attempts (a quick first-attempt success at debug)', async () => {
      reply(200, { member: {} });
      await transport.request({
        method: 'GET',
        route: '/members/{member_guid}',
        kind: 'read',
        params: { member_guid: 'MBR-SENSITIVE-PATH' },
        headers: { 'MD-SESSION-TOKEN': 'SESSION-SECRET' },
      });

      expect(log.entries).toEqual([
        {
          level: 'debug',
          message: 'mx call',
          extra: { upstream: 'mx-data', method: 'GET', route: '/members/{member_guid}', status: 200, latency_ms: 0, attempts: 1 },
        },
      ]);
      expect(log.text()).not.toMatch(/SESSION-SECRET|MBR-SENSITIVE-PATH/);
    });

    it('logs a slow successful call at info', async () => {
      agent
        .get(DATA_ORIGIN)
        .intercept({ path: '/members', method: 'GET' })
        .reply(() => {
          timer.advance(SLOW_CALL_MS);
          return { statusCode: 200, data: { members: [] } };
        });

      await transport.request({ method: 'GET', route: '/members', kind: 'read' });

      expect(log.entries).toEqual([
        {
          level: 'info',
          message: 'mx call',
          extra: { upstream: 'mx-data', method: 'GET', route: '/members', status: 200, latency_ms: SLOW_CALL_MS, attempts: 1 },
        },
      ]);
    });

    it('logs a retried call once, with its attempts and the latency of the whole call; failed attempts at debug', async () => {
      agent
        .get(DATA_ORIGIN)
        .intercept({ path: '/members/MBR-1', method: 'GET' })
        .reply(503, { error: { code: 5030 } });
      agent.get(DATA_ORIGIN).intercept({ path: '/members/MBR-1', method: 'GET' }).reply(502, {});
      agent.get(DATA_ORIGIN).intercept({ path: '/members/MBR-1', method: 'GET' }).reply(200, { member: {} });

      await transport.request({ method: 'GET', route: '/members/{member_guid}', kind: 'read', params: { member_guid: 'MBR-1' } });

      expect(log.entries.filter((entry) => entry.level !== 'debug')).toEqual([
        {
          level: 'info',
          message: 'mx call',
          extra: {
            upstream: 'mx-data',
            method: 'GET',
            route: '/members/{member_guid}',
            status: 200,
            latency_ms: 150,
            attempts: 3,
          },
        },
      ]);
      expect(log.entries.filter((entry) => entry.level === 'debug')).toEqual([
        {
          level: 'debug',
          message: 'mx attempt failed',
          extra: {
            upstream: 'mx-data',
            method: 'GET',
            route: '/members/{member_guid}',
            attempt: 1,
            status: 503,
            error_code: 'MX_UPSTREAM_ERROR',
            retry_in_ms: 50,
          },
        },
        expect.objectContaining({ message: 'mx attempt failed', extra: expect.objectContaining({ attempt: 2, status: 502 }) }),
      ]);
      expect(log.text()).not.toContain('MBR-1');
    });

    it('logs a failed call once, as a warning with its error code', async () => {
      reply(401, { error: { code: 4011, message: 'expired' } });
      await transport.request({ method: 'GET', route: '/members', kind: 'read' }).catch(() => undefined);
      expect(log.entries).toEqual([
        {
          level: 'warn',
          message: 'mx call failed',
          extra: expect.objectContaining({
            route: '/members',
            status: 401,
            attempts: 1,
            error_code: 'MX_UNAUTHORIZED',
            mx_code: 4011,
          }),
        },
      ]);
    });

    it('logs a call that ran out of budget once, with all its attempts', async () => {
      transport = transportWith(1_000);
      agent.get(DATA_ORIGIN).intercept({ path: '/members', method: 'GET' }).reply(504, {}).persist();
      await get().catch(() => undefined);
      expect(log.calls()).toEqual([expect.objectContaining({ status: 504, attempts: 6, latency_ms: 900 })]);
    });

    const get = () => transport.request({ method: 'GET', route: '/members', kind: 'read' });
  });
});

describe('MxTransport over real sockets', () => {
  let server: Server;
  let baseUrl: string;
  let connections: number;
  let requests: number;
  /** What the server does with each request, by its 1-based number. */
  let answer: (
    request: number,
  ) => 'json' | 'never' | 'drop' | 'half-body' | 'cut-sized' | 'cut-chunked' | 'cut-unframed' | 'cut-short-length';

  const realTransport = (timeoutMs: number, budgetMs: number) =>
    new MxTransport({ log: silentLog, metrics: noMetrics, baseUrl, timeoutMs, retry: new RetryPolicy({ budgetMs }) });

  beforeEach(async () => {
    connections = 0;
    requests = 0;
    answer = () => 'json';
    server = createServer((req, res) => {
      switch (answer(++requests)) {
        case 'never':
          return;
        case 'drop':
          req.socket.destroy();
          return;
        case 'half-body':
          res.writeHead(200, { 'content-type': NEXUS_MEDIA_TYPE }).write('{"path":');
          return;
        case 'cut-sized': // closed before its Content-Length, after a part that opens and closes as an object
          res
            .writeHead(200, { 'content-type': NEXUS_MEDIA_TYPE, 'content-length': 40 })
            .write('{"a":{"b":1}}', () => req.socket.destroy());
          return;
        case 'cut-chunked': // closed before the last chunk
          res.writeHead(200, { 'content-type': NEXUS_MEDIA_TYPE }).write('{"a":{"b":1}}', () => req.socket.destroy());
          return;
        case 'cut-unframed': // no length, no chunks: the body ends where the connection does, here mid-object
          req.socket.end(
            `HTTP/1.1 200 OK\r\ncontent-type: ${NEXUS_MEDIA_TYPE}\r\nconnection: close\r\n\r\n{"accounts":[{"guid":"ACT-1","balance":1}`,
          );
          return;
        case 'cut-short-length': // MX's own Content-Length matches a body already cut
          res.writeHead(200, { 'content-type': NEXUS_MEDIA_TYPE, 'content-length': 8 }).end('[[1],[2]');
          return;
        case 'json':
          res.writeHead(200, { 'content-type': NEXUS_MEDIA_TYPE }).end(JSON.stringify({ path: req.url }));
      }
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
    const transport = realTransport(2_000, 2_000);
    try {
      for (const guid of ['a', 'b', 'c']) {
        const { body } = await transport.request({
          method: 'GET',
          route: '/members/{member_guid}',
          kind: 'read',
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

  it('ends an attempt after a sub-second timeoutMs, whether MX is silent or stalls mid-body, and retries it', async () => {
    answer = (request) => (request === 1 ? 'never' : request === 2 ? 'half-body' : 'json');
    const transport = realTransport(150, 5_000);
    try {
      const startedAt = performance.now();
      await expect(transport.request({ method: 'GET', route: '/members', kind: 'read' })).resolves.toMatchObject({ status: 200 });
      const elapsed = performance.now() - startedAt;
      expect(requests).toBe(3);
      expect(elapsed).toBeGreaterThanOrEqual(290);
      // Without the 150 ms timeout the silent attempt would wait for the 5 s budget: half of it tells them apart on a busy machine.
      expect(elapsed).toBeLessThan(2_500);
    } finally {
      await transport.close();
    }
  });

  it('gives up with MX_TIMEOUT within the budget when MX never answers', async () => {
    answer = () => 'never';
    const transport = realTransport(150, 500);
    try {
      const startedAt = performance.now();
      const error = await transport.request({ method: 'GET', route: '/members', kind: 'read' }).catch((e: unknown) => e);
      // Retried without a budget, it would go on until the test's own timeout (5 s).
      expect(performance.now() - startedAt).toBeLessThan(2_500);
      expect(error).toMatchObject({ code: 'MX_TIMEOUT', route: '/members' });
      expect((error as MxError).cause).toMatchObject({ name: 'TimeoutError' });
    } finally {
      await transport.close();
    }
  });

  it('never lets one attempt outlast the budget', async () => {
    answer = () => 'never';
    const transport = realTransport(5_000, 200);
    try {
      const startedAt = performance.now();
      await expect(transport.request({ method: 'GET', route: '/members', kind: 'read' })).rejects.toMatchObject({
        code: 'MX_TIMEOUT',
      });
      // The attempt's own timeout is 5 s: half of it tells the budget's 200 ms apart on a busy machine.
      expect(performance.now() - startedAt).toBeLessThan(2_500);
    } finally {
      await transport.close();
    }
  });

  it('retries a read whose kept-alive connection is dropped (as after a Lambda thaw) on a new one', async () => {
    answer = (request) => (request === 2 ? 'drop' : 'json');
    const transport = realTransport(1_000, 2_000);
    try {
      await transport.request({ method: 'GET', route: '/members', kind: 'read' });
      await new Promise(setImmediate);
      await expect(transport.request({ method: 'GET', route: '/members', kind: 'read' })).resolves.toMatchObject({ status: 200 });
      expect(requests).toBe(3);
      expect(connections).toBe(2);
    } finally {
      await transport.close();
    }
  });

  it.each(['cut-sized', 'cut-chunked'] as const)(
    'never relays a body cut short by a closed connection (%s): MX_NETWORK_ERROR after its retries',
    async (cut) => {
      answer = () => cut;
      const transport = realTransport(1_000, 300);
      try {
        const error = await transport.requestText({ method: 'GET', route: '/accounts', kind: 'read' }).catch((e: unknown) => e);
        expect(error).toMatchObject({ code: 'MX_NETWORK_ERROR', route: '/accounts' });
        expect(requests).toBeGreaterThan(1);
      } finally {
        await transport.close();
      }
    },
  );

  it.each(['cut-unframed', 'cut-short-length'] as const)(
    'never relays a cut body that HTTP calls whole (%s): MX_INVALID_RESPONSE',
    async (cut) => {
      answer = () => cut;
      const transport = realTransport(1_000, 300);
      try {
        const error = await transport.requestText({ method: 'GET', route: '/accounts', kind: 'read' }).catch((e: unknown) => e);
        expect(error).toMatchObject({ code: 'MX_INVALID_RESPONSE', route: '/accounts' });
      } finally {
        await transport.close();
      }
    },
  );

  it('maps a refused connection to MX_NETWORK_ERROR', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));

    const transport = new MxTransport({
      log: silentLog,
      metrics: noMetrics,
      baseUrl: `http://127.0.0.1:${port}`,
      timeoutMs: 1_000,
      retry: new RetryPolicy({ budgetMs: 300 }),
    });
    try {
      const error = await transport.request({ method: 'GET', route: '/members', kind: 'read' }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'MX_NETWORK_ERROR', message: 'GET /members could not reach MX (ECONNREFUSED)' });
    } finally {
      await transport.close();
    }
  });
});
