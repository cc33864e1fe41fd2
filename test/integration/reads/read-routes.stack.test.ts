import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import type { LocalStack } from '../../../infra/local/local-stack.ts';
import { routeKey } from '../../../lib/http/route.ts';
import { ROUTES } from '../../../lib/route-table.ts';
import { SYNC_ROUTE } from '../../../lib/transactions/sync-routes.ts';
import { createDocumentClient } from '../../../lib/aws/dynamodb-client.ts';
import { catalogueGuid } from '../../../sim/institutions.ts';
import { useLocalStack } from '../../support/local-stack.ts';
import { simulatorSession } from '../../support/simulator-control.ts';

/**
 * Every read route, driven over HTTP through the local gateway against the seeded MX simulator, and compared with
 * what the simulator itself answers for the same MX path: nexus-relay must pass MX's bodies through unchanged.
 */
interface Fixtures {
  members: string[];
  accounts: string[];
  beats: string[];
  spending_plans: { guid: string; spending_plan_accounts: string[] }[];
  categories: { guid: string; top_level_category_guid: string }[];
  transactions: {
    count: number;
    first_date: string;
    last_date: string;
    created_first: string;
    created_last: string;
    updated_first: string;
    updated_last: string;
  };
}

const USER = 'sim-user-pfm';
let stack: LocalStack;
let fixtures: Fixtures;
let simToken: string;
/** Every log line the stack writes and every body it answers, scanned for secrets at the end. */
const logLines: string[] = [];
const bodies: string[] = [];

async function ours(path: string) {
  const response = await fetch(`${stack.url}${path}`, { headers: { authorization: `Bearer ${stack.apiKey}` } });
  const text = await response.text();
  bodies.push(text);
  // Bodies are whatever MX sent: the tests navigate them freely.
  return { status: response.status, type: response.headers.get('content-type'), body: JSON.parse(text) as any };
}

async function simulator(path: string) {
  const response = await fetch(`${stack.simulatorUrl}${path}`, {
    headers: { 'md-session-token': simToken, accept: 'application/vnd.mx.nexus.v1+json' },
  });
  expect(response.status, `simulator GET ${path}`).toBe(200);
  return response.json();
}

useLocalStack(
  async (started) => {
    stack = started;
    fixtures = (await (await fetch(`${stack.simulatorUrl}/_sim/users/${USER}`)).json()) as Fixtures;
    // A session that starts no aggregation: the reads are compared on data it would change.
    simToken = await simulatorSession(stack.simulatorUrl!, USER);
    const category = fixtures.categories[0]!.guid;
    const made = await fetch(`${stack.simulatorUrl}/transaction_rules`, {
      method: 'POST',
      headers: { 'md-session-token': simToken, 'content-type': 'application/vnd.mx.nexus.v1+json' },
      body: JSON.stringify({ transaction_rule: { category_guid: category, match_description: 'zz-no-transaction-says-this' } }),
    });
    rule = ((await made.json()) as { transaction_rule: { guid: string } }).transaction_rule.guid;
    const deposit = await fetch(`${stack.simulatorUrl}/micro_deposits`, {
      method: 'POST',
      headers: { 'md-session-token': simToken, 'content-type': 'application/vnd.mx.nexus.v1+json' },
      body: JSON.stringify({ micro_deposit: { first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.com' } }),
    });
    microDeposit = ((await deposit.json()) as { micro_deposit: { guid: string } }).micro_deposit.guid;
  },
  { logLines },
);

/** The first guid of an MX list, read from the simulator. */
const first = async (path: string, root: string): Promise<string> => ((await simulator(path)) as any)[root][0].guid;

/**
 * One case per read route: the MX path to ask for (filled from the simulator's fixtures), the body's root key, and MX's
 * own path where the relay's differs.
 */
type Case = { path: string; root: string; mx?: string };
const cases: Record<string, () => Case | Promise<Case>> = {
  'GET /users/{user_id}/beats': () => ({ path: '/beats', root: 'beats' }),
  'GET /users/{user_id}/beats/{beat_guid}': () => ({ path: `/beats/${fixtures.beats[0]}`, root: 'beat' }),
  'GET /users/{user_id}/spending_plans': () => ({ path: '/spending_plans', root: 'spending_plans' }),
  'GET /users/{user_id}/spending_plans/{spending_plan_guid}': () => ({
    path: `/spending_plans/${plan()}`,
    root: 'spending_plan',
  }),
  'GET /users/{user_id}/spending_plans/{spending_plan_guid}/iterations': () => ({
    path: `/spending_plans/${plan()}/iterations`,
    root: 'iterations',
  }),
  'GET /users/{user_id}/spending_plans/{spending_plan_guid}/iterations/current': () => ({
    path: `/spending_plans/${plan()}/iterations/current`,
    root: 'iteration',
  }),
  'GET /users/{user_id}/spending_plans/{spending_plan_guid}/iterations/current/iteration_items': () => ({
    path: `/spending_plans/${plan()}/iterations/current/iteration_items`,
    root: 'iteration_items',
  }),
  'GET /users/{user_id}/spending_plans/{spending_plan_guid}/spending_plan_account': () => ({
    path: `/spending_plans/${plan()}/spending_plan_account`,
    root: 'spending_plan_accounts',
  }),
  'GET /users/{user_id}/spending_plans/{spending_plan_guid}/spending_plan_account/{spending_plan_account_guid}': () => ({
    path: `/spending_plans/${plan()}/spending_plan_account/${fixtures.spending_plans[0]!.spending_plan_accounts[0]}`,
    root: 'spending_plan_account',
  }),
  'GET /users/{user_id}/institutions': () => ({ path: '/institutions?name=bank&records_per_page=10', root: 'institutions' }),
  'GET /users/{user_id}/institutions/{institution_guid}': () => ({
    path: `/institutions/${catalogueGuid('mx_bank_oauth')}`,
    root: 'institution',
  }),
  'GET /users/{user_id}/institutions/{institution_guid}/credentials': () => ({
    path: `/institutions/${catalogueGuid('mxbank')}/credentials`,
    root: 'credentials',
  }),
  'GET /users/{user_id}/members': () => ({ path: '/members?use_case=PFM', root: 'members' }),
  'GET /users/{user_id}/members/{member_guid}': () => ({ path: `/members/${fixtures.members[0]}`, root: 'member' }),
  'GET /users/{user_id}/members/{member_guid}/account_numbers': () => ({
    path: `/members/${fixtures.members[0]}/account_numbers`,
    root: 'account_numbers',
  }),
  'GET /users/{user_id}/accounts/{account_guid}/account_number': () => ({
    path: `/accounts/${fixtures.accounts[0]}/account_number`,
    root: 'account_numbers',
  }),
  'GET /users/{user_id}/members/{member_guid}/account_owners': () => ({
    path: `/members/${fixtures.members[0]}/account_owners`,
    root: 'account_owners',
  }),
  'GET /users/{user_id}/accounts': () => ({ path: '/accounts?records_per_page=10&page=1', root: 'accounts' }),
  'GET /users/{user_id}/accounts/partner_created': () => ({ path: '/accounts/partner_created', root: 'accounts' }),
  'GET /users/{user_id}/accounts/user_created': () => ({ path: '/accounts/user_created', root: 'accounts' }),
  'GET /users/{user_id}/transactions': () => ({ path: '/transactions?page=2&records_per_page=50', root: 'transactions' }),
  'GET /users/{user_id}/transactions/by_category_guid/{category_guid}/by_date/{start_date}/{end_date}': () => ({
    path: `/transactions/by_category_guid/${fixtures.categories[0]!.guid}/by_date/${dates().first_date}/${dates().last_date}`,
    root: 'transactions',
  }),
  'GET /users/{user_id}/transactions/by_top_level_category_guid/{top_level_category_guids}/by_date/{start_date}/{end_date}':
    () => ({
      path: `/transactions/by_top_level_category_guid/${topLevel()}/by_date/${dates().first_date}/${dates().last_date}`,
      root: 'transactions',
    }),
  'GET /users/{user_id}/transactions/created_between/{start_date}/{end_date}': () => ({
    path: `/transactions/created_between/${dates().created_first}/${dates().created_last}`,
    root: 'transactions',
  }),
  'GET /users/{user_id}/transactions/updated_between/{start_date}/{end_date}': () => ({
    path: `/transactions/updated_between/${dates().updated_first}/${dates().updated_last}`,
    root: 'transactions',
  }),
  'GET /users/{user_id}/members/{member_guid}/credentials': () => ({
    path: `/members/${fixtures.members[0]}/credentials`,
    mx: `/member/${fixtures.members[0]}/credentials`,
    root: 'credentials',
  }),
  'GET /users/{user_id}/user': () => ({ path: '/user', root: 'user' }),
  'GET /users/{user_id}/accounts/{account_guid}': () => ({ path: `/accounts/${fixtures.accounts[0]}`, root: 'account' }),
  'GET /users/{user_id}/members/{member_guid}/accounts': () => ({
    path: `/members/${fixtures.members[0]}/accounts`,
    root: 'accounts',
  }),
  'GET /users/{user_id}/accounts/{account_guid}/monthly_account_balance': () => ({
    path: `/accounts/${fixtures.accounts[0]}/monthly_account_balance`,
    root: 'monthly_account_balances',
  }),
  'GET /users/{user_id}/accounts/{account_guid}/transactions': () => ({
    path: `/accounts/${fixtures.accounts[0]}/transactions?from_date=${dates().first_date}`,
    root: 'transactions',
  }),
  'GET /users/{user_id}/accounts/{account_guid}/transactions/created_between/{start_date}/{end_date}': () => ({
    path: `/accounts/${fixtures.accounts[0]}/transactions/created_between/${dates().created_first}/${dates().created_last}`,
    root: 'transactions',
  }),
  'GET /users/{user_id}/transactions/{transaction_guid}': async () => ({
    path: `/transactions/${await first('/transactions', 'transactions')}`,
    root: 'transaction',
  }),
  'GET /users/{user_id}/transactions/{transaction_guid}/insights': async () => ({
    path: `/transactions/${await first('/transactions', 'transactions')}/insights`,
    root: 'insights',
  }),
  'GET /users/{user_id}/accounts/{account_guid}/insights': () => ({
    path: `/accounts/${fixtures.accounts[0]}/insights`,
    root: 'insights',
  }),
  'GET /users/{user_id}/categories': () => ({ path: '/categories?records_per_page=100', root: 'categories' }),
  'GET /users/{user_id}/categories/{category_guid}': () => ({
    path: `/categories/${fixtures.categories[0]!.guid}`,
    root: 'category',
  }),
  'GET /users/{user_id}/date_range_category_totals/from/{start_date}/to/{end_date}': () => ({
    path: `/date_range_category_totals/from/${dates().first_date}/to/${dates().last_date}`,
    root: 'date_range_category_totals',
  }),
  'GET /users/{user_id}/transaction_rules': () => ({ path: '/transaction_rules', root: 'transaction_rules' }),
  'GET /users/{user_id}/transaction_rules/{transaction_rule_guid}': () => ({
    path: `/transaction_rules/${rule}`,
    root: 'transaction_rule',
  }),
  'GET /users/{user_id}/tags': () => ({ path: '/tags', root: 'tags' }),
  'GET /users/{user_id}/taggings': () => ({ path: '/taggings', root: 'taggings' }),
  'GET /users/{user_id}/budgets': () => ({ path: '/budgets', root: 'budgets' }),
  'GET /users/{user_id}/budgets/{budget_guid}': async () => ({
    path: `/budgets/${await first('/budgets', 'budgets')}`,
    root: 'budget',
  }),
  'GET /users/{user_id}/goals': () => ({ path: '/goals', root: 'goals' }),
  'GET /users/{user_id}/goals/{goal_guid}': async () => ({ path: `/goals/${await first('/goals', 'goals')}`, root: 'goal' }),
  'GET /users/{user_id}/holdings': () => ({ path: '/holdings', root: 'holdings' }),
  'GET /users/{user_id}/holdings/{holding_guid}': async () => ({
    path: `/holdings/${await first('/holdings', 'holdings')}`,
    root: 'holding',
  }),
  'GET /users/{user_id}/insights': () => ({ path: '/insights', root: 'insights' }),
  'GET /users/{user_id}/insights/{insight_guid}': async () => ({
    path: `/insights/${await first('/insights', 'insights')}`,
    root: 'insight',
  }),
  'GET /users/{user_id}/merchants': () => ({ path: '/merchants', root: 'merchants' }),
  'GET /users/{user_id}/merchants/{merchant_guid}': async () => ({
    path: `/merchants/${await first('/merchants', 'merchants')}`,
    root: 'merchant',
  }),
  'GET /users/{user_id}/merchant_locations/{merchant_location_guid}': async () => ({
    path: `/merchant_locations/${((await simulator('/transactions')) as any).transactions.find((t: any) => t.merchant_location_guid).merchant_location_guid}`,
    root: 'merchant_location',
  }),
  'GET /users/{user_id}/monthly_cash_flow_profile': () => ({
    path: '/monthly_cash_flow_profile',
    root: 'monthly_cash_flow_profile',
  }),
  'GET /users/{user_id}/scheduled_payments': () => ({ path: '/scheduled_payments', root: 'scheduled_payments' }),
  'GET /users/{user_id}/notifications': () => ({ path: '/notifications', root: 'notifications' }),
  'GET /users/{user_id}/notifications/{notification_guid}': async () => ({
    path: `/notifications/${await first('/notifications', 'notifications')}`,
    root: 'notification',
  }),
  'GET /users/{user_id}/notifications/{notification_guid}/deliverables': async () => ({
    path: `/notifications/${await first('/notifications', 'notifications')}/deliverables`,
    root: 'deliverable_notifications',
  }),
  'GET /users/{user_id}/notifications/{notification_guid}/deliverables/{deliverable_guid}': async () => {
    const notification = await first('/notifications', 'notifications');
    const deliverable = await first(`/notifications/${notification}/deliverables`, 'deliverable_notifications');
    return { path: `/notifications/${notification}/deliverables/${deliverable}`, root: 'deliverable_notification' };
  },
  'GET /users/{user_id}/micro_deposits': () => ({ path: '/micro_deposits', root: 'micro_deposits' }),
  'GET /users/{user_id}/micro_deposits/{micro_deposit_guid}': () => ({
    path: `/micro_deposits/${microDeposit}`,
    root: 'micro_deposit',
  }),
};
/** A transaction rule and a microdeposit made at the simulator first: the user has none until one is made. */
let rule: string;
let microDeposit: string;
const plan = () => fixtures.spending_plans[0]!.guid;
const dates = () => fixtures.transactions;
const topLevel = () => [...new Set(fixtures.categories.map((c) => c.top_level_category_guid))].slice(0, 2).join(',');

describe('every read route', () => {
  it('has a case here (a read route without a test fails the suite)', () => {
    // Transactions sync is api-read's own (not an MX read passed through): test/integration/transactions covers it.
    const readRoutes = ROUTES.filter((route) => route.fn === 'api-read' && route.method === 'GET')
      .map(routeKey)
      .filter((key) => key !== routeKey(SYNC_ROUTE));
    expect(Object.keys(cases).sort()).toEqual(readRoutes.sort());
  });

  it.each(Object.keys(cases))('%s answers with the simulator’s exact body', async (key) => {
    const { path, root, mx = path } = await cases[key]!();
    const response = await ours(`/users/${USER}${path}`);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.type).toBe('application/json');
    expect(response.body).toHaveProperty(root);
    expect(response.body).toEqual(await simulator(mx));
  });
});

describe('pagination and use cases', () => {
  it('walking transactions 10 per page returns every seeded transaction exactly once', async () => {
    const seen: string[] = [];
    for (let page = 1; ; page++) {
      const { body } = await ours(`/users/${USER}/transactions?records_per_page=10&page=${page}`);
      seen.push(...body.transactions.map((t: { guid: string }) => t.guid));
      if (page >= body.pagination.total_pages) break;
    }
    expect(seen.length).toBe(fixtures.transactions.count);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(300);
  });

  it('use_case=MONEY_MOVEMENT filters; BOGUS is refused naming use_case; a PFM-only read for a non-PFM user is 403', async () => {
    const mixed = (await (await fetch(`${stack.simulatorUrl}/_sim/users/sim-user-mixed`)).json()) as Fixtures;
    const all = await ours('/users/sim-user-mixed/accounts');
    const moneyMovement = await ours('/users/sim-user-mixed/accounts?use_case=MONEY_MOVEMENT');
    expect(moneyMovement.status).toBe(200);
    expect(moneyMovement.body.accounts.length).toBeGreaterThan(0);
    expect(moneyMovement.body.accounts.length).toBeLessThan(all.body.accounts.length);
    expect(all.body.accounts.length).toBe(mixed.accounts.length);

    const bogus = await ours('/users/sim-user-mixed/accounts?use_case=BOGUS');
    expect(bogus.status).toBe(400);
    expect(bogus.type).toBe('application/problem+json');
    expect(bogus.body).toMatchObject({ code: 'validation_failed', field: 'use_case' });

    const beats = await ours('/users/sim-user-mm/beats');
    expect(beats.status).toBe(403);
    expect(beats.body).toMatchObject({ code: 'use_case_not_permitted', mx_code: 4030 });
  });

  it('MX 404 → 404 not_found with mx_code', async () => {
    const response = await ours(`/users/${USER}/beats/BET-00000000-0000-0000-0000-000000000000`);
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ code: 'not_found', mx_code: 4040 });
  });
});

describe('institutions', () => {
  it('are searched as MX recommends: POST /institutions/search with the name in its body', async () => {
    const searches = async () =>
      ((await (await fetch(`${stack.simulatorUrl}/_sim/stats`)).json()) as { calls: Record<string, number> }).calls[
        'POST /institutions/search'
      ] ?? 0;
    const before = await searches();
    const found = await ours(`/users/${USER}/institutions?name=gringotts`);
    expect(found.status).toBe(200);
    expect(found.body.institutions.map((institution: { code: string }) => institution.code)).toEqual(['gringotts']);
    expect(await searches()).toBe(before + 1);
  });
});

describe('secrets', () => {
  it('no log line and no response body contains a session token, the MX API key or our API key', async () => {
    const table = createDocumentClient({ region: stack.engines.region, dynamoDbEndpoint: stack.engines.dynamoDbEndpoint });
    const { Items = [] } = await table.send(new ScanCommand({ TableName: stack.engines.tableName }));
    table.destroy();
    const sessionTokens = Items.filter((item) => item.sk === 'SESSION').map((item) => item.token as string);
    expect(sessionTokens.length).toBeGreaterThanOrEqual(3);
    expect(logLines.some((line) => line.includes('"mx call"'))).toBe(true);

    const secrets = [...sessionTokens, simToken, 'sim-api-key', stack.apiKey];
    for (const text of [...logLines, ...bodies]) {
      for (const secret of secrets) expect(text.includes(secret), `a secret leaked into: ${text.slice(0, 200)}`).toBe(false);
    }
  });
});
