import { describe, expect, it } from 'vitest';
import { type ListBody, type NexusRecord, startSeededReader } from './sim-harness.ts';

type Json = Record<string, any>;

async function seeded(userId = 'sim-user-pfm') {
  const reader = await startSeededReader(userId);
  const token = await reader.openSession(userId);
  const send = async (method: string, path: string, body?: unknown) => {
    const response = await reader.nexus(path, token, {
      method,
      headers: { 'content-type': 'application/vnd.mx.nexus.v1+json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text === '' ? null : JSON.parse(text)) as Json };
  };
  const accounts = async () => (await reader.get<ListBody<'accounts'>>('/accounts')).body.accounts;
  return { ...reader, send, accounts };
}

const round = (value: number) => Math.round(value * 100) / 100;

describe('mx-sim account writes and monthly balances', () => {
  it('monthly balances: one per month of the window, ending at the account balance, each month’s change its transactions’', async () => {
    const { get, accounts, clock } = await seeded();
    const all = await accounts();
    const transactions = (await get<ListBody<'transactions'>>('/transactions?records_per_page=1000')).body.transactions;
    for (const account of all.filter((candidate) => candidate.type !== 'INVESTMENT')) {
      const { status, body } = await get<{ monthly_account_balances: Json[] }>(
        `/accounts/${account.guid}/monthly_account_balance`,
      );
      expect(status).toBe(200);
      const months = body.monthly_account_balances;
      // MX's default window: 120 days back to 5 ahead, so five or six calendar months.
      expect(months.length).toBeGreaterThanOrEqual(5);
      expect(months.length).toBeLessThanOrEqual(6);
      const now = new Date(clock.now());
      const last = months.at(-1)!;
      expect(new Date(Date.UTC(last.year, last.month - 1, 1)).getTime()).toBeGreaterThanOrEqual(
        Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1),
      );
      expect(months.find((m) => m.year === now.getUTCFullYear() && m.month === now.getUTCMonth() + 1)!.balance).toBe(
        account.balance,
      );
      for (const entry of months) {
        expect(entry).toEqual({
          account_guid: account.guid,
          balance: expect.any(Number),
          month: expect.any(Number),
          transaction_total: expect.any(Number),
          user_guid: account.user_guid,
          year: expect.any(Number),
        });
        const prefix = `${entry.year}-${String(entry.month).padStart(2, '0')}`;
        const owed = account.type === 'CREDIT_CARD';
        const total = transactions
          .filter((t) => t.account_guid === account.guid && String(t.date).startsWith(prefix))
          .reduce((sum, t) => sum + ((t.type === 'CREDIT') !== owed ? (t.amount as number) : -(t.amount as number)), 0);
        expect(entry.transaction_total).toBeCloseTo(round(total), 2);
      }
      for (let index = 1; index < months.length; index++) {
        expect(months[index]!.balance).toBeCloseTo(round(months[index - 1]!.balance + months[index]!.transaction_total), 2);
      }
    }

    const checking = all[0]!;
    const window = await get<{ monthly_account_balances: Json[] }>(
      `/accounts/${checking.guid}/monthly_account_balance?from_date=2026-01-15&to_date=2026-03-02`,
    );
    expect(window.body.monthly_account_balances.map((m) => `${m.year}-${m.month}`)).toEqual(['2026-1', '2026-2', '2026-3']);
    for (const query of ['from_date=2026-02-30', 'to_date=yesterday', 'from_date=2026-03-01&to_date=2026-02-01']) {
      const bad = await get<{ error: { code: number; message: string } }>(
        `/accounts/${checking.guid}/monthly_account_balance?${query}`,
      );
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toMatch(/from_date|to_date/);
    }
  });

  it('merge: exactly two of the user’s accounts, one of them the user’s own; the partner’s remains and takes the other’s transactions', async () => {
    const { send, accounts, get } = await seeded();
    const all = await accounts();
    const [checking, card] = all as [NexusRecord, NexusRecord];
    const manual = all.find((account) => account.is_manual)!;

    for (const body of [
      {},
      { accounts: [checking.guid] },
      { accounts: [checking.guid, card.guid, manual.guid] },
      { accounts: 'x' },
    ]) {
      const refused = await send('PUT', '/accounts/merge', body);
      expect(refused.status).toBe(400);
      expect(refused.body.error).toEqual({ code: 4001, message: expect.stringContaining('accounts') });
    }
    const partnersOnly = await send('PUT', '/accounts/merge', { accounts: [checking.guid, card.guid] });
    expect(partnersOnly.status).toBe(400);
    expect(partnersOnly.body.error.message).toMatch(/managed by the user/);
    expect(
      (await send('PUT', '/accounts/merge', { accounts: [manual.guid, 'ACT-00000000-0000-0000-0000-000000000000'] })).status,
    ).toBe(404);

    // Another user's account is not found.
    const other = await startSeededReader('sim-user-mm');
    const foreign = (await other.get<ListBody<'accounts'>>('/accounts')).body.accounts[0]!;
    expect((await send('PUT', '/accounts/merge', { accounts: [manual.guid, foreign.guid] })).status).toBe(404);

    const before = (await get<{ monthly_account_balances: Json[] }>(`/accounts/${checking.guid}/monthly_account_balance`)).body;
    const merged = await send('PUT', '/accounts/merge', { accounts: [manual.guid, checking.guid] });
    expect(merged.status).toBe(200);
    expect(merged.body.account).toMatchObject({ guid: checking.guid, is_manual: false });
    expect((await accounts()).map((account) => account.guid)).not.toContain(manual.guid);
    expect((await send('GET', `/accounts/${manual.guid}`)).status).toBe(404);
    const after = (await get<{ monthly_account_balances: Json[] }>(`/accounts/${checking.guid}/monthly_account_balance`)).body;
    // The cash envelope's transactions now count for the checking account.
    expect(after.monthly_account_balances.map((m) => m.transaction_total)).not.toEqual(
      before.monthly_account_balances.map((m) => m.transaction_total),
    );
  });

  it('block: MX’s 400 on a manual account; an aggregated one, with its holdings, reads as gone', async () => {
    const { send, accounts, get } = await seeded();
    const all = await accounts();
    const manual = all.find((account) => account.is_manual)!;
    const investment = all.find((account) => account.type === 'INVESTMENT')!;

    const refused = await send('PUT', `/accounts/${manual.guid}/block`);
    expect(refused).toEqual({
      status: 400,
      body: { error: { code: 4001, message: 'Manually created accounts cannot be blocked' } },
    });
    expect((await get<ListBody<'holdings'>>('/holdings')).body.holdings.length).toBeGreaterThan(0);

    expect((await send('PUT', `/accounts/${investment.guid}/block`)).status).toBe(204);
    expect((await accounts()).map((account) => account.guid)).not.toContain(investment.guid);
    expect((await send('GET', `/accounts/${investment.guid}`)).status).toBe(404);
    expect((await get<ListBody<'holdings'>>('/holdings')).body.holdings).toEqual([]);
    expect((await send('PUT', `/accounts/${investment.guid}/block`)).status).toBe(404);

    // Delete takes manual accounts only.
    const checking = all[0]!;
    expect((await send('DELETE', `/accounts/${checking.guid}`)).status).toBe(400);
    expect((await send('DELETE', `/accounts/${manual.guid}`)).status).toBe(204);
    expect((await get<ListBody<'accounts'>>('/accounts/user_created')).body.accounts).toEqual([]);
  });

  it('update and create: what the writes change, later reads show; bad input names the field', async () => {
    const { send, accounts } = await seeded();
    const [checking] = await accounts();
    const hidden = await send('PUT', `/accounts/${checking!.guid}`, { account: { is_hidden: true, metadata: 'm' } });
    expect(hidden.body.account).toMatchObject({ is_hidden: true, metadata: 'm' });
    expect((await accounts())[0]).toMatchObject({ guid: checking!.guid, is_hidden: true, metadata: 'm' });
    const renamed = await send('PUT', `/accounts/${checking!.guid}`, { account: { balance: 10 } });
    expect(renamed).toEqual({ status: 400, body: { error: { code: 4001, message: expect.stringContaining('balance') } } });
    expect((await send('PUT', `/accounts/${checking!.guid}`, { account: { is_hidden: 'yes' } })).body.error.message).toMatch(
      /is_hidden/,
    );

    for (const [account, field] of [
      [{ account_type: 'SAVINGS', balance: 1 }, 'name'],
      [{ name: 'x', balance: 1 }, 'account_type'],
      [{ name: 'x', account_type: 'LOAN', balance: 1 }, 'account_type'],
      [{ name: 'x', account_type: 'SAVINGS' }, 'balance'],
    ] as const) {
      const refused = await send('POST', '/accounts', { account });
      expect(refused.status).toBe(400);
      expect(refused.body.error.message).toContain(field);
    }
    const created = await send('POST', '/accounts', { account: { name: 'Jar', account_type: 'CASH', balance: 42 } });
    expect(created.body.account).toMatchObject({
      name: 'Jar',
      type: 'CASH',
      is_manual: true,
      balance: 42,
      available_balance: 42,
    });
    const changed = await send('PUT', `/accounts/${created.body.account.guid}`, { account: { balance: 50, name: 'Jar 2' } });
    expect(changed.body.account).toMatchObject({ name: 'Jar 2', balance: 50, available_balance: 50 });
    expect((await accounts()).at(-1)).toMatchObject({ guid: created.body.account.guid, name: 'Jar 2', balance: 50 });
  });

  it('an iteration item update is seen by the next read; delete removes it', async () => {
    const { send, get } = await seeded();
    const plan = (await get<ListBody<'spending_plans'>>('/spending_plans')).body.spending_plans[0]!.guid;
    const path = `/spending_plans/${plan}/iterations/current/iteration_items`;
    const [item, other] = (await get<ListBody<'iteration_items'>>(path)).body.iteration_items as unknown as [Json, Json];

    const updated = await send('PUT', `${path}/${item.guid}`, {
      planned_amount: 110,
      item_type: 1,
      category_guid: other.category_guid,
    });
    expect(updated.status).toBe(200);
    expect(updated.body.iteration_item).toMatchObject({
      guid: item.guid,
      planned_amount: 110,
      item_type: '1',
      category_guid: other.category_guid,
      top_level_category_guid: other.top_level_category_guid,
      actual_amount: other.actual_amount,
      transaction_guids: other.transaction_guids,
    });
    expect(updated.body.pagination).toEqual({ current_page: 1, per_page: 25, total_entries: 1, total_pages: 1 });
    expect((await get<Json>(`${path}/${item.guid}`)).body.iteration_item).toEqual(updated.body.iteration_item);
    expect((await get<ListBody<'iteration_items'>>(path)).body.iteration_items[0]).toEqual(updated.body.iteration_item);

    for (const [body, field] of [
      [{ planned_amount: -1 }, 'planned_amount'],
      [{ item_type: 7 }, 'item_type'],
      [{ category_guid: 'CAT-nope' }, 'category_guid'],
      [{ scheduled_payment_guid: 'SCH-nope' }, 'scheduled_payment_guid'],
    ] as const) {
      const refused = await send('PUT', `${path}/${item.guid}`, body);
      expect(refused.status).toBe(400);
      expect(refused.body.error.message).toContain(field);
    }

    expect((await send('DELETE', `${path}/${item.guid}`)).status).toBe(204);
    expect((await get(`${path}/${item.guid}`)).status).toBe(404);
    expect((await get<ListBody<'iteration_items'>>(path)).body.iteration_items.map((i) => i.guid)).not.toContain(item.guid);
  });
});
