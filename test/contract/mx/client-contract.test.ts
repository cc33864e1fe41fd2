import type { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { isSessionExpired, mxErrorFromResponse } from '../../../lib/mx/errors.ts';
import type { MemberWrite } from '../../../lib/mx/nexus-client.ts';
import {
  API_KEY,
  CLIENT_ID,
  DATA_ORIGIN,
  MemorySessionStore,
  mockAgent,
  REALTIME_ORIGIN,
  recordedCalls,
  SSO_ORIGIN,
} from '../../unit/mx/support/fakes.ts';
import { mxStack } from '../../unit/mx/support/mx-stack.ts';
import { FIXTURES, type MxFixture } from './fixtures.ts';

/**
 * The MX client driven directly by MX's own examples (not through the simulator): each request it makes is pinned to
 * the documented method, path and headers, and each documented answer is read as documented.
 */
const USER = 'user-1';
const SESSION = 'SESSION-FROM-FIXTURE';
let agent: MockAgent;

beforeEach(() => {
  agent = mockAgent();
});
afterEach(async () => {
  await agent.close();
});

/** The fixture's route with these values (and its query, in the page's order), as the client must send it. */
const pathOf = (fixture: MxFixture, params: Record<string, string>): string => {
  const path = fixture.request.route.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(params[name]!));
  const query = new URLSearchParams(fixture.request.query ?? {}).toString();
  return query === '' ? path : `${path}?${query}`;
};

/** What MX answers, per the fixture, with the placeholder tokens made concrete. */
function answerWith(fixture: MxFixture, replace: Record<string, string> = {}) {
  let text = fixture.response.body === null ? '' : JSON.stringify(fixture.response.body);
  for (const [placeholder, value] of Object.entries(replace)) text = text.replaceAll(placeholder, value);
  return {
    statusCode: fixture.response.status,
    data: text,
    responseOptions: { headers: { 'content-type': fixture.response.contentType } },
  };
}

let sessions = 0;

/** SSO and POST /sessions answering as their fixtures, each session token new. */
function authenticatesAsDocumented() {
  sessions = 0;
  const sso = FIXTURES['sso-api-token']!;
  const session = FIXTURES['session-create']!;
  agent
    .get(SSO_ORIGIN)
    .intercept({ path: pathOf(sso, { client_id: CLIENT_ID, user_id: USER }), method: sso.request.method })
    .reply(() => answerWith(sso, { '<one-time api token>': 'API-TOKEN-1' }))
    .persist();
  agent
    .get(DATA_ORIGIN)
    .intercept({ path: session.request.route, method: session.request.method })
    .reply(() => answerWith(session, { '<session token>': `${SESSION}-${++sessions}` }))
    .persist();
}

const client = () => {
  const clock = new ManualClock();
  return mxStack({ dispatcher: agent, store: new MemorySessionStore(clock), clock });
};

describe('authentication, as MX documents it', () => {
  it('SSO: GET …/api_token.json with MD-API-KEY and the SSO media type; the token read at api_token.token', async () => {
    authenticatesAsDocumented();
    const fixture = FIXTURES['sso-api-token']!;
    expect(await client().sso.apiToken(USER)).toBe('API-TOKEN-1');
    const [call] = recordedCalls(agent);
    expect(call).toMatchObject({
      origin: SSO_ORIGIN,
      method: fixture.request.method,
      path: pathOf(fixture, { client_id: CLIENT_ID, user_id: USER }),
    });
    expect(call!.headers).toMatchObject({ 'md-api-key': API_KEY, accept: fixture.request.headers.Accept });
  });

  it('session: POST /sessions with MD-API-TOKEN, the Nexus media type both ways and skip_aggregation; token at session.token', async () => {
    authenticatesAsDocumented();
    const fixture = FIXTURES['session-create']!;
    expect(await client().sessions.get(USER)).toBe(`${SESSION}-1`);
    const call = recordedCalls(agent).find((c) => c.origin === DATA_ORIGIN)!;
    expect(call).toMatchObject({ method: 'POST', path: '/sessions' });
    expect(JSON.parse(String(call.body))).toEqual(fixture.request.body);
    expect(call.headers).toMatchObject({
      'md-api-token': 'API-TOKEN-1',
      accept: fixture.request.headers.Accept,
      'content-type': fixture.request.headers['Content-Type'],
    });
  });
});

describe.each(['beats-list', 'spending-plan-account', 'current-iteration'])('the read %s', (name) => {
  it('is requested as documented and relayed exactly as MX answered', async () => {
    authenticatesAsDocumented();
    const fixture = FIXTURES[name]!;
    const params = { spending_plan_guid: 'SPL-1', spending_plan_account_guid: 'SPA-1' };
    agent
      .get(DATA_ORIGIN)
      .intercept({ path: pathOf(fixture, params), method: fixture.request.method })
      .reply(() => answerWith(fixture));
    const { body } = await client().nexus.requestText(USER, {
      method: 'GET',
      route: fixture.request.route,
      kind: 'read',
      params,
    });
    expect(JSON.parse(body)).toEqual(fixture.response.body);
    const call = recordedCalls(agent).find((c) => c.path === pathOf(fixture, params))!;
    expect(call.headers).toMatchObject({ 'md-session-token': `${SESSION}-1` });
  });
});

describe('the session-expired answer (4011; its status and nesting UNCONFIRMED)', () => {
  it('is read as session expiry, and the client renews the session and sends the call once more', async () => {
    authenticatesAsDocumented();
    const expired = FIXTURES['error-session-expired']!;
    expect(expired.confirmed).toBe(false);
    const error = mxErrorFromResponse(
      { status: expired.response.status, headers: {}, body: JSON.stringify(expired.response.body) },
      { method: 'GET', route: expired.request.route },
      0,
    );
    expect(isSessionExpired(error)).toBe(true);
    expect(error.mxCode).toBe(4011);

    let answered = 0;
    agent
      .get(DATA_ORIGIN)
      .intercept({ path: '/members', method: 'GET' })
      .reply(() =>
        ++answered === 1
          ? answerWith(expired)
          : {
              statusCode: 200,
              data: '{"members":[]}',
              responseOptions: { headers: { 'content-type': 'application/vnd.mx.nexus.v1+json' } },
            },
      )
      .persist();
    const { body } = await client().nexus.requestText(USER, { method: 'GET', route: '/members', kind: 'read' });
    expect(body).toBe('{"members":[]}');
    expect(recordedCalls(agent).filter((c) => c.path === '/sessions')).toHaveLength(2);
  });
});

/** A member as MX's read-member page shows one (the fields the relay reads). */
const MEMBER = {
  guid: 'MBR-1',
  user_guid: 'USR-1',
  connection_status: 'CONNECTED',
  is_being_aggregated: true,
  aggregated_at: '2026-01-01T00:00:00Z',
  successfully_aggregated_at: null,
};

function readMemberAnswers(member: Record<string, unknown> = MEMBER) {
  agent
    .get(DATA_ORIGIN)
    .intercept({ path: '/members/MBR-1', method: 'GET' })
    .reply(() => ({
      statusCode: 200,
      data: JSON.stringify({ member }),
      responseOptions: { headers: { 'content-type': 'application/vnd.mx.nexus.v1+json' } },
    }));
}

describe('aggregation calls, pinned to the pages that document them', () => {
  it('aggregate: the method, path and include flags as query parameters (no body), as the page lists them; a bare 200 is followed by a read of the member', async () => {
    authenticatesAsDocumented();
    const fixture = FIXTURES['member-aggregate']!;
    agent
      .get(DATA_ORIGIN)
      .intercept({ path: pathOf(fixture, { member_guid: 'MBR-1' }), method: fixture.request.method })
      .reply(() => answerWith(fixture));
    readMemberAnswers();
    const result = await client().nexus.aggregateMember(USER, 'MBR-1', { includeHoldings: false, includeTransactions: true });
    expect(result.member).toMatchObject({ guid: 'MBR-1', is_being_aggregated: true });
    const calls = recordedCalls(agent).filter((call) => call.origin === DATA_ORIGIN && call.path !== '/sessions');
    const sent = (call: { method: string; url: string }) =>
      `${call.method} ${new URL(call.url).pathname}${new URL(call.url).search}`;
    expect(calls.map(sent)).toEqual([
      `${fixture.request.method} ${pathOf(fixture, { member_guid: 'MBR-1' })}`,
      'GET /members/MBR-1',
    ]);
    expect(calls[0]!.body ?? undefined).toBeUndefined();
  });

  it('resume: PUT with {challenges: [{guid, value}]}; the status-only answer is followed by a read of the member', async () => {
    authenticatesAsDocumented();
    const fixture = FIXTURES['member-resume']!;
    agent
      .get(DATA_ORIGIN)
      .intercept({ path: pathOf(fixture, { member_guid: 'MBR-1' }), method: fixture.request.method })
      .reply(() => answerWith(fixture));
    readMemberAnswers({ ...MEMBER, connection_status: 'RESUMED' });
    const member = await client().nexus.resumeAggregation(USER, 'MBR-1', [{ guid: 'CRD-…', value: 'Rex' }]);
    expect(member).toMatchObject({ guid: 'MBR-1', connection_status: 'RESUMED' });
    const call = recordedCalls(agent).find((c) => c.path === pathOf(fixture, { member_guid: 'MBR-1' }))!;
    expect(call.method).toBe(fixture.request.method);
    expect(JSON.parse(String(call.body))).toEqual(fixture.request.body);
  });

  it('challenges: the documented list is read as it stands', async () => {
    authenticatesAsDocumented();
    const fixture = FIXTURES['member-challenges']!;
    agent
      .get(DATA_ORIGIN)
      .intercept({ path: pathOf(fixture, { member_guid: 'MBR-1' }), method: fixture.request.method })
      .reply(() => answerWith(fixture));
    const challenges = await client().nexus.listMemberChallenges(USER, 'MBR-1');
    expect(challenges).toMatchObject((fixture.response.body as { challenges: object[] }).challenges);
  });
});

/** The fixture's request body with its placeholders made concrete, as the client must send it. */
function bodyWith(fixture: MxFixture, replace: Record<string, string> = {}): unknown {
  let text = JSON.stringify(fixture.request.body);
  for (const [placeholder, value] of Object.entries(replace)) text = text.replaceAll(placeholder, value);
  return JSON.parse(text) as unknown;
}

/** The one call the client made to `origin` for the fixture's method and path. */
function sentFor(fixture: MxFixture, origin: string, params: Record<string, string>) {
  const calls = recordedCalls(agent).filter(
    (call) => call.origin === origin && call.method === fixture.request.method && call.path === pathOf(fixture, params),
  );
  expect(calls).toHaveLength(1);
  return calls[0]!;
}

/** The fixture's headers (names lower-cased) with the session token or the API key the client holds. */
function headersOf(fixture: MxFixture, replace: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(fixture.request.headers).map(([name, value]) => [name.toLowerCase(), replace[value] ?? value]),
  );
}

const memberOf = (fixture: MxFixture) => (fixture.response.body as { member: Record<string, unknown> }).member;

describe('connect calls to Nexus, pinned to the pages that document them (statuses UNCONFIRMED)', () => {
  it('create member: POST /members with the session token, the Nexus media type both ways and the body rooted in member; the documented member is read as it came', async () => {
    authenticatesAsDocumented();
    const fixture = FIXTURES['member-create']!;
    agent
      .get(DATA_ORIGIN)
      .intercept({ path: pathOf(fixture, {}), method: fixture.request.method })
      .reply(() => answerWith(fixture));
    const { member } = fixture.request.body as { member: MemberWrite };
    expect(await client().nexus.createMember(USER, member)).toMatchObject(memberOf(fixture));
    const call = sentFor(fixture, DATA_ORIGIN, {});
    expect(JSON.parse(String(call.body))).toEqual(fixture.request.body);
    expect(call.headers).toMatchObject(headersOf(fixture, { '<session token>': `${SESSION}-1` }));
  });

  it('update member: PUT /members/{member_guid} with the body rooted in member; the documented member is read as it came', async () => {
    authenticatesAsDocumented();
    const fixture = FIXTURES['member-update']!;
    const params = { member_guid: 'MBR-1' };
    agent
      .get(DATA_ORIGIN)
      .intercept({ path: pathOf(fixture, params), method: fixture.request.method })
      .reply(() => answerWith(fixture));
    const { member } = fixture.request.body as { member: MemberWrite };
    expect(await client().nexus.updateMember(USER, 'MBR-1', member)).toMatchObject(memberOf(fixture));
    const call = sentFor(fixture, DATA_ORIGIN, params);
    expect(JSON.parse(String(call.body))).toEqual(fixture.request.body);
    expect(call.headers).toMatchObject(headersOf(fixture, { '<session token>': `${SESSION}-1` }));
  });

  it('delete member: DELETE /members/{member_guid} without a body; the documented 204 is a success, and so is the 200 {} of the Nexus errors page', async () => {
    authenticatesAsDocumented();
    const fixture = FIXTURES['member-delete']!;
    const params = { member_guid: 'MBR-1' };
    agent
      .get(DATA_ORIGIN)
      .intercept({ path: pathOf(fixture, params), method: fixture.request.method })
      .reply(() => answerWith(fixture));
    const nexus = client().nexus;
    await expect(nexus.deleteMember(USER, 'MBR-1')).resolves.toBeUndefined();
    const call = sentFor(fixture, DATA_ORIGIN, params);
    expect(call.body ?? undefined).toBeUndefined();
    expect(call.headers).toMatchObject(headersOf(fixture, { '<session token>': `${SESSION}-1` }));

    agent
      .get(DATA_ORIGIN)
      .intercept({ path: pathOf(fixture, { member_guid: 'MBR-2' }), method: fixture.request.method })
      .reply(() => ({ ...answerWith(fixture), statusCode: 200, data: '{}' }));
    await expect(nexus.deleteMember(USER, 'MBR-2')).resolves.toBeUndefined();
  });
});

describe('partner calls to MDX Real Time and the SSO API, pinned to the pages and clients that document them', () => {
  it('create user at MDX Real Time: POST /{client_id}/users.json with MD-API-KEY, the mdx.v5 media type both ways and {user: {id}}; 200 is true', async () => {
    const fixture = FIXTURES['mdx-user-create']!;
    const params = { client_id: CLIENT_ID };
    agent
      .get(REALTIME_ORIGIN)
      .intercept({ path: pathOf(fixture, params), method: fixture.request.method })
      .reply(() => answerWith(fixture, { '<user id>': USER }));
    expect(await client().realtime.createUser(USER)).toBe(true);
    const call = sentFor(fixture, REALTIME_ORIGIN, params);
    expect(JSON.parse(String(call.body))).toEqual(bodyWith(fixture, { '<user id>': USER }));
    expect(call.headers).toMatchObject(headersOf(fixture, { '<api key>': API_KEY }));
  });

  it('delete user at MDX Real Time (path UNCONFIRMED): DELETE /{client_id}/users/{user_id}.json with MD-API-KEY and no body; 204 is true', async () => {
    const fixture = FIXTURES['mdx-user-delete']!;
    expect(fixture.confirmed).toBe(false);
    const params = { client_id: CLIENT_ID, user_id: USER };
    agent
      .get(REALTIME_ORIGIN)
      .intercept({ path: pathOf(fixture, params), method: fixture.request.method })
      .reply(() => answerWith(fixture));
    expect(await client().realtime.deleteUser(USER)).toBe(true);
    const call = sentFor(fixture, REALTIME_ORIGIN, params);
    expect(call.body ?? undefined).toBeUndefined();
    expect(call.headers).toMatchObject(headersOf(fixture, { '<api key>': API_KEY }));
  });

  it('widget URL: POST …/urls.json with MD-API-KEY, the SSO media type both ways and the options rooted in url; the answer read at url', async () => {
    const fixture = FIXTURES['sso-widget-url']!;
    const params = { client_id: CLIENT_ID, user_id: USER };
    agent
      .get(SSO_ORIGIN)
      .intercept({ path: pathOf(fixture, params), method: fixture.request.method })
      .reply(() => answerWith(fixture, { '<user id>': USER }));
    const { url } = fixture.request.body as { url: Record<string, unknown> };
    expect(await client().sso.widgetUrl(USER, url)).toEqual({ ...(fixture.response.body as { url: object }).url, user_id: USER });
    const call = sentFor(fixture, SSO_ORIGIN, params);
    expect(JSON.parse(String(call.body))).toEqual(fixture.request.body);
    expect(call.headers).toMatchObject(headersOf(fixture, { '<api key>': API_KEY }));
  });
});

/** Answers the fixture's call once, as the fixture documents it. */
function answersAsDocumented(fixture: MxFixture, params: Record<string, string>) {
  agent
    .get(DATA_ORIGIN)
    .intercept({ path: pathOf(fixture, params), method: fixture.request.method })
    .reply(() => answerWith(fixture));
}

describe('premium jobs, what they gather and OAuth, pinned to the pages that document them', () => {
  it('verify, identify and extend history: POST on each documented path, include_transactions at the top level (none for history), the member read as answered', async () => {
    authenticatesAsDocumented();
    const cases = [
      ['member-verify', 'verify', { includeTransactions: true }],
      ['member-identify', 'identify', { includeTransactions: false }],
      ['member-extend-history', 'extend_history', {}],
    ] as const;
    for (const [name, job, options] of cases) {
      const fixture = FIXTURES[name]!;
      answersAsDocumented(fixture, { member_guid: 'MBR-1' });
      const member = await client().nexus.startPremiumJob(USER, 'MBR-1', job, options);
      expect(member).toMatchObject({ guid: memberOf(fixture).guid, is_being_aggregated: true });
      const sent = sentFor(fixture, DATA_ORIGIN, { member_guid: 'MBR-1' });
      expect(sent.body ? JSON.parse(String(sent.body)) : undefined, name).toEqual(fixture.request.body);
      expect(sent.headers).toMatchObject({ 'md-session-token': expect.stringContaining(SESSION) });
    }
  });

  it('read institution: the support flags are read where the page puts them', async () => {
    authenticatesAsDocumented();
    const fixture = FIXTURES['institution-read']!;
    answersAsDocumented(fixture, { institution_guid: 'INS-1' });
    expect(await client().nexus.readInstitution(USER, 'INS-1')).toMatchObject({
      code: 'chase',
      supports_account_verification: true,
      supports_account_identification: true,
      supports_transaction_history: true,
    });
  });

  it('OAuth: create member with is_oauth rooted in member and no credentials; the window URI generated with the documented query parameters', async () => {
    authenticatesAsDocumented();
    const create = FIXTURES['member-create-oauth']!;
    answersAsDocumented(create, {});
    const { member } = create.request.body as { member: MemberWrite };
    const created = await client().nexus.createMember(USER, member);
    expect(created).toMatchObject({ connection_status: 'PENDING', oauth_window_uri: memberOf(create).oauth_window_uri });
    expect(JSON.parse(String(sentFor(create, DATA_ORIGIN, {}).body))).toEqual(create.request.body);

    const window = FIXTURES['oauth-window-uri']!;
    answersAsDocumented(window, { member_guid: 'MBR-1' });
    const uri = await client().nexus.oauthWindowUri(USER, 'MBR-1', {
      referral_source: 'APP',
      client_redirect_url: 'https://app.example/oauth-done',
    });
    expect(uri).toBe(memberOf(window).oauth_window_uri);
    const sent = recordedCalls(agent).find((call) => new URL(call.url).pathname === '/members/MBR-1/oauth_window_uri')!;
    expect(sent.method).toBe('GET');
    expect(Object.fromEntries(new URL(sent.url).searchParams)).toEqual(window.request.query);
  });
});
