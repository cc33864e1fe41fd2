import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MxSimulator, startMxSimulator } from '../../../sim/server.ts';
import { FIXTURES, shapeDifferences, shapeOf } from './fixtures.ts';

/**
 * The simulator checked against MX's examples with a shape comparison of its own (fixtures.ts), sharing no schema
 * with the client: a simulator that drifted from MX would otherwise hide a client that drifted with it.
 */
const CLIENT_ID = 'sim-client';
const API_KEY = 'sim-api-key';
const USER = 'sim-user-pfm';
let simulator: MxSimulator;
let session: string;

beforeAll(async () => {
  simulator = await startMxSimulator({ port: 0 });
});
afterAll(async () => {
  await simulator?.close();
});

async function call(method: string, path: string, headers: Record<string, string>, body?: unknown) {
  const response = await fetch(`${simulator.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, type: response.headers.get('content-type') ?? '', body: (await response.json()) as unknown };
}

const expectSameShape = (fixture: string, actual: unknown) => {
  expect(shapeDifferences(shapeOf(FIXTURES[fixture]!.response.body), shapeOf(actual)), fixture).toEqual([]);
};

describe('the MX simulator answers as MX documents', () => {
  it('SSO api_token.json', async () => {
    const fixture = FIXTURES['sso-api-token']!;
    const answer = await call('GET', `/${CLIENT_ID}/users/${USER}/api_token.json`, {
      'MD-API-KEY': API_KEY,
      Accept: fixture.request.headers.Accept!,
    });
    expect(answer.status).toBe(fixture.response.status);
    expectSameShape('sso-api-token', answer.body);
    session = (
      await call(
        'POST',
        '/sessions',
        {
          ...FIXTURES['session-create']!.request.headers,
          'MD-API-TOKEN': (answer.body as { api_token: { token: string } }).api_token.token,
        },
        {},
      )
    ).body as never;
  });

  it('POST /sessions', () => {
    expectSameShape('session-create', session);
  });

  it('the reads: beats, a spending plan account, the current iteration', async () => {
    const headers = {
      'MD-SESSION-TOKEN': (session as unknown as { session: { token: string } }).session.token,
      Accept: 'application/vnd.mx.nexus.v1+json',
    };
    const beats = await call('GET', '/beats', headers);
    expect(beats.type).toContain(FIXTURES['beats-list']!.response.contentType);
    expectSameShape('beats-list', beats.body);

    const plans = (await call('GET', '/spending_plans', headers)).body as { spending_plans: { guid: string }[] };
    const plan = plans.spending_plans[0]!.guid;
    const accounts = (await call('GET', `/spending_plans/${plan}/spending_plan_account`, headers)).body as {
      spending_plan_accounts: { guid: string }[];
    };
    const account = await call(
      'GET',
      `/spending_plans/${plan}/spending_plan_account/${accounts.spending_plan_accounts[0]!.guid}`,
      headers,
    );
    expectSameShape('spending-plan-account', account.body);
    expectSameShape('current-iteration', (await call('GET', `/spending_plans/${plan}/iterations/current`, headers)).body);
  });

  it('an expired session: the documented code 4011, with the status and nesting the client assumes', async () => {
    const expired = await call('GET', '/members', {
      'MD-SESSION-TOKEN': 'not-a-session',
      Accept: 'application/vnd.mx.nexus.v1+json',
    });
    const fixture = FIXTURES['error-session-expired']!;
    expect(expired.status).toBe(fixture.response.status);
    expectSameShape('error-session-expired', expired.body);
    expect((expired.body as { error: { code: number } }).error.code).toBe(4011);
  });

  it('aggregate, challenges and resume: the method, path, query and body the pages document are accepted, and answered as documented', async () => {
    const headers = {
      'MD-SESSION-TOKEN': (session as unknown as { session: { token: string } }).session.token,
      Accept: 'application/vnd.mx.nexus.v1+json',
      'Content-Type': 'application/vnd.mx.nexus.v1+json',
    };
    // A member whose aggregation asks one MFA question at once (the control API is the simulator's own, not MX's).
    const created = await call(
      'POST',
      '/_sim/members',
      {},
      {
        user_id: USER,
        aggregation: { duration_ms: 0, final_status: 'CONNECTED', challenge: { label: 'What city?', answer: 'Paris' } },
      },
    );
    const guid = (created.body as { member: { guid: string } }).member.guid;

    const aggregate = FIXTURES['member-aggregate']!;
    const query = new URLSearchParams(aggregate.request.query).toString();
    const started = await call(aggregate.request.method, `/members/${guid}/aggregate?${query}`, headers);
    expect(started.status).toBe(aggregate.response.status);

    const challenges = await call('GET', `/members/${guid}/challenges`, headers);
    expect(challenges.status).toBe(FIXTURES['member-challenges']!.response.status);
    expectSameShape('member-challenges', challenges.body);

    const resume = FIXTURES['member-resume']!;
    const question = (challenges.body as { challenges: { guid: string }[] }).challenges[0]!.guid;
    const answered = await call(resume.request.method, `/members/${guid}/resume`, headers, {
      challenges: [{ guid: question, value: 'Paris' }],
    });
    expect(answered.status).toBe(resume.response.status);
  });
});
