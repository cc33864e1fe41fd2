import { describe, expect, it } from 'vitest';
import { type ListBody, type NexusRecord, type ObjectBody, startSeededReader } from './sim-harness.ts';

const TIMESTAMP = expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$/);
const MIDNIGHT = expect.stringMatching(/^\d{4}-\d{2}-\d{2}T00:00:00\.000Z$/);
const DAY = expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/);
const guid = (prefix: string) => expect.stringMatching(new RegExp(`^${prefix}-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$`));
const FIRST_PAGE = { current_page: 1, per_page: 25, total_entries: expect.any(Number), total_pages: expect.any(Number) };

describe('mx-sim read routes', () => {
  it('GET /accounts and its partner_created / user_created halves answer the MX account shape', async () => {
    const { get, summary } = await startSeededReader('sim-user-pfm');
    const all = await get<ListBody<'accounts'>>('/accounts');
    expect(all.status).toBe(200);
    expect(all.body.pagination).toEqual({ current_page: 1, per_page: 25, total_entries: 5, total_pages: 1 });
    expect(all.body.accounts.map((account) => account.guid)).toEqual(summary.accounts);
    for (const account of all.body.accounts) {
      expect(account).toEqual({
        guid: guid('ACT'),
        member_guid: expect.toBeOneOf(summary.members),
        user_guid: summary.user_guid,
        institution_guid: guid('INS'),
        name: expect.any(String),
        type: expect.toBeOneOf(['CHECKING', 'SAVINGS', 'CREDIT_CARD', 'CASH', 'INVESTMENT']),
        account_number: account.is_manual ? null : expect.stringMatching(/^\d{4}$/),
        balance: expect.any(Number),
        available_balance: expect.any(Number),
        credit_limit: account.type === 'CREDIT_CARD' ? expect.any(Number) : null,
        currency_code: 'USD',
        is_manual: expect.any(Boolean),
        is_closed: false,
        is_hidden: false,
        created_at: TIMESTAMP,
        updated_at: TIMESTAMP,
        metadata: null,
        external_guid: null,
        account_number_set_by: account.is_manual ? 2 : 1,
        account_number_set_by_name: account.is_manual ? 'USER' : 'FEED',
        account_subtype: null,
        account_subtype_name: null,
        account_type: expect.toBeOneOf([1, 2, 4, 5, 9]),
        account_type_name: account.type,
        feed_account_number: account.is_manual ? null : account.account_number,
        member_is_managed_by_user: account.is_manual,
      });
    }

    const userCreated = (await get<ListBody<'accounts'>>('/accounts/user_created')).body.accounts;
    const partnerCreated = (await get<ListBody<'accounts'>>('/accounts/partner_created')).body.accounts;
    expect(userCreated.map((account) => account.is_manual)).toEqual([true]);
    expect(partnerCreated.every((account) => account.is_manual === false)).toBe(true);
    expect([...partnerCreated, ...userCreated].map((a) => a.guid).sort()).toEqual([...summary.accounts].sort());
  });

  it('GET /transactions answers the MX transaction shape, linked to the user’s accounts', async () => {
    const { get, summary } = await startSeededReader('sim-user-pfm');
    const { status, body } = await get<ListBody<'transactions'>>('/transactions');
    expect(status).toBe(200);
    expect(body.pagination).toEqual({
      current_page: 1,
      per_page: 25,
      total_entries: summary.transactions.count,
      total_pages: Math.ceil(summary.transactions.count / 25),
    });
    expect(body.transactions).toHaveLength(25);
    for (const transaction of body.transactions) {
      // The fields of MX's transaction example besides (read-views.ts nexusTransactionView) are checked by the contract tests.
      expect(transaction).toMatchObject({
        guid: guid('TRN'),
        account_guid: expect.toBeOneOf(summary.accounts),
        member_guid: expect.toBeOneOf(summary.members),
        user_guid: summary.user_guid,
        amount: expect.any(Number),
        currency_code: 'USD',
        date: DAY,
        transacted_at: TIMESTAMP,
        posted_at: transaction.status === 'PENDING' ? null : TIMESTAMP,
        created_at: TIMESTAMP,
        updated_at: TIMESTAMP,
        description: expect.any(String),
        category_guid: guid('CAT'),
        top_level_category_guid: guid('CAT'),
        status: expect.toBeOneOf(['POSTED', 'PENDING']),
        type: expect.toBeOneOf(['DEBIT', 'CREDIT']),
        is_expense: transaction.type === 'DEBIT',
        is_income: transaction.type === 'CREDIT',
        memo: null,
        metadata: null,
        external_guid: null,
      });
    }
  });

  it('GET /beats and /beats/{beat_guid} answer the shape of MX’s List beats example', async () => {
    const { get, summary } = await startSeededReader('sim-user-pfm');
    const list = await get<{ beats: NexusRecord[] }>('/beats');
    expect(list.status).toBe(200);
    expect(Object.keys(list.body)).toEqual(['beats']);
    expect(list.body.beats.map((beat) => beat.guid)).toEqual(summary.beats);
    for (const beat of list.body.beats) {
      expect(beat).toEqual({
        account_guids: expect.arrayContaining([beat.primary_account_guid]),
        created_at: TIMESTAMP,
        description: expect.any(String),
        digest: expect.stringMatching(/^[A-Za-z0-9+/]{22}==$/),
        displayed_at: beat.has_been_displayed ? TIMESTAMP : null,
        guid: guid('BET'),
        has_been_displayed: expect.any(Boolean),
        is_dismissed: expect.any(Boolean),
        is_relevant: !beat.has_been_displayed && !beat.is_dismissed,
        primary_account_guid: expect.toBeOneOf(summary.accounts),
        primary_transaction_guid: guid('TRN'),
        template: expect.any(String),
        title: expect.any(String),
        transaction_guids: expect.arrayContaining([beat.primary_transaction_guid]),
        updated_at: TIMESTAMP,
        user_guid: summary.user_guid,
      });
    }

    const one = await get<ObjectBody<'beat'>>(`/beats/${summary.beats[2]}`);
    expect(one).toEqual({ status: 200, body: { beat: list.body.beats[2] } });
  });

  it('GET /spending_plans and everything under a plan answer the Nexus shapes (seeds 002, 003)', async () => {
    const { get, summary } = await startSeededReader('sim-user-pfm');
    const plans = await get<ListBody<'spending_plans'>>('/spending_plans');
    expect(plans.status).toBe(200);
    expect(plans.body.pagination).toEqual({ current_page: 1, per_page: 25, total_entries: 2, total_pages: 1 });
    expect(plans.body.spending_plans.map((plan) => plan.guid)).toEqual(summary.spending_plans.map((plan) => plan.guid));
    const [plan] = plans.body.spending_plans;
    expect(plan).toEqual({
      created_at: TIMESTAMP,
      current_iteration_number: expect.any(Number),
      guid: guid('SPL'),
      updated_at: TIMESTAMP,
      user_guid: summary.user_guid,
    });
    const base = `/spending_plans/${plan!.guid}`;
    expect(await get(base)).toEqual({ status: 200, body: { spending_plan: plan } });

    const iterations = await get<ListBody<'iterations'>>(`${base}/iterations`);
    expect(iterations.body.pagination).toEqual(FIRST_PAGE);
    expect(iterations.body.iterations.map((iteration) => iteration.iteration_number)).toEqual(
      Array.from({ length: plan!.current_iteration_number as number }, (_, index) => index + 1),
    );
    const iterationShape = {
      created_at: TIMESTAMP,
      end_on: MIDNIGHT,
      guid: guid('SPI'),
      iteration_number: expect.any(Number),
      spending_plan_guid: plan!.guid,
      start_on: MIDNIGHT,
      updated_at: TIMESTAMP,
      user_guid: summary.user_guid,
    };
    for (const iteration of iterations.body.iterations) expect(iteration).toEqual(iterationShape);

    const current = await get<ObjectBody<'iteration'>>(`${base}/iterations/current`);
    expect(current).toEqual({
      status: 200,
      body: {
        iteration: iterations.body.iterations.at(-1),
        pagination: { current_page: 1, per_page: 25, total_entries: 1, total_pages: 1 },
      },
    });

    const items = await get<ListBody<'iteration_items'>>(`${base}/iterations/current/iteration_items`);
    expect(items.body.pagination).toEqual(FIRST_PAGE);
    expect(items.body.iteration_items.length).toBeGreaterThan(0);
    for (const item of items.body.iteration_items) {
      expect(item).toEqual({
        actual_amount: expect.any(Number),
        category_guid: guid('CAT'),
        created_at: TIMESTAMP,
        guid: guid('SII'),
        item_type: expect.toBeOneOf(['0', '1', '2', '3']),
        planned_amount: expect.any(Number),
        scheduled_payment_guid: null,
        spending_plan_iteration_guid: current.body.iteration.guid,
        top_level_category_guid: guid('CAT'),
        transaction_guids: expect.any(Array),
        updated_at: TIMESTAMP,
        user_guid: summary.user_guid,
      });
    }

    const planAccounts = await get<{ spending_plan_accounts: NexusRecord[] }>(`${base}/spending_plan_account`);
    expect(Object.keys(planAccounts.body)).toEqual(['spending_plan_accounts']);
    expect(planAccounts.body.spending_plan_accounts.map((a) => a.guid)).toEqual(
      summary.spending_plans[0]!.spending_plan_accounts,
    );
    for (const planAccount of planAccounts.body.spending_plan_accounts) {
      expect(planAccount).toEqual({
        account_guid: expect.toBeOneOf(summary.accounts),
        client_guid: guid('CLT'),
        created_at: TIMESTAMP,
        guid: guid('SPA'),
        spending_plan_guid: plan!.guid,
        updated_at: TIMESTAMP,
        user_guid: summary.user_guid,
      });
    }
    const [firstPlanAccount] = planAccounts.body.spending_plan_accounts;
    expect(await get(`${base}/spending_plan_account/${firstPlanAccount!.guid}`)).toEqual({
      status: 200,
      body: { spending_plan_account: firstPlanAccount },
    });
  });

  it('answers 404 for unknown guids and for another user’s or another plan’s records', async () => {
    const { get, summary, userSummary } = await startSeededReader('sim-user-pfm');
    const [plan, otherPlan] = summary.spending_plans;
    const theirPlan = (await userSummary('sim-user-mixed')).spending_plans[0]!.guid;
    const notFound = (message: string) => ({ status: 404, body: { error: { code: 4040, message } } });

    expect(await get('/beats/BET-nope')).toEqual(notFound('Beat not found.'));
    expect(await get('/spending_plans/SPL-nope')).toEqual(notFound('Spending plan not found.'));
    expect(await get(`/spending_plans/${theirPlan}`)).toEqual(notFound('Spending plan not found.'));
    expect(await get(`/spending_plans/${theirPlan}/iterations/current`)).toEqual(notFound('Spending plan not found.'));
    expect(await get(`/spending_plans/${plan!.guid}/spending_plan_account/${otherPlan!.spending_plan_accounts[0]}`)).toEqual(
      notFound('Spending plan account not found.'),
    );
  });

  it('needs a session, like every Nexus data call', async () => {
    const { nexus } = await startSeededReader('sim-user-pfm');
    for (const path of ['/accounts', '/transactions', '/beats', '/spending_plans']) {
      const response = await nexus(path, 'not-a-session');
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ error: { code: 4011, message: 'Session expired or invalid.' } });
    }
  });

  it('counts read calls by route pattern; the user summary is not counted', async () => {
    const { get, summary, control, stats } = await startSeededReader('sim-user-pfm');
    await control('/_sim/reset', {});
    const plan = summary.spending_plans[0]!.guid;
    await get('/transactions?page=2');
    await get('/transactions/created_between/2026-06-01/2026-06-30');
    await get(`/spending_plans/${plan}/iterations/current`);
    await get(`/spending_plans/${plan}/iterations/current/iteration_items`);
    await control('/_sim/users/sim-user-pfm');

    expect((await stats()).calls).toEqual({
      'GET /transactions': 1,
      'GET /transactions/created_between/{start_date}/{end_date}': 1,
      'GET /spending_plans/{spending_plan_guid}/iterations/current': 1,
      'GET /spending_plans/{spending_plan_guid}/iterations/current/iteration_items': 1,
    });
  });
});
