import type { MockAgent } from 'undici';
import { describe, expect, it, onTestFinished } from 'vitest';
import { checkConformance } from '../../../cli/mx-check.ts';
import { ManualClock } from '../../../lib/clock.ts';
import { FakeMx } from '../mx/support/fake-mx.ts';
import {
  API_KEY,
  CLIENT_ID,
  DATA_ORIGIN,
  MemorySessionStore,
  member,
  mockAgent,
  recordedCalls,
  REALTIME_ORIGIN,
  SSO_ORIGIN,
} from '../mx/support/fakes.ts';
import { mxStack } from '../mx/support/mx-stack.ts';

/**
 * `mx check` sends the client's own calls: the aggregate it makes is the aggregate the relay's MX client makes
 * (method, path with its parameters encoded, query and body), so a "holds" speaks for the client's call.
 */
const USER = 'user 1';
const MEMBER = 'MBR-1/2';
/** MX on a MockAgent: SSO and sessions (FakeMx), every list read empty, MEMBER settled, absent members 404. */
function mockMx(): MockAgent {
  const agent = mockAgent();
  const mx = new FakeMx(agent);
  const answer = (data: object) => mx.withSession(() => ({ statusCode: 200, data }));
  const data = agent.get(DATA_ORIGIN);
  for (const list of ['members', 'accounts', 'transactions', 'beats', 'spending_plans']) {
    data
      .intercept({ path: (p) => p.split('?')[0] === `/${list}`, method: 'GET' })
      .reply(answer({ [list]: [] }) as never)
      .persist();
  }
  const memberPath = `/members/${encodeURIComponent(MEMBER)}`;
  data
    .intercept({ path: memberPath, method: 'GET' })
    .reply(answer({ member: member({ guid: MEMBER }) }) as never)
    .persist();
  data
    .intercept({ path: (p) => p.startsWith(`${memberPath}/aggregate`), method: () => true })
    .reply(answer({ member: member({ guid: MEMBER }) }) as never)
    .persist();
  data
    .intercept({ path: '/members/MBR-nexus-relay-check-absent', method: 'GET' })
    .reply(404, { error: { code: 4040, message: 'Not found' } })
    .persist();
  return agent;
}

/** The calls to `path` (any query), as sent: method, path, body. */
const callsTo = (agent: MockAgent, path: string) =>
  recordedCalls(agent)
    .filter((call) => call.path.split('?')[0]!.endsWith(path))
    .map(({ method, path, body }) => ({ method, path, body }));

describe('mx check sends the client’s calls', () => {
  it.each(['GET', 'POST'] as const)('aggregate as %s: the same method, path, query and body as the client', async (method) => {
    const agent = mockMx();
    onTestFinished(() => agent.close());
    const clock = new ManualClock();
    const { nexus } = mxStack({
      dispatcher: agent,
      store: new MemorySessionStore(clock),
      clock,
      aggregateMethod: method,
    });
    await nexus.aggregateMember(USER, MEMBER, { includeHoldings: true, includeTransactions: true });
    const [client] = callsTo(agent, '/aggregate');
    const [clientSession] = callsTo(agent, '/sessions');

    const checks = await checkConformance({
      dataBaseUrl: DATA_ORIGIN,
      ssoBaseUrl: SSO_ORIGIN,
      realtimeBaseUrl: REALTIME_ORIGIN,
      credentials: { clientId: CLIENT_ID, apiKey: API_KEY },
      userId: USER,
      aggregateMethod: method,
      aggregateMember: MEMBER,
      dispatcher: agent,
      pollIntervalMs: 0,
    });
    expect(checks.find((check) => check.id === 'aggregate')).toMatchObject({ verdict: 'holds' });
    const [, check] = callsTo(agent, '/aggregate');
    const [, checkSession] = callsTo(agent, '/sessions');
    expect(check).toEqual(client);
    // Its session is made as the client makes one (POST /sessions with the same body).
    expect(checkSession).toEqual(clientSession);
    expect(clientSession).toMatchObject({ method: 'POST', body: '{"session":{"skip_aggregation":true}}' });
    expect(client).toMatchObject({ method, body: method === 'POST' ? '{}' : undefined });
    // The SSO call names the user as the client does, its parameters encoded.
    expect(
      recordedCalls(agent)
        .filter((call) => call.origin === SSO_ORIGIN)
        .map((call) => call.path),
    ).toEqual([`/${CLIENT_ID}/users/user%201/api_token.json`, `/${CLIENT_ID}/users/user%201/api_token.json`]);
  });
});
