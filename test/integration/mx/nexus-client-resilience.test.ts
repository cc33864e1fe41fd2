import { noMetrics } from '../../../lib/metrics.ts';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { Agent, type Dispatcher } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type MxSimulator, startMxSimulator } from '../../../sim/server.ts';
import type { Config } from '../../../lib/config.ts';
import { MxError } from '../../../lib/mx/errors.ts';
import { createNexusClient, createSsoClient } from '../../../lib/mx/create-mx-clients.ts';
import type { NexusClient } from '../../../lib/mx/nexus-client.ts';
import { DynamoSessionStore } from '../../../lib/mx/sessions-repo.ts';
import { keys } from '../../../lib/store/table.ts';
import { CapturingLog } from '../../unit/mx/support/fakes.ts';
import { useLocalEngines } from '../../support/local-table.ts';
import { noSecretReads } from '../../support/secrets.ts';
import { testSessionBox } from '../../support/session-box.ts';

const API_KEY = 'sim-api-key';
const API_TOKEN_ROUTE = 'GET /{client_id}/users/{user_id}/api_token';
const SESSIONS_ROUTE = 'POST /sessions';
const MEMBER_ROUTE = 'GET /members/{member_guid}';
/** Request headers whose values are credentials: everything a log line must never hold. */
const SECRET_HEADERS = new Set(['md-api-key', 'md-api-token', 'md-session-token']);

/**
 * Issue 3, acceptance 4–7: the MX client against the MX simulator over real sockets, sessions in dynalite. Each
 * "container" is its own createNexusClient (own module state, own dispatcher); they share only the table.
 */
describe('NexusClient against the MX simulator', () => {
  const local = useLocalEngines();
  let sim: MxSimulator;
  let log: CapturingLog;
  let dispatchers: Dispatcher[];
  /** Every credential sent to the simulator during the test, read off the wire. */
  let secretsSent: Set<string>;
  let userId: string;
  let memberGuid: string;

  beforeEach(async () => {
    sim = await startMxSimulator({ port: 0 });
    log = new CapturingLog();
    dispatchers = [];
    secretsSent = new Set();
    ({ userId, memberGuid } = await newUser());
  });

  afterEach(async () => {
    await Promise.all(dispatchers.map((dispatcher) => dispatcher.close()));
    await sim.close();
  });

  // Acceptance 7, checked after every test of this file: no log line holds a token or the API key.
  afterEach(() => {
    expect(secretsSent).toContain(API_KEY);
    expect(secretsSent.size).toBeGreaterThan(2);
    const logged = log.text();
    for (const secret of secretsSent) expect(logged).not.toContain(secret);
  });

  const mxConfig = (overrides: Partial<Config['mx']> = {}): Config['mx'] => ({
    baseUrl: sim.url,
    ssoBaseUrl: sim.url,
    realtimeBaseUrl: sim.realtimeUrl,
    credentials: { clientId: 'sim-client', apiKey: API_KEY },
    aggregateMethod: 'GET',
    useCasesEnabled: true,
    requestTimeoutMs: 5_000,
    retryBudgetMs: 12_000,
    callsPerSecond: 100,
    ...overrides,
  });

  /** One container: its own client, its own dispatcher (which notes the credentials it sends). */
  const container = (overrides: Partial<Config['mx']> = {}): NexusClient => {
    const noteSecrets: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (options, handler) => {
      for (const [name, value] of Object.entries((options.headers ?? {}) as Record<string, string>)) {
        if (SECRET_HEADERS.has(name.toLowerCase())) secretsSent.add(value);
      }
      return dispatch(options, handler);
    };
    const dispatcher = new Agent().compose(noteSecrets);
    dispatchers.push(dispatcher);
    const config = mxConfig(overrides);
    return createNexusClient(config, {
      metrics: noMetrics,
      table: local.table,
      sessionBox: testSessionBox,
      sso: createSsoClient(config, { metrics: noMetrics, log, secrets: noSecretReads, dispatcher }),
      log,
      dispatchers: { data: dispatcher },
    });
  };

  async function control(path: string, body?: unknown): Promise<Response> {
    const response = await fetch(`${sim.url}${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return response;
  }
  async function newUser(): Promise<{ userId: string; memberGuid: string }> {
    const user = `user-${randomUUID()}`;
    const { member } = (await (await control('/_sim/members', { user_id: user })).json()) as { member: { guid: string } };
    return { userId: user, memberGuid: member.guid };
  }
  const setFaults = (faults: Record<string, unknown>) => control('/_sim/faults', faults);
  const callCounts = async () => ((await (await control('/_sim/stats')).json()) as { calls: Record<string, number> }).calls;
  const totalCalls = (calls: Record<string, number>) => Object.values(calls).reduce((sum, count) => sum + count, 0);
  /** Attempts as the client logged them: one line per call, carrying its attempts. */
  const loggedAttempts = () => log.calls().reduce((sum, call) => sum + (call.attempts as number), 0);

  const rejections = (results: PromiseSettledResult<unknown>[]) =>
    results.filter((result): result is PromiseRejectedResult => result.status === 'rejected').map((result) => result.reason);

  it('makes one session for 500 concurrent reads of a new user spread over four containers', async () => {
    const containers = [container(), container(), container(), container()];

    const results = await Promise.allSettled(
      Array.from({ length: 500 }, (_, index) => containers[index % 4]!.readMember(userId, memberGuid)),
    );

    expect(rejections(results)).toEqual([]);
    const calls = await callCounts();
    expect(calls[API_TOKEN_ROUTE]).toBe(1);
    expect(calls[SESSIONS_ROUTE]).toBe(1);
    expect(calls[MEMBER_ROUTE]).toBe(500);
    const stored = await new DynamoSessionStore(local.table, testSessionBox).get(userId);
    expect(secretsSent).toContain(stored?.token);
  });

  it('waits out a dead container: its lease runs out and another creates the session', async () => {
    const leaseMs = 700;
    await local.table.client.send(
      new PutCommand({
        TableName: local.table.tableName,
        Item: { ...keys.session(userId), leaseHolder: 'container-that-died', leaseExpiresAt: Date.now() + leaseMs },
      }),
    );
    const startedAt = performance.now();

    await expect(container().readMember(userId, memberGuid)).resolves.toMatchObject({ guid: memberGuid });

    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(leaseMs - 50);
    expect((await callCounts())[SESSIONS_ROUTE]).toBe(1);
  });

  describe('with faults on 20 % of MX calls, 200 reads all succeed', () => {
    it.each([
      ['503', { error_rate: 0.2, status: 503 }],
      ['429 with Retry-After: 0', { error_rate: 0.2, status: 429, retry_after_s: 0 }],
      ['dropped connections', { drop_rate: 0.2 }],
    ])('%s', async (_, faults) => {
      const containers = [container(), container()];
      await setFaults(faults);

      const results = await Promise.allSettled(
        Array.from({ length: 200 }, (_, index) => containers[index % 2]!.readMember(userId, memberGuid)),
      );

      expect(rejections(results)).toEqual([]);
      const calls = await callCounts();
      expect(calls[MEMBER_ROUTE]).toBeGreaterThan(200);
      // Logged once per call, with its attempts: the attempts add up to what reached MX.
      expect(log.calls().filter((call) => call.route === '/members/{member_guid}')).toHaveLength(200);
      expect(loggedAttempts()).toBe(totalCalls(calls));
    });
  });

  it('fails every read with MX_UPSTREAM_ERROR within the budget when MX answers nothing but 503', async () => {
    const budgetMs = 1_500;
    const nexus = container({ retryBudgetMs: budgetMs });
    await nexus.readMember(userId, memberGuid);
    const withoutSession = await newUser();
    await setFaults({ error_rate: 1, status: 503 });

    const timedRead = async (user: { userId: string; memberGuid: string }) => {
      const startedAt = performance.now();
      const error = await nexus.readMember(user.userId, user.memberGuid).catch((e: unknown) => e);
      return { error, ms: performance.now() - startedAt };
    };
    // A busy machine runs timers late: all the loop lost that way is allowed on top, so only the relay can fail this.
    const lateness = monitorEventLoopDelay({ resolution: 10 });
    lateness.enable();
    const outcomes = await Promise.all([
      ...Array.from({ length: 20 }, () => timedRead({ userId, memberGuid })),
      ...Array.from({ length: 20 }, () => timedRead(withoutSession)),
    ]);
    lateness.disable();

    for (const { error, ms } of outcomes) {
      expect(error).toBeInstanceOf(MxError);
      expect(error).toMatchObject({ code: 'MX_UPSTREAM_ERROR', status: 503 });
      expect(ms).toBeLessThanOrEqual(budgetMs + 250 + (lateness.mean * lateness.count) / 1e6);
    }
  });

  it('keeps a burst succeeding while MX ends every session mid-burst, with one new session per expiry', async () => {
    const containers = [container(), container(), container(), container()];
    await containers[0]!.readMember(userId, memberGuid);
    const expiries = 3;

    // A read every millisecond, spread over the containers, until the last expiry is over.
    const reads: Promise<unknown>[] = [];
    let bursting = true;
    const burst = (async () => {
      for (let index = 0; bursting; index += 1) {
        reads.push(containers[index % 4]!.readMember(userId, memberGuid));
        await sleep(1);
      }
    })();
    const sessionsOpened = async () => (await callCounts())[SESSIONS_ROUTE] ?? 0;
    for (let expiry = 1; expiry <= expiries; expiry += 1) {
      await sleep(100);
      await setFaults({ expire_sessions: true });
      while ((await sessionsOpened()) < 1 + expiry) await sleep(10);
      // A read renews its session once: let those that saw this expiry finish before MX ends the next session.
      await Promise.allSettled([...reads]);
    }
    await sleep(100);
    bursting = false;
    await burst;
    const results = await Promise.allSettled(reads);

    expect(reads.length).toBeGreaterThan(150);
    expect(rejections(results)).toEqual([]);
    const calls = await callCounts();
    expect(calls[SESSIONS_ROUTE]).toBe(1 + expiries);
    expect(calls[API_TOKEN_ROUTE]).toBe(1 + expiries);
    // Many reads saw a 401 and each invalidated the token it had, yet each expiry cost one new session.
    expect(log.entries.filter((entry) => entry.message === 'mx session invalidated').length).toBeGreaterThan(expiries);
  });
});
