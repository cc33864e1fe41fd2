import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogueGuid } from '../../../sim/institutions.ts';
import { MDX_REALTIME_PATH } from '../../../sim/mdx-realtime-routes.ts';
import { type MxSimulator, startMxSimulator } from '../../../sim/server.ts';
import { FIXTURES, type MxFixture, shapeDifferences, shapeOf } from './fixtures.ts';

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
  const text = await response.text();
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    body: (text === '' ? null : JSON.parse(text)) as unknown,
  };
}

/** The fixture's route with these values. */
const routeOf = (fixture: MxFixture, params: Record<string, string>) =>
  fixture.request.route.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(params[name]!));

/** The fixture's headers with the simulator's session token or partner key in place of the placeholders. */
const headersOf = (fixture: MxFixture, replace: Record<string, string>) =>
  Object.fromEntries(Object.entries(fixture.request.headers).map(([name, value]) => [name, replace[value] ?? value]));

/** The fixture's request body with its placeholders made concrete. */
function bodyWith(fixture: MxFixture, replace: Record<string, string>): unknown {
  let text = JSON.stringify(fixture.request.body);
  for (const [placeholder, value] of Object.entries(replace)) text = text.replaceAll(placeholder, value);
  return JSON.parse(text) as unknown;
}

/** A member create or update body of the fixture, with the institution's credential guids in place of its `CRD-…`s. */
function withCredentials(fixture: MxFixture, guids: string[]): unknown {
  const { member } = fixture.request.body as { member: { credentials: { guid: string; value: string }[] } };
  expect(guids).toHaveLength(member.credentials.length);
  return {
    member: { ...member, credentials: member.credentials.map((credential, index) => ({ ...credential, guid: guids[index]! })) },
  };
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
        FIXTURES['session-create']!.request.body,
      )
    ).body as never;
  });

  it('POST /sessions', () => {
    expectSameShape('session-create', session);
  });

  it('the reads: beats, a spending plan account, the current iteration, the transactions of some days', async () => {
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

    // The window the relay reads after an aggregation: the days from_date to to_date, by the transaction's date.
    const window = FIXTURES['transactions-list-window']!;
    const all = (await call('GET', '/transactions?records_per_page=1000', headers)).body as { transactions: { date: string }[] };
    const day = all.transactions[0]!.date;
    const query = new URLSearchParams({ ...window.request.query, from_date: day, to_date: day }).toString();
    const listed = await call('GET', `${window.request.route}?${query}`, headers);
    expectSameShape('transactions-list-window', listed.body);
    const onDay = (listed.body as { transactions: { date: string }[] }).transactions;
    expect(onDay.length).toBeGreaterThan(0);
    expect(onDay.every((transaction) => transaction.date === day)).toBe(true);
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
  it('create, update and delete member: the method, path, headers and body the pages document are accepted, and answered with the documented status and shape', async () => {
    const token = (session as unknown as { session: { token: string } }).session.token;
    const credentials = await call('GET', `/institutions/${catalogueGuid('mxbank')}/credentials`, {
      'MD-SESSION-TOKEN': token,
      Accept: 'application/vnd.mx.nexus.v1+json',
    });
    const guids = (credentials.body as { credentials: { guid: string }[] }).credentials.map((credential) => credential.guid);

    const create = FIXTURES['member-create']!;
    const created = await call(
      create.request.method,
      routeOf(create, {}),
      headersOf(create, { '<session token>': token }),
      withCredentials(create, guids),
    );
    expect(created.status).toBe(create.response.status);
    expect(created.type).toContain(create.response.contentType);
    expectSameShape('member-create', created.body);
    const { guid, metadata } = (created.body as { member: { guid: string; metadata: string } }).member;
    expect(metadata).toBe((create.request.body as { member: { metadata: string } }).member.metadata);

    const update = FIXTURES['member-update']!;
    const updated = await call(
      update.request.method,
      routeOf(update, { member_guid: guid }),
      headersOf(update, { '<session token>': token }),
      withCredentials(update, guids),
    );
    expect(updated.status).toBe(update.response.status);
    expectSameShape('member-update', updated.body);
    expect((updated.body as { member: { guid: string } }).member.guid).toBe(guid);

    const remove = FIXTURES['member-delete']!;
    const removed = await call(
      remove.request.method,
      routeOf(remove, { member_guid: guid }),
      headersOf(remove, { '<session token>': token }),
    );
    expect(removed.status).toBe(remove.response.status);
    expect(removed.body).toBe(remove.response.body);
    expect((await call('GET', `/members/${guid}`, headersOf(remove, { '<session token>': token }))).status).toBe(404);
  });

  it('MDX Real Time create user, SSO widget URL, MDX Real Time delete user: the routes, MD-API-KEY and bodies documented are accepted, and answered with the documented status and shape', async () => {
    const user = 'sim-contract-user';
    const partner = { '<api key>': API_KEY };

    const create = FIXTURES['mdx-user-create']!;
    // The SSO host makes no users (MX's SSO v3 pages list api_token and widget URLs only): MX answers 404.
    expect(
      (
        await call(
          create.request.method,
          routeOf(create, { client_id: CLIENT_ID }),
          headersOf(create, partner),
          bodyWith(create, { '<user id>': user }),
        )
      ).status,
    ).toBe(404);
    const created = await call(
      create.request.method,
      MDX_REALTIME_PATH + routeOf(create, { client_id: CLIENT_ID }),
      headersOf(create, partner),
      bodyWith(create, { '<user id>': user }),
    );
    expect(created.status).toBe(create.response.status);
    expect(created.type).toContain(create.response.contentType);
    expectSameShape('mdx-user-create', created.body);
    const again = await call(
      create.request.method,
      MDX_REALTIME_PATH + routeOf(create, { client_id: CLIENT_ID }),
      headersOf(create, partner),
      bodyWith(create, { '<user id>': user }),
    );
    expect(again.status).toBe(409);
    expect((created.body as { user: { id: string } }).user.id).toBe(user);

    const widget = FIXTURES['sso-widget-url']!;
    const url = await call(
      widget.request.method,
      routeOf(widget, { client_id: CLIENT_ID, user_id: user }),
      headersOf(widget, partner),
      widget.request.body,
    );
    expect(url.status).toBe(widget.response.status);
    expect(url.type).toContain(widget.response.contentType);
    expectSameShape('sso-widget-url', url.body);
    expect((url.body as { url: { type: string; user_id: string } }).url).toMatchObject({ type: 'connect_widget', user_id: user });

    const remove = FIXTURES['mdx-user-delete']!;
    const removed = await call(
      remove.request.method,
      MDX_REALTIME_PATH + routeOf(remove, { client_id: CLIENT_ID, user_id: user }),
      headersOf(remove, partner),
    );
    expect(removed.status).toBe(remove.response.status);
    expect(removed.body).toBe(remove.response.body);
  });

  it('premium jobs, what they gather, read institution and OAuth: the documented paths and bodies are accepted, answered with the documented statuses and shapes', async () => {
    const token = (session as unknown as { session: { token: string } }).session.token;
    const as = (fixture: MxFixture) => headersOf(fixture, { '<session token>': token });
    // Jobs that end at once (the control API is the simulator's own, not MX's).
    const created = await call(
      'POST',
      '/_sim/members',
      {},
      { user_id: USER, use_cases: ['PFM'], aggregation: { duration_ms: 0, final_status: 'CONNECTED' } },
    );
    const guid = (created.body as { member: { guid: string; institution_guid: string } }).member.guid;
    for (const name of ['member-verify', 'member-identify', 'member-extend-history']) {
      const fixture = FIXTURES[name]!;
      const started = await call(
        fixture.request.method,
        routeOf(fixture, { member_guid: guid }),
        as(fixture),
        fixture.request.body,
      );
      expect(started.status, name).toBe(fixture.response.status);
      expectSameShape(name, started.body);
    }

    const byMember = FIXTURES['account-numbers-by-member']!;
    const numbers = await call('GET', routeOf(byMember, { member_guid: guid }), as(byMember));
    expect(numbers.status).toBe(200);
    expectSameShape('account-numbers-by-member', numbers.body);
    // MX's example gives the numbers as JSON numbers, its field table as strings: the simulator sends strings.
    const byAccount = FIXTURES['account-number-by-account']!;
    const account = (numbers.body as { account_numbers: { account_guid: string }[] }).account_numbers[0]!.account_guid;
    const one = await call('GET', routeOf(byAccount, { account_guid: account }), as(byAccount));
    expect(one.status).toBe(byAccount.response.status);
    expect(shapeDifferences(shapeOf(numbers.body), shapeOf(one.body))).toEqual([]);
    expect(shapeDifferences(shapeOf(byAccount.response.body), shapeOf(JSON.parse(JSON.stringify(one.body), asNumbers)))).toEqual(
      [],
    );

    const owners = FIXTURES['account-owners']!;
    const listed = await call('GET', routeOf(owners, { member_guid: guid }), as(owners));
    expect(listed.status).toBe(200);
    expectSameShape('account-owners', listed.body);

    const institution = FIXTURES['institution-read']!;
    const institutionGuid = (created.body as { member: { institution_guid: string } }).member.institution_guid;
    const read = await call('GET', routeOf(institution, { institution_guid: institutionGuid }), as(institution));
    expect(read.status).toBe(200);
    expectSameShape('institution-read', read.body);

    const oauth = FIXTURES['member-create-oauth']!;
    const { member } = oauth.request.body as { member: Record<string, unknown> };
    const pending = await call('POST', '/members', as(oauth), {
      member: { ...member, institution_guid: catalogueGuid('mx_bank_oauth') },
    });
    expect(pending.status).toBe(oauth.response.status);
    expectSameShape('member-create-oauth', pending.body);
    const window = FIXTURES['oauth-window-uri']!;
    const oauthGuid = (pending.body as { member: { guid: string } }).member.guid;
    const query = new URLSearchParams(window.request.query).toString();
    const generated = await call('GET', `${routeOf(window, { member_guid: oauthGuid })}?${query}`, as(window));
    expect(generated.status).toBe(window.response.status);
    expectSameShape('oauth-window-uri', generated.body);
  });
});

/** JSON.parse reviver: the numbers fields as MX's example shows them (JSON numbers). */
function asNumbers(key: string, value: unknown): unknown {
  return ['account_number', 'routing_number'].includes(key) && typeof value === 'string' ? Number(value) : value;
}
