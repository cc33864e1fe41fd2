import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MxSimulator, startMxSimulator } from '../../../sim/server.ts';
import { callFixture, sessionOf, shapeDifferences, shapeOf } from './fixtures.ts';

/**
 * The simulator's reads (institution search and credentials, a member, the account lists, the dated transaction lists,
 * spending plans and their iterations, items and accounts, a beat) checked against MX's examples: each fixture's method
 * and route, with real guids and dates from the simulator's own lists and its user summary, answers the fixture's
 * status and a body of the fixture's shape (fixtures.ts).
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

type Json = Record<string, any>;

/** Status, content type and shape as the fixture documents them (less any pinned difference); the answer's body. */
async function expectAsDocumented(name: string, params?: Record<string, string>): Promise<Json> {
  const { fixture, status, type, body } = await callFixture<Json>(simulator.url, token, name, { params });
  expect(status, `${name}: ${JSON.stringify(body)}`).toBe(fixture.response.status);
  expect(type, name).toContain(fixture.response.contentType);
  expect(shapeDifferences(shapeOf(fixture.response.body), shapeOf(body)), name).toEqual([]);
  return body;
}

const get = async (path: string): Promise<Json> => {
  const response = await fetch(`${simulator.url}${path}`, {
    headers: { 'MD-SESSION-TOKEN': token, Accept: 'application/vnd.mx.nexus.v1+json' },
  });
  expect(response.status, path).toBe(200);
  return (await response.json()) as Json;
};

/** The simulator's own view of the user: its members, accounts, beats and spending plans. */
const summary = async (): Promise<Json> => {
  const response = await fetch(`${simulator.url}/_sim/users/${USER}`);
  expect(response.status).toBe(200);
  return (await response.json()) as Json;
};

describe('the MX simulator answers reads as MX documents them', () => {
  it('institutions: search, an institution’s required credentials', async () => {
    const found = await expectAsDocumented('search-institutions');
    const institution = (found.institutions as Json[]).find((candidate) => candidate.name === 'MX Bank')!;
    expect(institution).toBeDefined();
    const credentials = await expectAsDocumented('list-institution-credentials', { institution_guid: institution.guid });
    expect((credentials.credentials as Json[]).length).toBeGreaterThan(0);
  });

  it('a member; all, partner-created and user-created accounts', async () => {
    const user = await summary();
    const member = await expectAsDocumented('read-member', { member_guid: user.members[0] });
    expect(member.member.guid).toBe(user.members[0]);

    const all = (await expectAsDocumented('list-accounts')).accounts as Json[];
    expect(all.map((account) => account.guid).sort()).toEqual([...(user.accounts as string[])].sort());
    const partner = (await expectAsDocumented('list-partner-accounts')).accounts as Json[];
    const manual = (await expectAsDocumented('list-user-accounts')).accounts as Json[];
    expect(partner.length).toBeGreaterThan(0);
    expect(manual.length).toBeGreaterThan(0);
    expect(partner.every((account) => !account.is_manual)).toBe(true);
    expect(manual.every((account) => account.is_manual)).toBe(true);
    expect(partner.length + manual.length).toBe(all.length);
  });

  it('transactions by category, by top-level category, created and updated between two dates', async () => {
    const transaction = ((await get('/transactions?records_per_page=10')).transactions as Json[])[0]!;
    const date = String(transaction.date);
    const byCategory = await expectAsDocumented('list-transactions-by-category-and-date', {
      category_guid: transaction.category_guid,
      start_date: date,
      end_date: date,
    });
    expect((byCategory.transactions as Json[]).map((t) => t.guid)).toContain(transaction.guid);
    const byTopLevel = await expectAsDocumented('list-transactions-by-top-level-category-and-date', {
      category_guid: transaction.top_level_category_guid,
      start_date: date,
      end_date: date,
    });
    expect((byTopLevel.transactions as Json[]).map((t) => t.guid)).toContain(transaction.guid);
    const created = String(transaction.created_at).slice(0, 10);
    const createdBetween = await expectAsDocumented('list-transactions-created-between-dates', {
      start_date: created,
      end_date: created,
    });
    expect((createdBetween.transactions as Json[]).map((t) => t.guid)).toContain(transaction.guid);
    const updated = String(transaction.updated_at).slice(0, 10);
    const updatedBetween = await expectAsDocumented('list-transactions-updated-between-dates', {
      start_date: updated,
      end_date: updated,
    });
    expect((updatedBetween.transactions as Json[]).map((t) => t.guid)).toContain(transaction.guid);
  });

  it('spending plans: list, read, iterations, current iteration items, accounts', async () => {
    const user = await summary();
    const plans = await expectAsDocumented('list-spending-plans');
    const plan = (user.spending_plans as Json[])[0]!;
    expect((plans.spending_plans as Json[]).map((candidate) => candidate.guid)).toContain(plan.guid);
    const params = { spending_plan_guid: String(plan.guid) };
    const read = await expectAsDocumented('read-spending-plan', params);
    expect(read.spending_plan.guid).toBe(plan.guid);
    const iterations = await expectAsDocumented('list-spending-plan-iterations', params);
    expect((iterations.iterations as Json[]).length).toBe(read.spending_plan.current_iteration_number);
    const items = await expectAsDocumented('list-spending-plan-iteration-items', params);
    expect((items.iteration_items as Json[]).length).toBeGreaterThan(0);
    const accounts = await expectAsDocumented('list-spending-plan-accounts', params);
    expect((accounts.spending_plan_accounts as Json[]).map((account) => account.guid).sort()).toEqual(
      [...(plan.spending_plan_accounts as string[])].sort(),
    );
  });

  it('a beat', async () => {
    const beat = (await summary()).beats[0] as string;
    const read = await expectAsDocumented('read-beat', { beat_guid: beat });
    expect(read.beat.guid).toBe(beat);
  });
});
