import { silentLog } from '../../../lib/logger.ts';
import { noMetrics } from '../../../lib/metrics.ts';
import { errors, type MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { MxError } from '../../../lib/mx/errors.ts';
import type { RetryPolicy } from '../../../lib/mx/retry-policy.ts';
import { SESSION_LEASE_MS, SESSION_REUSE_MS, SESSION_TOUCH_INTERVAL_MS, SessionManager } from '../../../lib/mx/sessions.ts';
import { SSO_MEDIA_TYPE, type SsoClient } from '../../../lib/mx/sso.ts';
import { MxTransport, NEXUS_MEDIA_TYPE } from '../../../lib/mx/transport.ts';
import { type FakeMx, fakeMxWorld } from './support/fake-mx.ts';
import {
  API_KEY,
  CapturingLog,
  CLIENT_ID,
  DATA_ORIGIN,
  FakeTimer,
  MemorySessionStore,
  mockAgent,
  recordedCalls,
  SSO_ORIGIN,
} from './support/fakes.ts';
import { mxStack } from './support/mx-stack.ts';

const USER = 'user-1';

describe('SessionManager', () => {
  let agent: MockAgent;
  let mx: FakeMx;
  let store: MemorySessionStore;
  let clock: ManualClock;
  let log: CapturingLog;
  let data: MxTransport;
  let sso: SsoClient;
  let retry: RetryPolicy;
  let sessions: SessionManager;

  beforeEach(() => {
    ({ agent, mx, store, clock, log } = fakeMxWorld());
    ({ data, sso, retry, sessions } = mxStack({ dispatcher: agent, store, clock, log }));
  });

  afterEach(async () => {
    await agent.close();
  });

  const mxCalls = () => ({ apiTokens: mx.apiTokensIssued, sessions: mx.sessionsCreated });

  describe('creating a session', () => {
    it('trades an SSO API token for a session token and stores it', async () => {
      const token = await sessions.get(USER);

      expect(token).toBe('SESSION-TOKEN-1');
      expect(store.sessions.get(USER)).toEqual({ token, createdAt: clock.now(), lastUsedAt: clock.now() });
      const [apiTokenCall, sessionCall] = recordedCalls(agent);
      expect(apiTokenCall).toMatchObject({
        origin: SSO_ORIGIN,
        method: 'GET',
        path: `/${CLIENT_ID}/users/${USER}/api_token.json`,
      });
      expect(apiTokenCall?.headers).toEqual({ accept: SSO_MEDIA_TYPE, 'md-api-key': API_KEY });
      expect(sessionCall).toMatchObject({
        origin: DATA_ORIGIN,
        method: 'POST',
        path: '/sessions',
        body: '{"session":{"skip_aggregation":true}}',
      });
      expect(sessionCall?.headers).toEqual({
        accept: NEXUS_MEDIA_TYPE,
        'content-type': NEXUS_MEDIA_TYPE,
        'md-api-token': 'API-TOKEN-1',
      });
    });

    it('makes one SSO call and one POST /sessions for 100 concurrent gets of one user', async () => {
      const tokens = await Promise.all(Array.from({ length: 100 }, () => sessions.get(USER)));

      expect(new Set(tokens)).toEqual(new Set(['SESSION-TOKEN-1']));
      expect(mxCalls()).toEqual({ apiTokens: 1, sessions: 1 });
      expect(store.writes.put).toBe(1);
    });

    it('tells the users it serves of each session it makes (note) and of each reuse (used)', async () => {
      const noted: string[] = [];
      const used: string[] = [];
      const served = new SessionManager({
        metrics: noMetrics,
        store,
        sso,
        data,
        retry,
        clock,
        log,
        served: { note: async (u) => void noted.push(u), used: (u) => void used.push(u) },
      });
      await Promise.all([served.get('a'), served.get('a'), served.get('b')]);
      await served.get('a');
      expect(noted.sort()).toEqual(['a', 'b']);
      expect(used.filter((u) => u === 'a').length).toBeGreaterThanOrEqual(1);
      clock.advance(SESSION_REUSE_MS);
      await served.get('a');
      expect(noted).toHaveLength(3);
    });

    it('keeps users apart', async () => {
      const tokens = await Promise.all(['a', 'b', 'a', 'b'].map((user) => sessions.get(user)));

      expect(tokens[0]).toBe(tokens[2]);
      expect(tokens[1]).toBe(tokens[3]);
      expect(tokens[0]).not.toBe(tokens[1]);
      expect(mxCalls()).toEqual({ apiTokens: 2, sessions: 2 });
    });

    it('fails every waiter of a failed creation, and the next get tries again', async () => {
      const failing = {
        apiToken: vi.fn().mockRejectedValueOnce(new MxError('MX_UPSTREAM_ERROR', 'down', { method: 'GET', route: '/x' })),
      };
      failing.apiToken.mockImplementation((user: string) => sso.apiToken(user));
      const manager = new SessionManager({ metrics: noMetrics, store, sso: failing, data, retry, clock, log });

      const results = await Promise.allSettled(Array.from({ length: 5 }, () => manager.get(USER)));

      expect(results.every((result) => result.status === 'rejected')).toBe(true);
      expect(failing.apiToken).toHaveBeenCalledTimes(1);
      await expect(manager.get(USER)).resolves.toBe('SESSION-TOKEN-1');
    });

    it('stores nothing when MX answers POST /sessions without a token', async () => {
      const bare = mockAgent();
      bare.get(DATA_ORIGIN).intercept({ path: '/sessions', method: 'POST' }).reply(200, { session: {} });
      const bareData = new MxTransport({
        log: silentLog,
        metrics: noMetrics,
        baseUrl: DATA_ORIGIN,
        timeoutMs: 1_000,
        retry,
        dispatcher: bare,
      });
      const sso = { apiToken: async () => 'API-TOKEN' };
      const manager = new SessionManager({ log: silentLog, metrics: noMetrics, store, sso, data: bareData, retry, clock });

      await expect(manager.get(USER)).rejects.toMatchObject({ code: 'MX_INVALID_RESPONSE', route: '/sessions' });
      expect(store.sessions.size).toBe(0);
      await bare.close();
    });
  });

  describe('when MX loses the answer to POST /sessions', () => {
    let flaky: MockAgent;
    let apiTokensIssued: number;

    beforeEach(() => {
      flaky = mockAgent();
      apiTokensIssued = 0;
      flaky
        .get(SSO_ORIGIN)
        .intercept({ path: () => true, method: 'GET' })
        .reply(() => ({ statusCode: 200, data: { api_token: { token: `API-TOKEN-${++apiTokensIssued}` } } }))
        .persist();
    });

    afterEach(async () => {
      await flaky.close();
    });

    const sessionsOn = (first: { status: number } | Error) => {
      const interceptor = flaky.get(DATA_ORIGIN).intercept({ path: '/sessions', method: 'POST' });
      if (first instanceof Error) interceptor.replyWithError(first);
      else interceptor.reply(first.status, { error: { code: first.status * 10, message: 'x' } });
      flaky
        .get(DATA_ORIGIN)
        .intercept({ path: '/sessions', method: 'POST' })
        .reply(200, { session: { token: 'SESSION-TOKEN' } });
      return mxStack({ dispatcher: flaky, store, clock, timer: new FakeTimer() }).sessions;
    };
    const apiTokensSent = () =>
      recordedCalls(flaky)
        .filter((call) => call.path === '/sessions')
        .map((call) => call.headers['md-api-token']);

    it.each([
      ['a dropped connection', new errors.SocketError('other side closed')],
      ['a timeout', new errors.HeadersTimeoutError()],
      ['a 502', { status: 502 }],
      ['a 500', { status: 500 }],
    ])('starts over with a fresh API token after %s: the first one may be spent', async (_, failure) => {
      await expect(sessionsOn(failure).get(USER)).resolves.toBe('SESSION-TOKEN');
      expect(apiTokensSent()).toEqual(['API-TOKEN-1', 'API-TOKEN-2']);
      expect(store.sessions.get(USER)?.token).toBe('SESSION-TOKEN');
    });

    it('sends the same API token again after a 503: MX did not use it', async () => {
      await expect(sessionsOn({ status: 503 }).get(USER)).resolves.toBe('SESSION-TOKEN');
      expect(apiTokensSent()).toEqual(['API-TOKEN-1', 'API-TOKEN-1']);
    });
  });

  describe('across containers (one store and its lease)', () => {
    const container = (timer?: FakeTimer, budgetMs?: number) =>
      mxStack({ dispatcher: agent, store, clock, log, timer, budgetMs }).sessions;
    /** A timer whose sleeps move the wall clock too, so that leases run out while a container waits. */
    const linkedTimer = () => new FakeTimer((ms) => clock.advance(ms));

    it('makes one SSO call and one POST /sessions for 200 concurrent gets spread over four containers', async () => {
      const containers = [container(), container(), container(), container()];

      const tokens = await Promise.all(Array.from({ length: 200 }, (_, index) => containers[index % 4]!.get(USER)));

      expect(new Set(tokens)).toEqual(new Set(['SESSION-TOKEN-1']));
      expect(mxCalls()).toEqual({ apiTokens: 1, sessions: 1 });
      expect(store.writes.put).toBe(1);
      expect(store.isLeased(USER)).toBe(false);
    });

    it('waits for the container holding the lease and uses the session it stores', async () => {
      await store.lease(USER, 'other-container', SESSION_LEASE_MS);

      const waiting = sessions.get(USER);
      await new Promise((resolve) => setTimeout(resolve, 60));
      store.sessions.set(USER, { token: 'SESSION-FROM-HOLDER', createdAt: clock.now(), lastUsedAt: clock.now() });
      await store.release(USER, 'other-container');

      await expect(waiting).resolves.toBe('SESSION-FROM-HOLDER');
      expect(mxCalls()).toEqual({ apiTokens: 0, sessions: 0 });
    });

    it('re-reads the store once it holds the lease: a session stored in between is used as is', async () => {
      vi.spyOn(store, 'get').mockResolvedValueOnce(undefined);
      store.sessions.set(USER, { token: 'SESSION-JUST-STORED', createdAt: clock.now(), lastUsedAt: clock.now() });

      await expect(sessions.get(USER)).resolves.toBe('SESSION-JUST-STORED');

      expect(store.leases).toBe(1);
      expect(mxCalls()).toEqual({ apiTokens: 0, sessions: 0 });
    });

    it('takes over when the holder dies: its lease runs out', async () => {
      await store.lease(USER, 'dead-container', SESSION_LEASE_MS);
      const timer = linkedTimer();

      await expect(container(timer, 12_000).get(USER)).resolves.toBe('SESSION-TOKEN-1');

      expect(timer.now()).toBeGreaterThan(SESSION_LEASE_MS);
      expect(timer.sleeps.slice(0, 6)).toEqual([25, 50, 100, 200, 250, 250]);
      expect(mxCalls()).toEqual({ apiTokens: 1, sessions: 1 });
      expect(store.isLeased(USER)).toBe(false);
    });

    it('gives up with MX_TIMEOUT at the end of its budget while another container holds the lease', async () => {
      await store.lease(USER, 'slow-container', 60_000);
      const timer = linkedTimer();

      await expect(container(timer, 2_000).get(USER)).rejects.toMatchObject({ code: 'MX_TIMEOUT', route: '/sessions' });

      expect(timer.now()).toBe(2_000);
      expect(mxCalls()).toEqual({ apiTokens: 0, sessions: 0 });
    });

    it('stops working before its own lease runs out, so that a successor never works alongside it', async () => {
      const down = mockAgent();
      down
        .get(SSO_ORIGIN)
        .intercept({ path: () => true, method: 'GET' })
        .reply(503, {})
        .persist();
      const timer = new FakeTimer();
      const holder = mxStack({ dispatcher: down, store, clock, timer, budgetMs: 60_000 }).sessions;

      await expect(holder.get(USER)).rejects.toMatchObject({ code: 'MX_UPSTREAM_ERROR' });

      expect(timer.now()).toBeLessThan(SESSION_LEASE_MS);
      await down.close();
    });

    it('releases the lease when creating fails, so that the next try (here or elsewhere) can take it', async () => {
      const failing = { apiToken: vi.fn().mockRejectedValue(new MxError('MX_FORBIDDEN', 'no', { method: 'GET', route: '/x' })) };
      const manager = new SessionManager({ metrics: noMetrics, store, sso: failing, data, retry, clock, log });

      await expect(manager.get(USER)).rejects.toMatchObject({ code: 'MX_FORBIDDEN' });

      expect(store.isLeased(USER)).toBe(false);
      await expect(sessions.get(USER)).resolves.toBe('SESSION-TOKEN-1');
    });

    it('gives nothing back after storing a session: storing it ended the lease', async () => {
      const release = vi.spyOn(store, 'release');
      await expect(sessions.get(USER)).resolves.toBe('SESSION-TOKEN-1');
      expect(release).not.toHaveBeenCalled();
      expect(store.isLeased(USER)).toBe(false);
    });

    it('still hands out a session found under the lease when giving the lease back fails (it runs out by itself)', async () => {
      vi.spyOn(store, 'get').mockResolvedValueOnce(undefined);
      store.sessions.set(USER, { token: 'SESSION-JUST-STORED', createdAt: clock.now(), lastUsedAt: clock.now() });
      vi.spyOn(store, 'release').mockRejectedValue(new Error('throttled'));
      await expect(sessions.get(USER)).resolves.toBe('SESSION-JUST-STORED');
      expect(log.entries).toContainEqual(expect.objectContaining({ level: 'warn', message: 'mx session lease release failed' }));
    });
  });

  describe('reusing a session', () => {
    it('reuses the stored session while its last use is under SESSION_REUSE_MS (29 minutes) old', async () => {
      const first = await sessions.get(USER);
      clock.advance(SESSION_REUSE_MS - 1);

      await expect(sessions.get(USER)).resolves.toBe(first);
      expect(mxCalls()).toEqual({ apiTokens: 1, sessions: 1 });
    });

    it('makes a new session once the last use is SESSION_REUSE_MS old', async () => {
      await sessions.get(USER);
      clock.advance(SESSION_REUSE_MS);

      await expect(sessions.get(USER)).resolves.toBe('SESSION-TOKEN-2');
      expect(mxCalls()).toEqual({ apiTokens: 2, sessions: 2 });
      expect(store.sessions.get(USER)).toMatchObject({ token: 'SESSION-TOKEN-2', createdAt: clock.now() });
    });

    it('slides the window with each use', async () => {
      const first = await sessions.get(USER);
      for (let use = 0; use < 6; use += 1) {
        clock.advance(20 * 60_000);
        await expect(sessions.get(USER)).resolves.toBe(first);
      }
      expect(mxCalls()).toEqual({ apiTokens: 1, sessions: 1 });
    });

    it('reuses a session another container stored', async () => {
      store.sessions.set(USER, { token: 'SESSION-FROM-ELSEWHERE', createdAt: clock.now(), lastUsedAt: clock.now() });
      await expect(sessions.get(USER)).resolves.toBe('SESSION-FROM-ELSEWHERE');
      expect(mxCalls()).toEqual({ apiTokens: 0, sessions: 0 });
    });
  });

  describe('kept in memory per container', () => {
    it('hands out a session known here without reading the store while its last use is within the window', async () => {
      const token = await sessions.get(USER);
      const reads = vi.spyOn(store, 'get');

      for (let use = 0; use < 12; use += 1) {
        clock.advance(10 * 60_000);
        await expect(sessions.get(USER)).resolves.toBe(token);
      }

      expect(reads).not.toHaveBeenCalled();
      expect(mxCalls()).toEqual({ apiTokens: 1, sessions: 1 });
      // The store still learns of the uses (at most once a minute), for the other containers.
      expect(store.writes.touch).toBe(12);
      expect(store.sessions.get(USER)?.lastUsedAt).toBe(clock.now());
    });

    it('forgets it by the clock: past the window the store is read again, and another container’s use counts', async () => {
      const token = await sessions.get(USER);
      const reads = vi.spyOn(store, 'get');
      // Another container kept the session alive meanwhile: its use is in the store, not in our memory.
      clock.advance(SESSION_REUSE_MS - 60_000);
      store.sessions.get(USER)!.lastUsedAt = clock.now();
      clock.advance(60_000); // our own last use is now SESSION_REUSE_MS old: memory no longer trusted

      await expect(sessions.get(USER)).resolves.toBe(token);
      expect(reads).toHaveBeenCalledTimes(1);
      expect(mxCalls()).toEqual({ apiTokens: 1, sessions: 1 });
    });

    it('makes a new session once neither memory nor the store holds a fresh one', async () => {
      await sessions.get(USER);
      clock.advance(SESSION_REUSE_MS);

      await expect(sessions.get(USER)).resolves.toBe('SESSION-TOKEN-2');
      expect(mxCalls()).toEqual({ apiTokens: 2, sessions: 2 });
    });

    it('remembers a session read from the store (made by another container) and reads the store no more', async () => {
      store.sessions.set(USER, { token: 'SESSION-FROM-ELSEWHERE', createdAt: clock.now(), lastUsedAt: clock.now() });
      const reads = vi.spyOn(store, 'get');

      await expect(sessions.get(USER)).resolves.toBe('SESSION-FROM-ELSEWHERE');
      clock.advance(5 * 60_000);
      await expect(sessions.get(USER)).resolves.toBe('SESSION-FROM-ELSEWHERE');

      expect(reads).toHaveBeenCalledTimes(1);
    });

    it('drops the known session on invalidate, so the next get reads the store (another container may have replaced it)', async () => {
      const first = await sessions.get(USER);
      store.sessions.set(USER, { token: 'SESSION-NEWER', createdAt: clock.now(), lastUsedAt: clock.now() });
      await expect(sessions.get(USER)).resolves.toBe(first); // memory wins until MX refuses it

      await sessions.invalidate(USER, first);

      await expect(sessions.get(USER)).resolves.toBe('SESSION-NEWER');
      expect(mxCalls()).toEqual({ apiTokens: 1, sessions: 1 });
    });

    it('keeps a newer known session when a stale invalidation arrives', async () => {
      const first = await sessions.get(USER);
      await sessions.invalidate(USER, first);
      const second = await sessions.get(USER);
      const reads = vi.spyOn(store, 'get');

      await sessions.invalidate(USER, first); // another caller's late 401 on the old token

      await expect(sessions.get(USER)).resolves.toBe(second);
      expect(reads).not.toHaveBeenCalled();
    });

    it('reads the store once for many concurrent gets of a user not known here', async () => {
      store.sessions.set(USER, { token: 'SESSION-FROM-ELSEWHERE', createdAt: clock.now(), lastUsedAt: clock.now() });
      const reads = vi.spyOn(store, 'get');

      const tokens = await Promise.all(Array.from({ length: 50 }, () => sessions.get(USER)));

      expect(new Set(tokens)).toEqual(new Set(['SESSION-FROM-ELSEWHERE']));
      expect(reads).toHaveBeenCalledTimes(1);
    });

    it('never hands out a token MX refused here, even when a read under way still returns it', async () => {
      store.sessions.set(USER, { token: 'SESSION-OLD', createdAt: clock.now(), lastUsedAt: clock.now() });
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const read = store.get.bind(store);
      vi.spyOn(store, 'get').mockImplementationOnce(async (user) => {
        const session = await read(user); // reads SESSION-OLD, answers late
        await gate;
        return session;
      });

      const early = sessions.get(USER); // its find reads the store before the 401 below
      await new Promise((resolve) => setTimeout(resolve, 5));
      await sessions.invalidate(USER, 'SESSION-OLD'); // a 401 elsewhere in this container
      const late = sessions.get(USER); // joins the find under way
      release();

      await expect(early).resolves.toBe('SESSION-TOKEN-1');
      await expect(late).resolves.toBe('SESSION-TOKEN-1');
      expect(mxCalls()).toEqual({ apiTokens: 1, sessions: 1 });
    });

    it('does not wait for the lastUsedAt write: settle() does', async () => {
      await sessions.get(USER);
      clock.advance(SESSION_TOUCH_INTERVAL_MS);
      let finish!: (value: boolean) => void;
      vi.spyOn(store, 'touch').mockImplementation(() => new Promise<boolean>((resolve) => (finish = resolve)));

      await expect(sessions.get(USER)).resolves.toBe('SESSION-TOKEN-1');
      const settled = sessions.settle();
      expect(settled).toBeInstanceOf(Promise);
      let done = false;
      void settled!.then(() => (done = true));
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(done).toBe(false);

      finish(true);
      await settled;
      expect(sessions.settle()).toBeUndefined();
    });
  });

  describe('recording use', () => {
    it('writes lastUsedAt at most once a minute', async () => {
      const createdAt = clock.now();
      await sessions.get(USER);

      clock.advance(SESSION_TOUCH_INTERVAL_MS - 1);
      await sessions.get(USER);
      expect(store.writes.touch).toBe(0);

      clock.advance(1);
      await Promise.all(Array.from({ length: 100 }, () => sessions.get(USER)));
      expect(store.writes.touch).toBe(1);
      expect(store.sessions.get(USER)?.lastUsedAt).toBe(createdAt + SESSION_TOUCH_INTERVAL_MS);

      clock.advance(30_000);
      await sessions.get(USER);
      expect(store.writes.touch).toBe(1);

      clock.advance(30_000);
      await sessions.get(USER);
      expect(store.writes.touch).toBe(2);
    });

    it("does not write again within the minute even if the store's copy lags", async () => {
      await sessions.get(USER);
      const touch = vi.spyOn(store, 'touch').mockResolvedValue(false);

      for (const step of [60_000, 10_000, 30_000, 19_999]) {
        clock.advance(step);
        await sessions.get(USER);
      }
      expect(touch).toHaveBeenCalledTimes(1);

      clock.advance(1);
      await sessions.get(USER);
      expect(touch).toHaveBeenCalledTimes(2);
    });

    it('still hands out the session when recording its use fails', async () => {
      const token = await sessions.get(USER);
      vi.spyOn(store, 'touch').mockRejectedValue(new Error('throttled'));
      clock.advance(SESSION_TOUCH_INTERVAL_MS);

      await expect(sessions.get(USER)).resolves.toBe(token);
      await sessions.settle();
      expect(log.entries).toContainEqual(expect.objectContaining({ level: 'warn', message: 'mx session touch failed' }));
    });
  });

  describe('invalidating', () => {
    it('drops the session so the next get makes a new one', async () => {
      const first = await sessions.get(USER);
      await sessions.invalidate(USER, first);

      expect(store.sessions.has(USER)).toBe(false);
      await expect(sessions.get(USER)).resolves.toBe('SESSION-TOKEN-2');
    });

    it('keeps a newer session when the invalidation is stale', async () => {
      const first = await sessions.get(USER);
      store.sessions.set(USER, { token: 'SESSION-NEWER', createdAt: clock.now(), lastUsedAt: clock.now() });

      await sessions.invalidate(USER, first);

      expect(store.sessions.get(USER)?.token).toBe('SESSION-NEWER');
      await expect(sessions.get(USER)).resolves.toBe('SESSION-NEWER');
      expect(mxCalls()).toEqual({ apiTokens: 1, sessions: 1 });
    });
  });

  it('never logs a token or the API key', async () => {
    const token = await sessions.get(USER);
    clock.advance(SESSION_REUSE_MS);
    await sessions.invalidate(USER, token);
    await sessions.get(USER);

    for (const secret of [API_KEY, 'API-TOKEN-1', 'API-TOKEN-2', 'SESSION-TOKEN-1', 'SESSION-TOKEN-2']) {
      expect(log.text()).not.toContain(secret);
    }
    expect(log.calls().map((call) => call.route)).toEqual([
      '/{client_id}/users/{user_id}/api_token.json',
      '/sessions',
      '/{client_id}/users/{user_id}/api_token.json',
      '/sessions',
    ]);
  });
});
