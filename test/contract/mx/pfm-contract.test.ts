import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MxSimulator, startMxSimulator } from '../../../sim/server.ts';
import { callFixture, sessionOf, shapeDifferences, shapeOf } from './fixtures.ts';

/**
 * The simulator's PFM resources (categories, tags, transaction rules, transactions, budgets, goals, insights, merchants,
 * the monthly cash flow profile) checked against MX's examples: each fixture's method and route, with real guids from
 * the simulator's own lists, answers the fixture's status and a body of the fixture's shape (fixtures.ts).
 */
const USER = 'sim-user-pfm';
let simulator: MxSimulator;
let token: string;

beforeAll(async () => {
  simulator = await startMxSimulator({ port: 0 });
  token = await sessionOf(simulator.url, USER);
});
afterAll(async () => {
  await simulator?.close();
});

type Json = Record<string, unknown>;

/** Status, content type and shape as the fixture documents them. */
async function expectAsDocumented(
  name: string,
  params?: Record<string, string>,
  replace?: Record<string, string>,
  sound?: (body: unknown) => unknown,
) {
  const answer = await callFixture<Json>(simulator.url, token, name, { params, replace });
  expect(answer.status, `${name}: ${JSON.stringify(answer.body)}`).toBe(answer.fixture.response.status);
  if (answer.fixture.response.body === null) {
    expect(answer.body, name).toBeNull();
  } else {
    expect(answer.type).toContain(answer.fixture.response.contentType);
    const documented = sound ? sound(answer.fixture.response.body) : answer.fixture.response.body;
    expect(shapeDifferences(shapeOf(documented), shapeOf(answer.body)), name).toEqual([]);
  }
  return answer.body;
}

const get = async (path: string): Promise<Json> => {
  const response = await fetch(`${simulator.url}${path}`, {
    headers: { 'MD-SESSION-TOKEN': token, Accept: 'application/vnd.mx.nexus.v1+json' },
  });
  return (await response.json()) as Json;
};
const list = async (path: string, root: string) => ((await get(path)) as Record<string, Json[]>)[root]!;

describe('the MX simulator serves the PFM resources as MX documents them', () => {
  it('categories, category totals, tags and taggings', async () => {
    await expectAsDocumented('list-categories');
    const categories = await list('/categories?records_per_page=100', 'categories');
    const topLevel = categories.find((category) => category.parent_guid === null)!;
    await expectAsDocumented('read-category', { category_guid: String(categories[1]!.guid) });
    const created = await expectAsDocumented('create-subcategory', {}, { '<top-level category guid>': String(topLevel.guid) });
    const custom = String((created as { category: Json }).category.guid);
    await expectAsDocumented('update-subcategory', { category_guid: custom });
    await expectAsDocumented('delete-subcategory', { category_guid: custom });
    const transactions = await list('/transactions?records_per_page=10', 'transactions');
    await expectAsDocumented('list-category-totals-by-date-range', {
      start_date: String(transactions[transactions.length - 1]!.date),
      end_date: String(transactions[0]!.date),
    });
    await expectAsDocumented('list-tags');
    await expectAsDocumented('list-taggings');
  });

  it('transaction rules', async () => {
    const transactions = await list('/transactions?records_per_page=10', 'transactions');
    const categories = await list('/categories?records_per_page=100', 'categories');
    const created = await expectAsDocumented(
      'create-transaction-rule',
      {},
      {
        '<category guid>': String(categories.find((category) => category.parent_guid !== null)!.guid),
        '<a transaction description>': String(transactions[0]!.description),
      },
    );
    const rule = String((created as { transaction_rule: Json }).transaction_rule.guid);
    await expectAsDocumented('list-transaction-rules');
    await expectAsDocumented('read-transaction-rule', { transaction_rule_guid: rule });
    await expectAsDocumented('update-transaction-rule', { transaction_rule_guid: rule });
    await expectAsDocumented('delete-transaction-rule', { transaction_rule_guid: rule });
  });

  it('transactions: read, update, an account’s, manual ones, categorization', async () => {
    const transactions = await list('/transactions?records_per_page=10', 'transactions');
    const transaction = transactions[0]!;
    await expectAsDocumented('read-transaction', { transaction_guid: String(transaction.guid) });
    await expectAsDocumented('update-transaction', { transaction_guid: String(transaction.guid) });
    await expectAsDocumented('list-account-transactions', { account_guid: String(transaction.account_guid) });
    const created = String(transaction.created_at).slice(0, 10);
    await expectAsDocumented('list-account-transactions-created-between-two-dates', {
      account_guid: String(transaction.account_guid),
      start_date: created,
      end_date: created,
    });
    const manualAccount = (await list('/accounts?records_per_page=100', 'accounts')).find((account) => account.is_manual)!;
    const manual = await expectAsDocumented(
      'create-manual-transaction',
      { account_guid: String(manualAccount.guid) },
      {
        '<today>': String(transaction.date),
      },
    );
    await expectAsDocumented('delete-manual-transaction', {
      account_guid: String(manualAccount.guid),
      transaction_guid: String((manual as { transaction: Json }).transaction.guid),
    });
    await expectAsDocumented('categorize-transactions');
  });

  it('budgets', async () => {
    await expectAsDocumented('list-budgets');
    const budgets = await list('/budgets', 'budgets');
    const budget = String(budgets[0]!.guid);
    await expectAsDocumented('read-budget', { budget_guid: budget });
    await expectAsDocumented('update-budget', { budget_guid: budget });
    await expectAsDocumented('generate-budgets');
    // A top-level category without a budget (Uncategorized has none, even after generate).
    const categories = await list('/categories?records_per_page=100', 'categories');
    const budgeted = new Set((await list('/budgets', 'budgets')).map((b) => b.category_guid));
    const free = categories.find((category) => category.parent_guid === null && !budgeted.has(category.guid))!;
    const created = await expectAsDocumented('create-budget', {}, { '<category guid>': String(free.guid) });
    await expectAsDocumented('delete-budget', { budget_guid: String((created as { budget: Json }).budget.guid) });
  });

  it('goals and the monthly cash flow profile', async () => {
    await expectAsDocumented('read-monthly-cash-flow-profile');
    await expectAsDocumented('update-monthly-cash-flow-profile');
    await expectAsDocumented('list-goals');
    const goals = await list('/goals', 'goals');
    await expectAsDocumented('read-goal', { goal_guid: String(goals[0]!.guid) });
    await expectAsDocumented('update-goal', { goal_guid: String(goals[0]!.guid) });
    await expectAsDocumented('reposition-goals', {}, { '<goal guid>': String(goals[0]!.guid) });
    const account = String(goals[0]!.account_guid);
    const created = await expectAsDocumented('create-goal', {}, { '<account guid>': account });
    await expectAsDocumented('delete-goal', { goal_guid: String((created as { goal: Json }).goal.guid) });
  });

  it('insights', async () => {
    await expectAsDocumented('list-insights');
    const insights = await list('/insights', 'insights');
    await expectAsDocumented('read-insight', { insight_guid: String(insights[0]!.guid) });
    await expectAsDocumented('update-insight', { insight_guid: String(insights[0]!.guid) });
    const accounts = await list('/accounts?records_per_page=100', 'accounts');
    await expectAsDocumented('list-insights-by-account', { account_guid: String(accounts[0]!.guid) });
    const transactions = await list('/transactions?records_per_page=10', 'transactions');
    await expectAsDocumented('list-insights-by-transaction', { transaction_guid: String(transactions[0]!.guid) });
  });

  it('merchants and merchant locations', async () => {
    // MX's example wraps the list in a one-element array; the object inside it is what is sound.
    await expectAsDocumented('list-merchants', {}, {}, (body) => (body as unknown[])[0]);
    const merchants = await list('/merchants', 'merchants');
    await expectAsDocumented('read-merchant', { merchant_guid: String(merchants[0]!.guid) });
    const located = (await list('/transactions?records_per_page=100', 'transactions')).find(
      (t) => t.merchant_location_guid !== null,
    )!;
    await expectAsDocumented('read-merchant-location', { merchant_location_guid: String(located.merchant_location_guid) });
  });

  it('a user without a PFM member is refused (403); another user’s resource is not found (404)', async () => {
    const goals = await list('/goals', 'goals');
    const sso = await fetch(`${simulator.url}/sim-client/users/sim-user-mixed/api_token.json`, {
      headers: { 'MD-API-KEY': 'sim-api-key' },
    });
    const apiToken = ((await sso.json()) as { api_token: { token: string } }).api_token.token;
    const session = await fetch(`${simulator.url}/sessions`, {
      method: 'POST',
      headers: { 'MD-API-TOKEN': apiToken },
      body: JSON.stringify({ session: { skip_aggregation: true } }),
    });
    const other = ((await session.json()) as { session: { token: string } }).session.token;
    const response = await fetch(`${simulator.url}/goals/${String(goals[0]!.guid)}`, { headers: { 'MD-SESSION-TOKEN': other } });
    expect(response.status).toBe(404);

    const mmSso = await fetch(`${simulator.url}/sim-client/users/sim-user-mm/api_token.json`, {
      headers: { 'MD-API-KEY': 'sim-api-key' },
    });
    const mmToken = ((await mmSso.json()) as { api_token: { token: string } }).api_token.token;
    const mmSession = await fetch(`${simulator.url}/sessions`, {
      method: 'POST',
      headers: { 'MD-API-TOKEN': mmToken },
      body: JSON.stringify({ session: { skip_aggregation: true } }),
    });
    const mm = ((await mmSession.json()) as { session: { token: string } }).session.token;
    expect((await fetch(`${simulator.url}/budgets`, { headers: { 'MD-SESSION-TOKEN': mm } })).status).toBe(403);
  });
});
