import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { type MxSimulator, startMxSimulator } from '../../../sim/server.ts';
import { callFixture, FIXTURES, type FixtureCall, sessionOf, shapeDifferences, shapeOf } from './fixtures.ts';

/**
 * The simulator's accounts, holdings, notifications, user, spending plan writes, scheduled payments, member
 * credentials, beat update and microdeposits checked against MX's examples: each fixture's method and route, with real
 * guids from the simulator's own lists, answers the fixture's status and a body of the fixture's shape (fixtures.ts).
 */
const USER = 'sim-user-pfm';
const clock = new ManualClock(Date.now());
let simulator: MxSimulator;
let token: string;

beforeAll(async () => {
  simulator = await startMxSimulator({ port: 0, clock });
  token = await sessionOf(simulator.url, USER);
});
afterAll(async () => {
  await simulator?.close();
});

type Json = Record<string, any>;

/**
 * MX's microdeposit overview types account and routing numbers as strings, which the simulator sends; its examples give
 * the routing number (and, in Verify's, the account number) as JSON numbers.
 */
const asNumbers =
  (...fields: string[]) =>
  (key: string, value: unknown) =>
    fields.includes(key) && typeof value === 'string' ? Number(value) : value;
type Reviver = ReturnType<typeof asNumbers>;

/** Status, content type and shape as the fixture documents them; the answer's body. */
async function expectAsDocumented(name: string, options?: FixtureCall, reviver?: Reviver): Promise<Json> {
  const { fixture, status, type, body } = await callFixture<Json>(simulator.url, token, name, options);
  expect(status, `${name}: ${JSON.stringify(body)}`).toBe(fixture.response.status);
  if (fixture.response.body === null) {
    expect(body, name).toBeNull();
    return {};
  }
  expect(type, name).toContain(fixture.response.contentType);
  const compared = reviver ? (JSON.parse(JSON.stringify(body), reviver) as Json) : body;
  expect(shapeDifferences(shapeOf(fixture.response.body), shapeOf(compared)), name).toEqual([]);
  return body;
}

const get = async (path: string): Promise<Json> => {
  const response = await fetch(`${simulator.url}${path}`, {
    headers: { 'MD-SESSION-TOKEN': token, Accept: 'application/vnd.mx.nexus.v1+json' },
  });
  expect(response.status, path).toBe(200);
  return (await response.json()) as Json;
};

describe('the MX simulator answers as MX documents: accounts, holdings, notifications, user, plans, payments, microdeposits', () => {
  it('accounts: read, by member, balances by month, update, create, merge, delete, block', async () => {
    const accounts = (await get('/accounts')).accounts as Json[];
    const checking = accounts.find((account) => account.type === 'CHECKING')!;
    const savings = accounts.find((account) => account.type === 'SAVINGS')!;
    const cash = accounts.find((account) => account.is_manual)!;
    const investment = accounts.find((account) => account.type === 'INVESTMENT')!;

    const read = await expectAsDocumented('read-account', { params: { account_guid: checking.guid } });
    expect(read.account).toEqual(checking);
    const byMember = await expectAsDocumented('list-member-accounts', { params: { member_guid: checking.member_guid } });
    expect((byMember.accounts as Json[]).every((account) => account.member_guid === checking.member_guid)).toBe(true);
    const months = await expectAsDocumented('list-account-balancesby-month', {
      params: { account_guid: checking.guid },
      query: {},
    });
    expect((months.monthly_account_balances as Json[]).length).toBeGreaterThanOrEqual(4);

    const updated = await expectAsDocumented('update-account', { params: { account_guid: checking.guid } });
    expect(updated.account).toMatchObject({ guid: checking.guid, is_hidden: true, metadata: 'Additional information' });
    const created = await expectAsDocumented('create-manual-accounts');
    expect(created.account).toMatchObject({ is_manual: true, name: 'Rainy Day Fund', type: 'SAVINGS', balance: 500 });
    expect(((await get('/accounts/user_created')).accounts as Json[]).map((account) => account.guid)).toContain(
      created.account.guid,
    );

    const merged = await expectAsDocumented('merge-duplicate-accounts', {
      body: { accounts: [created.account.guid, savings.guid] },
    });
    expect(merged.account.guid).toBe(savings.guid);
    await expectAsDocumented('delete-manual-account', { params: { account_guid: cash.guid } });
    await expectAsDocumented('block-account', { params: { account_guid: investment.guid } });
    const left = ((await get('/accounts')).accounts as Json[]).map((account) => account.guid);
    expect(left).not.toContain(created.account.guid);
    expect(left).not.toContain(cash.guid);
    expect(left).not.toContain(investment.guid);
    expect((await get('/holdings')).holdings).toEqual([]);
  });

  it('holdings, notifications and their deliverables, the user', async () => {
    const fresh = await startMxSimulator({ port: 0, clock });
    try {
      // A simulator of its own: the accounts test blocks the investment account.
      const ownToken = await sessionOf(fresh.url, USER);
      const [savedUrl, savedToken] = [simulator, token];
      simulator = fresh;
      token = ownToken;
      try {
        const holdings = await expectAsDocumented('list-holdings');
        const holding = (holdings.holdings as Json[])[0]!;
        const read = await expectAsDocumented('read-holding', { params: { holding_guid: holding.guid } });
        expect(read.holding).toEqual(holding);
        const updated = await expectAsDocumented('update-holding', { params: { holding_guid: holding.guid } });
        expect(updated.holding).toMatchObject({ cost_basis: 123, cost_basis_set_by: 2, metadata: 'Additional Information' });
      } finally {
        simulator = savedUrl;
        token = savedToken;
      }
    } finally {
      await fresh.close();
    }

    const notifications = await expectAsDocumented('list-notifications', { query: {} });
    const notification = (notifications.notifications as Json[])[0]!;
    expect(notification).toBeDefined();
    await expectAsDocumented('read-notification', { params: { notification_guid: notification.guid } });
    const deliverables = await expectAsDocumented('list-deliverables', { params: { notification_guid: notification.guid } });
    await expectAsDocumented('read-deliverable', {
      params: {
        notification_guid: notification.guid,
        deliverable_guid: (deliverables.deliverable_notifications as Json[])[0]!.guid,
      },
    });

    await expectAsDocumented('read-user');
    const updated = await expectAsDocumented('update-user');
    expect(updated.user.metadata).toBe((FIXTURES['update-user']!.request.body as Json).user.metadata);
  });

  it('spending plan writes, scheduled payments, member credentials, a beat', async () => {
    const created = await expectAsDocumented('create-scheduled-payment');
    const payments = await expectAsDocumented('list-scheduled-payments');
    expect((payments.scheduled_payments as Json[]).map((payment) => payment.guid)).toContain(created.scheduled_payment.guid);
    await expectAsDocumented('update-scheduled-payment', { params: { guid: created.scheduled_payment.guid } });

    const plan = ((await get('/spending_plans')).spending_plans as Json[])[0]!.guid as string;
    const items = (await get(`/spending_plans/${plan}/iterations/current/iteration_items`)).iteration_items as Json[];
    const [item, other] = items as [Json, Json];
    const params = { spending_plan_guid: plan, iteration_item_guid: item.guid };
    // MX's body's fields, with the simulator's guids in place of MX's example ones.
    const body = {
      ...(FIXTURES['update-spending-plan-iteration-item']!.request.body as Json),
      category_guid: other.category_guid,
      top_level_category_guid: other.top_level_category_guid,
      scheduled_payment_guid: created.scheduled_payment.guid,
    };
    const updated = await expectAsDocumented('update-spending-plan-iteration-item', { params, body });
    expect(updated.iteration_item).toMatchObject({ planned_amount: 110, category_guid: other.category_guid, item_type: '1' });
    const read = await expectAsDocumented('read-spending-plan-iteration-item', { params });
    expect(read.iteration_item).toEqual(updated.iteration_item);
    await expectAsDocumented('delete-spending-plan-iteration-item', { params });
    const planAccount = ((await get(`/spending_plans/${plan}/spending_plan_account`)).spending_plan_accounts as Json[])[0]!;
    await expectAsDocumented('delete-spending-plan-account', {
      params: { spending_plan_guid: plan, spending_plan_account_guid: planAccount.guid },
    });

    const member = ((await get('/members')).members as Json[])[0]!;
    const credentials = await expectAsDocumented('list-member-credentials', { params: { member_guid: member.guid } });
    expect((credentials.credentials as Json[]).every((credential) => !('value' in credential))).toBe(true);

    const beat = ((await get('/beats')).beats as Json[])[0]!;
    const changed = await expectAsDocumented('update-beat', { params: { beat_guid: beat.guid } });
    expect(changed.beat).toMatchObject({ guid: beat.guid, has_been_displayed: true, is_dismissed: true, is_relevant: false });
  });

  it('microdeposits: create, list, read, verify once deposited', async () => {
    const created = await expectAsDocumented('create-microdeposit', {}, asNumbers('routing_number'));
    expect(created.micro_deposit.status_name).toBe('INITIATED');
    await expectAsDocumented('list-microdeposits', {}, asNumbers('routing_number'));
    const params = { micro_deposit_guid: created.micro_deposit.guid };
    await expectAsDocumented('read-microdeposit', { params }, asNumbers('routing_number'));
    clock.advance(3 * 60_000);
    const verified = await expectAsDocumented('verify-microdeposit', { params }, asNumbers('account_number', 'routing_number'));
    expect(verified.micro_deposit).toMatchObject({ status: 3, status_name: 'VERIFIED' });
  });
});
