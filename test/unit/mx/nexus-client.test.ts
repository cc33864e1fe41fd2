import { errors, type MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { NexusClient } from '../../../lib/mx/nexus-client.ts';
import type { SessionManager } from '../../../lib/mx/sessions.ts';
import { NEXUS_MEDIA_TYPE } from '../../../lib/mx/transport.ts';
import { type FakeMx, fakeMxWorld, headerOf } from './support/fake-mx.ts';
import { API_KEY, CapturingLog, DATA_ORIGIN, FakeTimer, MemorySessionStore, member, recordedCalls } from './support/fakes.ts';
import { mxStack } from './support/mx-stack.ts';

const USER = 'user-1';
const BUDGET_MS = 5_000;

describe('NexusClient', () => {
  let agent: MockAgent;
  let mx: FakeMx;
  let store: MemorySessionStore;
  let clock: ManualClock;
  let timer: FakeTimer;
  let log: CapturingLog;
  let stack: ReturnType<typeof container>;
  let sessions: SessionManager;

  beforeEach(() => {
    ({ agent, mx, store, clock, log } = fakeMxWorld());
    timer = new FakeTimer();
    stack = container();
    sessions = stack.sessions;
  });

  afterEach(async () => {
    await agent.close();
  });

  /** One container's client; all share MX and the store. `null` runs it on the real timer. */
  function container(aggregateMethod: 'GET' | 'POST' = 'GET', containerTimer: FakeTimer | null = timer) {
    return mxStack({
      dispatcher: agent,
      store,
      clock,
      log,
      timer: containerTimer ?? undefined,
      budgetMs: BUDGET_MS,
      aggregateMethod,
    });
  }
  const client = (aggregateMethod: 'GET' | 'POST' = 'GET') =>
    new NexusClient({ data: stack.data, sessions, retry: stack.retry, aggregateMethod });

  /** Answers data calls on `path` (any method) with a live session; 401 otherwise. */
  const onData = (path: string, statusCode: number, body: object) => {
    let calls = 0;
    agent
      .get(DATA_ORIGIN)
      .intercept({ path: (p) => p === path || p.startsWith(`${path}?`), method: () => true })
      .reply(
        mx.withSession(() => {
          calls += 1;
          return { statusCode, data: body };
        }),
      )
      .persist();
    return () => calls;
  };
  const dataCalls = () => recordedCalls(agent).filter((call) => call.origin === DATA_ORIGIN && call.path !== '/sessions');

  describe('readMember', () => {
    it('sends the session token and the Nexus media type, and nothing of SSO', async () => {
      onData('/members/MBR-1', 200, { member: member() });

      const read = await client().readMember(USER, 'MBR-1');

      expect(read).toMatchObject({ guid: 'MBR-1', connection_status: 'CONNECTED', institution_code: 'mxbank' });
      const [call] = dataCalls();
      expect(call?.method).toBe('GET');
      expect(call?.headers).toEqual({
        accept: NEXUS_MEDIA_TYPE,
        'content-type': NEXUS_MEDIA_TYPE,
        'md-session-token': 'SESSION-TOKEN-1',
      });
    });

    it('encodes the member guid as one path segment', async () => {
      onData('/members/..%2F..%2Fsessions', 200, { member: member() });
      await client().readMember(USER, '../../sessions');
      expect(dataCalls()[0]?.path).toBe('/members/..%2F..%2Fsessions');
    });

    it('fails with MX_INVALID_RESPONSE when the member has the wrong shape', async () => {
      onData('/members/MBR-1', 200, { member: { guid: 'MBR-1', is_being_aggregated: 'yes' } });
      await expect(client().readMember(USER, 'MBR-1')).rejects.toMatchObject({
        code: 'MX_INVALID_RESPONSE',
        route: '/members/{member_guid}',
      });
    });
  });

  describe('aggregateMember', () => {
    it('calls GET /members/{guid}/aggregate by default and reports a started aggregation', async () => {
      onData('/members/MBR-1/aggregate', 200, { member: member({ is_being_aggregated: true }) });

      const result = await client().aggregateMember(USER, 'MBR-1');

      expect(result).toEqual({
        member: expect.objectContaining({ guid: 'MBR-1', is_being_aggregated: true }),
        alreadyRunning: false,
        answeredWithMember: true,
      });
      expect(dataCalls()[0]).toMatchObject({ method: 'GET', url: `${DATA_ORIGIN}/members/MBR-1/aggregate`, body: undefined });
    });

    it('uses POST with an empty JSON body when configured so', async () => {
      onData('/members/MBR-1/aggregate', 200, { member: member() });
      await client('POST').aggregateMember(USER, 'MBR-1');
      expect(dataCalls()[0]).toMatchObject({ method: 'POST', body: '{}' });
    });

    it('passes include_holdings and include_transactions', async () => {
      onData('/members/MBR-1/aggregate', 200, { member: member() });
      await client().aggregateMember(USER, 'MBR-1', { includeHoldings: false, includeTransactions: true });
      expect(dataCalls()[0]?.url).toBe(`${DATA_ORIGIN}/members/MBR-1/aggregate?include_holdings=false&include_transactions=true`);
    });

    it('reports 202 as an aggregation already running', async () => {
      onData('/members/MBR-1/aggregate', 202, { member: member({ is_being_aggregated: true }) });
      await expect(client().aggregateMember(USER, 'MBR-1')).resolves.toMatchObject({ alreadyRunning: true });
    });

    it('passes a 403 (member without PFM) on as MX_FORBIDDEN, without retrying', async () => {
      const calls = onData('/members/MBR-1/aggregate', 403, { error: { code: 4030, message: 'Use case not permitted' } });
      await expect(client().aggregateMember(USER, 'MBR-1')).rejects.toMatchObject({ code: 'MX_FORBIDDEN', mxCode: 4030 });
      expect(calls()).toBe(1);
    });
  });

  describe('listMemberChallenges', () => {
    it('returns the challenges', async () => {
      onData('/members/MBR-1/challenges', 200, {
        challenges: [{ guid: 'CRD-1', type: 'TEXT', field_name: 'q', label: 'What city?' }],
      });
      await expect(client().listMemberChallenges(USER, 'MBR-1')).resolves.toEqual([
        { guid: 'CRD-1', type: 'TEXT', field_name: 'q', label: 'What city?' },
      ]);
    });
  });

  describe('when MX refuses the session', () => {
    it('invalidates it, makes a new one and retries once', async () => {
      const calls = onData('/members/MBR-1', 200, { member: member() });
      await sessions.get(USER);
      mx.expireSessions();
      const invalidate = vi.spyOn(sessions, 'invalidate');

      await expect(client().readMember(USER, 'MBR-1')).resolves.toMatchObject({ guid: 'MBR-1' });

      expect(invalidate).toHaveBeenCalledWith(USER, 'SESSION-TOKEN-1');
      expect(dataCalls().map((call) => call.headers['md-session-token'])).toEqual(['SESSION-TOKEN-1', 'SESSION-TOKEN-2']);
      expect(calls()).toBe(1);
      expect(store.sessions.get(USER)?.token).toBe('SESSION-TOKEN-2');
      expect(log.calls().filter((call) => call.route === '/members/{member_guid}')).toEqual([
        expect.objectContaining({ status: 401, attempts: 1, error_code: 'MX_UNAUTHORIZED' }),
        expect.objectContaining({ status: 200, attempts: 1 }),
      ]);
    });

    it('gives up with MX_UNAUTHORIZED when the new session is refused too', async () => {
      agent
        .get(DATA_ORIGIN)
        .intercept({ path: '/members/MBR-1', method: 'GET' })
        .reply(401, { error: { code: 4011, message: 'Session expired' } })
        .persist();

      await expect(client().readMember(USER, 'MBR-1')).rejects.toMatchObject({
        code: 'MX_UNAUTHORIZED',
        status: 401,
        mxCode: 4011,
      });
      expect(dataCalls()).toHaveLength(2);
      expect(mx.sessionsCreated).toBe(2);
    });

    it.each([
      [500, 'MX_UPSTREAM_ERROR', 'retried until the budget is spent'],
      [403, 'MX_FORBIDDEN', 'not retried'],
    ])('keeps the session on other failures: %i (%s, %s)', async (status, code) => {
      const calls = onData('/members/MBR-1', status, { error: { code: status * 10, message: 'Oops' } });
      await expect(client().readMember(USER, 'MBR-1')).rejects.toMatchObject({ code, status });
      expect(calls()).toBe(status === 500 ? 10 : 1);
      expect(mx.sessionsCreated).toBe(1);
    });

    it('replaces it once, however many callers in however many containers saw the 401', async () => {
      onData('/members/MBR-1', 200, { member: member() });
      const clients = [container('GET', null), container('GET', null), container('GET', null)].map(({ nexus }) => nexus);
      await clients[0]!.readMember(USER, 'MBR-1');
      mx.expireSessions();

      const reads = await Promise.all(Array.from({ length: 90 }, (_, index) => clients[index % 3]!.readMember(USER, 'MBR-1')));

      expect(reads).toHaveLength(90);
      expect(mx.sessionsCreated).toBe(2);
      expect(mx.apiTokensIssued).toBe(2);
      expect(dataCalls().filter((call) => call.headers['md-session-token'] === 'SESSION-TOKEN-1')).toHaveLength(91);
      expect(store.sessions.get(USER)?.token).toBe('SESSION-TOKEN-2');
    });
  });

  describe('requestText', () => {
    it("relays MX's JSON text as sent, and recovers from a 401 like request", async () => {
      const text = '{"members": [ {"guid": "MBR-1"} ]}';
      agent
        .get(DATA_ORIGIN)
        .intercept({ path: '/members', method: 'GET' })
        .reply(({ headers }) =>
          mx.liveSessions.has(headerOf(headers, 'md-session-token') ?? '')
            ? { statusCode: 200, data: text, responseOptions: { headers: { 'content-type': NEXUS_MEDIA_TYPE } } }
            : { statusCode: 401, data: { error: { code: 4011, message: 'Session expired' } } },
        )
        .persist();
      await sessions.get(USER);
      mx.expireSessions();

      await expect(client().requestText(USER, { method: 'GET', route: '/members', kind: 'read' })).resolves.toEqual({
        status: 200,
        body: text,
      });
      expect(dataCalls().map((call) => call.headers['md-session-token'])).toEqual(['SESSION-TOKEN-1', 'SESSION-TOKEN-2']);
    });
  });

  describe('with the session kept in memory per container', () => {
    it('picks up the session another container made after MX refused ours: one 401, one retry, no new session', async () => {
      onData('/members/MBR-1', 200, { member: member() });
      const [a, b] = [container('GET', null), container('GET', null)];
      await a.nexus.readMember(USER, 'MBR-1'); // A makes SESSION-TOKEN-1 and keeps it in memory
      // MX ends session 1; B meets the 401 first and replaces it in the store.
      mx.liveSessions.delete('SESSION-TOKEN-1');
      await b.nexus.readMember(USER, 'MBR-1');
      expect(store.sessions.get(USER)?.token).toBe('SESSION-TOKEN-2');
      const before = dataCalls().length;
      const storeReads = vi.spyOn(store, 'get');

      await expect(a.nexus.readMember(USER, 'MBR-1')).resolves.toMatchObject({ guid: 'MBR-1' });

      // A sent its remembered token once (401), dropped it, read the store and retried once with B's session.
      expect(
        dataCalls()
          .slice(before)
          .map((call) => call.headers['md-session-token']),
      ).toEqual(['SESSION-TOKEN-1', 'SESSION-TOKEN-2']);
      expect(storeReads).toHaveBeenCalledTimes(1);
      expect(mx.sessionsCreated).toBe(2);
      expect(store.sessions.get(USER)?.token).toBe('SESSION-TOKEN-2');

      // From then on A uses B's session from memory: no store read, no 401.
      await a.nexus.readMember(USER, 'MBR-1');
      expect(storeReads).toHaveBeenCalledTimes(1);
      expect(dataCalls().at(-1)?.headers['md-session-token']).toBe('SESSION-TOKEN-2');
    });

    it('keeps the session write of a read alongside the MX call and ends it before answering', async () => {
      onData('/members/MBR-1', 200, { member: member() });
      await client().readMember(USER, 'MBR-1');
      clock.advance(60_000);
      let finishTouch!: () => void;
      const touch = vi
        .spyOn(store, 'touch')
        .mockImplementation(() => new Promise<boolean>((resolve) => (finishTouch = () => resolve(true))));

      let answered = false;
      const read = client()
        .readMember(USER, 'MBR-1')
        .then(() => (answered = true));
      await vi.waitFor(() => expect(dataCalls()).toHaveLength(2));
      expect(touch).toHaveBeenCalledTimes(1);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(answered).toBe(false); // the MX call is done, the write is not: the read waits for it

      finishTouch();
      await read;
      expect(answered).toBe(true);
    });
  });

  describe('retrying', () => {
    it('retries a read MX keeps failing with 503 until the budget is spent, on the same session', async () => {
      await sessions.get(USER);
      const calls = onData('/members/MBR-1', 503, { error: { code: 5030, message: 'Maintenance' } });

      await expect(client().readMember(USER, 'MBR-1')).rejects.toMatchObject({ code: 'MX_UPSTREAM_ERROR', status: 503 });

      expect(calls()).toBeGreaterThan(1);
      expect(timer.now()).toBeLessThanOrEqual(BUDGET_MS);
      expect(mx.sessionsCreated).toBe(1);
      expect(log.calls().filter((call) => call.route === '/members/{member_guid}')).toEqual([
        expect.objectContaining({ status: 503, attempts: calls() }),
      ]);
    });

    it('gives getting the session and the call one budget between them', async () => {
      const slowSessions = {
        get: vi.fn(async () => {
          timer.advance(4_000);
          return 'SESSION-TOKEN-1';
        }),
        invalidate: vi.fn(),
      };
      mx.liveSessions.add('SESSION-TOKEN-1');
      onData('/members/MBR-1', 503, {});
      const nexus = new NexusClient({ data: stack.data, sessions: slowSessions, retry: stack.retry, aggregateMethod: 'GET' });

      await expect(nexus.readMember(USER, 'MBR-1')).rejects.toMatchObject({ status: 503 });

      expect(timer.now()).toBeLessThanOrEqual(BUDGET_MS);
      // 1 s was left for the call: 50 + 100 + 200 + 400 + 150 ms of waits, 100 ms kept for the last attempt.
      expect(timer.sleeps).toEqual([50, 100, 200, 400, 150]);
    });

    describe('aggregate (starts a job, even as GET)', () => {
      it.each([
        ['a 502', 502],
        ['a 504', 504],
      ])('is not sent again after %s: MX may have started it', async (_, status) => {
        const calls = onData('/members/MBR-1/aggregate', status, {});
        await expect(client().aggregateMember(USER, 'MBR-1')).rejects.toMatchObject({ status });
        expect(calls()).toBe(1);
      });

      it('is not sent again after a lost connection', async () => {
        await sessions.get(USER);
        agent
          .get(DATA_ORIGIN)
          .intercept({ path: '/members/MBR-1/aggregate', method: 'GET' })
          .replyWithError(new errors.SocketError('other side closed'));
        await expect(client().aggregateMember(USER, 'MBR-1')).rejects.toMatchObject({ code: 'MX_NETWORK_ERROR' });
        expect(dataCalls()).toHaveLength(1);
      });

      it('is sent again after a 503 or 429, which MX answers without starting anything', async () => {
        await sessions.get(USER);
        for (const status of [503, 429]) {
          agent
            .get(DATA_ORIGIN)
            .intercept({ path: '/members/MBR-1/aggregate', method: 'GET' })
            .reply(status, { error: { code: status * 10 } });
        }
        const calls = onData('/members/MBR-1/aggregate', 200, { member: member({ is_being_aggregated: true }) });

        await expect(client().aggregateMember(USER, 'MBR-1')).resolves.toMatchObject({ alreadyRunning: false });
        expect(dataCalls()).toHaveLength(3);
        expect(calls()).toBe(1);
      });
    });
  });

  it('logs route patterns only: no token, key or concrete path', async () => {
    onData('/members/MBR-SECRET-PATH', 200, { member: member({ guid: 'MBR-SECRET-PATH' }) });
    await sessions.get(USER);
    mx.expireSessions();

    await client().readMember(USER, 'MBR-SECRET-PATH');

    const text = log.text();
    for (const secret of [API_KEY, 'API-TOKEN-1', 'API-TOKEN-2', 'SESSION-TOKEN-1', 'SESSION-TOKEN-2', 'MBR-SECRET-PATH']) {
      expect(text).not.toContain(secret);
    }
    expect(log.calls().map((call) => call.route)).toEqual([
      '/{client_id}/users/{user_id}/api_token.json',
      '/sessions',
      '/members/{member_guid}',
      '/{client_id}/users/{user_id}/api_token.json',
      '/sessions',
      '/members/{member_guid}',
    ]);
  });
});
