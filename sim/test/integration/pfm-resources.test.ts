import { describe, expect, it } from 'vitest';
import { type ListBody, type NexusRecord, type ObjectBody, startSeededReader } from './sim-harness.ts';

const DAY_MS = 86_400_000;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const round2 = (value: number) => Math.round(value * 100) / 100;

/**
 * A seeded PFM user's session, with JSON helpers. `advance` moves the clock and opens a new session, as one would
 * (a session lasts 30 minutes of the clock's time).
 */
async function pfmUser(userId = 'sim-user-pfm') {
  const reader = await startSeededReader(userId);
  let token = await reader.openSession(userId);
  const send = async <T = unknown>(method: string, path: string, body?: unknown) => {
    const response = await reader.nexus(path, token, {
      method,
      headers: { 'content-type': 'application/vnd.mx.nexus.v1+json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text === '' ? null : JSON.parse(text)) as T };
  };
  const get = <T = unknown>(path: string) => send<T>('GET', path);
  const allTransactions = async (query = '') =>
    (await get<ListBody<'transactions'>>(`/transactions?records_per_page=1000${query}`)).body.transactions;
  const advance = async (ms: number) => {
    reader.clock.advance(ms);
    token = await reader.openSession(userId);
  };
  return { clock: reader.clock, summary: reader.summary, send, get, allTransactions, advance };
}

describe('mx-sim PFM resources stay coherent with the transactions', () => {
  it('creating a transaction rule re-categorises every matching transaction and bumps its updated_at', async () => {
    const { send, allTransactions, clock, get, advance } = await pfmUser();
    const before = await allTransactions();
    const target = before.find((t) => t.description === 'Starbucks') ?? before[0]!;
    const categories = (await get<ListBody<'categories'>>('/categories?records_per_page=100')).body.categories;
    const category = categories.find((c) => c.guid !== target.category_guid && c.parent_guid !== null)!;

    await advance(3 * DAY_MS);
    const now = clock.now();
    const created = await send<ObjectBody<'transaction_rule'>>('POST', '/transaction_rules', {
      transaction_rule: {
        category_guid: category.guid,
        match_description: String(target.description).toUpperCase(),
        description: 'Renamed',
      },
    });
    expect(created.status).toBe(200);
    const rule = created.body.transaction_rule;
    expect(rule).toMatchObject({ category_guid: category.guid, description: 'Renamed', guid: expect.stringMatching(/^TXR-/) });

    const matching = before.filter((t) => String(t.description).toLowerCase() === String(target.description).toLowerCase());
    const after = await allTransactions();
    for (const original of matching) {
      const changed = after.find((t) => t.guid === original.guid)!;
      expect(changed).toMatchObject({
        category_guid: category.guid,
        top_level_category_guid: category.parent_guid,
        description: 'Renamed',
        updated_at: new Date(now).toISOString(),
      });
    }
    // The relay's sync sees them as modified: MX's updated_between lists them.
    const updated = (
      await get<ListBody<'transactions'>>(`/transactions/updated_between/${day(now)}/${day(now)}?records_per_page=1000`)
    ).body.transactions.map((t) => t.guid);
    expect(updated.sort()).toEqual(matching.map((t) => t.guid).sort());
    // …and the rule's own filter on GET /transactions.
    const byRule = await allTransactions(`&user_transaction_rule_guid=${rule.guid}`);
    expect(byRule.map((t) => t.guid).sort()).toEqual(matching.map((t) => t.guid).sort());
    // Unchanged ones keep their category.
    const others = after.filter((t) => !matching.some((m) => m.guid === t.guid));
    expect(others.every((t) => t.category_guid === before.find((b) => b.guid === t.guid)!.category_guid)).toBe(true);

    // A duplicate, a bad category: MX's 409 / 400 naming the field.
    const again = await send('POST', '/transaction_rules', {
      transaction_rule: { category_guid: category.guid, match_description: target.description },
    });
    expect(again.status).toBe(409);
    const bad = await send<{ error: { message: string } }>('POST', '/transaction_rules', {
      transaction_rule: { category_guid: 'CAT-nope', match_description: 'x' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('category_guid');
  });

  it("a budget's transaction_total is the sum of its category's transactions this month, and follows them", async () => {
    const { send, allTransactions, get, clock, summary, advance } = await pfmUser();
    await advance(10 * DAY_MS);
    const first = `${day(clock.now()).slice(0, 7)}-01`;
    const budgets = (await get<ListBody<'budgets'>>('/budgets')).body.budgets;
    expect(budgets.length).toBeGreaterThan(0);
    const monthOf = await allTransactions(`&from_date=${first}&to_date=${day(clock.now() + 40 * DAY_MS)}`);
    const inMonth = monthOf.filter((t) => String(t.date).slice(0, 7) === first.slice(0, 7));
    const expected = (guid: string) =>
      round2(
        inMonth
          .filter((t) => t.category_guid === guid || t.top_level_category_guid === guid)
          .reduce((s, t) => s + Number(t.amount), 0),
      );
    for (const budget of budgets) expect(budget.transaction_total).toBe(expected(budget.category_guid as string));

    // A manual transaction in the budget's category this month adds to it.
    const budget = budgets[0]!;
    const accounts = (await get<ListBody<'accounts'>>('/accounts')).body.accounts;
    const cash = accounts.find((a) => a.is_manual)!;
    expect(summary.accounts).toContain(cash.guid);
    const categories = (await get<ListBody<'categories'>>('/categories?records_per_page=100')).body.categories;
    const sub = categories.find((c) => c.parent_guid === budget.category_guid && c.is_default)!;
    const manual = await send<ObjectBody<'transaction'>>('POST', `/accounts/${cash.guid}/transactions`, {
      transaction: { amount: 42.5, date: day(clock.now()), description: 'Market stall', type: 'DEBIT', category_guid: sub.guid },
    });
    expect(manual.status).toBe(200);
    const read = (await get<ObjectBody<'budget'>>(`/budgets/${budget.guid}`)).body.budget;
    expect(read.transaction_total).toBe(round2(Number(budget.transaction_total) + 42.5));

    // Deleting it takes it back out.
    expect((await send('DELETE', `/accounts/${cash.guid}/transactions/${manual.body.transaction.guid}`)).status).toBe(204);
    expect((await get<ObjectBody<'budget'>>(`/budgets/${budget.guid}`)).body.budget.transaction_total).toBe(
      budget.transaction_total,
    );
  });

  it('every tagging names an existing tag and an existing transaction of the user', async () => {
    const { get, allTransactions, summary } = await pfmUser();
    const tags = (await get<ListBody<'tags'>>('/tags')).body.tags;
    const taggings = (await get<ListBody<'taggings'>>('/taggings')).body.taggings;
    expect(tags.length).toBeGreaterThan(0);
    expect(taggings.length).toBeGreaterThan(0);
    const transactions = new Set((await allTransactions('&from_date=2000-01-01')).map((t) => t.guid));
    for (const tagging of taggings) {
      expect(tags.map((t) => t.guid)).toContain(tagging.tag_guid);
      expect(transactions.has(tagging.transaction_guid as string)).toBe(true);
      expect(tagging.user_guid).toBe(summary.user_guid);
    }
  });

  it('GET /transactions keeps MX’s default window: 120 days back to 5 days ahead of the clock’s today', async () => {
    const { allTransactions, clock, advance } = await pfmUser();
    const everything = await allTransactions('&from_date=2000-01-01&to_date=2100-01-01');
    await advance(30 * DAY_MS);
    const today = day(clock.now());
    const from = day(clock.now() - 120 * DAY_MS);
    const windowed = await allTransactions();
    const expected = everything.filter((t) => String(t.date) >= from && String(t.date) <= today);
    expect(expected.length).toBeLessThan(everything.length);
    expect(windowed.map((t) => t.guid)).toEqual(expected.map((t) => t.guid));
    // account_guids[] keeps the accounts named.
    const account = String(everything[0]!.account_guid);
    const byAccounts = await allTransactions(`&from_date=2000-01-01&account_guids[]=${account}`);
    expect(byAccounts.length).toBeGreaterThan(0);
    expect(byAccounts.every((t) => t.account_guid === account)).toBe(true);
  });

  it('categories: a subcategory under a default top-level one only; defaults cannot change; another user’s is 404', async () => {
    const { send, get } = await pfmUser();
    const categories = (await get<ListBody<'categories'>>('/categories?records_per_page=100')).body.categories;
    const top = categories.find((c) => c.parent_guid === null && c.is_default)!;
    const sub = categories.find((c) => c.parent_guid !== null && c.is_default)!;
    expect((await send('POST', '/categories', { category: { name: 'X', parent_guid: sub.guid } })).status).toBe(400);
    const created = await send<ObjectBody<'category'>>('POST', '/categories', {
      category: { name: 'Pets', parent_guid: top.guid },
    });
    expect(created.body.category).toMatchObject({ name: 'Pets', parent_guid: top.guid, is_default: false });
    const guid = created.body.category.guid;
    expect(
      (await send<ObjectBody<'category'>>('PUT', `/categories/${guid}`, { category: { name: 'Pet care' } })).body.category.name,
    ).toBe('Pet care');
    expect((await send('PUT', `/categories/${sub.guid}`, { category: { name: 'Nope' } })).status).toBe(400);
    expect((await send('DELETE', `/categories/${guid}`)).status).toBe(204);
    expect((await get(`/categories/${guid}`)).status).toBe(404);

    const other = await pfmUser('sim-user-mixed');
    const own = (await other.get<ListBody<'categories'>>('/categories?records_per_page=100')).body.categories.find(
      (c) => !c.is_default,
    )!;
    expect((await get(`/categories/${own.guid}`)).status).toBe(404);
  });

  it('goals need a goals contribution above 0; insights name the user’s real accounts and transactions', async () => {
    const { send, get, allTransactions } = await pfmUser();
    const goals = (await get<ListBody<'goals'>>('/goals')).body.goals;
    expect(goals.map((g) => g.position)).toEqual(goals.map((_, index) => index + 1));
    await send('PUT', '/monthly_cash_flow_profile', { monthly_cash_flow_profile: { goals_contribution: 0 } });
    const refused = await send('PUT', `/goals/${goals[0]!.guid}`, { goal: { name: 'Renamed' } });
    expect(refused.status).toBe(422);
    await send('PUT', '/monthly_cash_flow_profile', { monthly_cash_flow_profile: { goals_contribution: 200 } });
    expect((await send('PUT', `/goals/${goals[0]!.guid}`, { goal: { name: 'Renamed' } })).status).toBe(200);
    const repositioned = await send<{ goals: NexusRecord[] }>('PUT', '/goals/reposition', {
      goals: [{ guid: goals[0]!.guid, position: 2 }],
    });
    expect(repositioned.body.goals.map((g) => g.guid)).toEqual([goals[1]!.guid, goals[0]!.guid]);

    const accounts = new Set((await get<ListBody<'accounts'>>('/accounts')).body.accounts.map((a) => a.guid));
    const transactions = (await allTransactions('&from_date=2000-01-01')).map((t) => t.guid);
    const insights = (await get<ListBody<'insights'>>('/insights')).body.insights;
    expect(insights.length).toBeGreaterThan(0);
    for (const account of accounts) {
      const listed = await get<ListBody<'insights'>>(`/accounts/${account}/insights`);
      expect(listed.status).toBe(200);
    }
    let linked = 0;
    for (const transaction of transactions.slice(0, 300)) {
      linked += (await get<ListBody<'insights'>>(`/transactions/${transaction}/insights`)).body.insights.length;
    }
    expect(linked).toBeGreaterThan(0);
  });
});
