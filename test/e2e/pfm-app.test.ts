import { setTimeout as delay } from 'node:timers/promises';
import { createRelayClient, type MxBody, type RelayClient } from '@nexus-relay/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatorSession } from '../support/simulator-control.ts';
import { startStackProcess, type StackProcess } from '../support/stack-process.ts';
import { startWebhookReceiver } from '../support/webhook-receiver.ts';

/**
 * A PFM app on `npm start`, through the client kit only: it never opens an MX session. It categorises with a custom
 * category and a rule, budgets, saves towards a goal, reads what MX keeps for the user, edits its spending plan, and
 * sees the categorised transaction `modified` in its next sync. What MX holds afterwards is read from the simulator
 * itself, through a session of the test's own.
 */
const USER = 'sim-user-pfm';
const path = { user_id: USER };
let stack: StackProcess;
let relay: RelayClient;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  stack = await startStackProcess({});
  relay = createRelayClient({ baseUrl: stack.url, apiKey: stack.apiKey });
  receiver.useSecret((await relay.webhooks.create({ url: receiver.url, event_types: ['balance.*'] })).secret);
}, 90_000);

afterAll(async () => {
  await receiver?.close();
  await stack?.interrupt();
});

type Record = { [key: string]: unknown; guid: string };
const listOf = (body: MxBody | undefined, key: string) => (body as unknown as { [key: string]: Record[] })[key]!;
const oneOf = (body: MxBody | undefined, key: string) => (body as unknown as { [key: string]: Record })[key]!;

let mxToken: string | undefined;

/** The simulator's own answer, through a session of the test's own: what MX holds, not what the relay says. */
async function atMx(mxPath: string): Promise<{ [key: string]: any }> {
  mxToken ??= await simulatorSession(stack.simulatorUrl, USER);
  const response = await fetch(`${stack.simulatorUrl}${mxPath}`, {
    headers: { 'md-session-token': mxToken, accept: 'application/vnd.mx.nexus.v1+json' },
  });
  expect(response.status, mxPath).toBe(200);
  return (await response.json()) as { [key: string]: any };
}

async function syncAll(cursor?: string) {
  const pages = [];
  for await (const page of relay.transactions.sync({ user_id: USER, cursor })) pages.push(page);
  return { modified: pages.flatMap((page) => page.modified), cursor: pages.at(-1)!.next_cursor };
}

describe('a PFM app through the relay', () => {
  it('categorises, budgets, saves, reads and plans as the user; the categorised transaction comes modified', async () => {
    const { cursor } = await syncAll();

    // A custom category under a default top-level one.
    const categories = listOf(await relay.read('/users/{user_id}/categories', { path }), 'categories');
    const parent = categories.find((category) => category.is_default === true && category.parent_guid === null)!;
    const body = { category: { name: 'Rover', parent_guid: parent.guid } };
    const key = 'pfm-app-category-1';
    const created = oneOf(
      await relay.write('post', '/users/{user_id}/categories', { path, body }, { idempotencyKey: key }),
      'category',
    );
    // The same key again: the same answer, and MX asked once.
    const again = oneOf(
      await relay.write('post', '/users/{user_id}/categories', { path, body }, { idempotencyKey: key }),
      'category',
    );
    expect(again.guid).toBe(created.guid);
    const after = listOf(
      await relay.read('/users/{user_id}/categories', { path, query: { records_per_page: 1000 } }),
      'categories',
    );
    expect(after.filter((category) => category.name === 'Rover')).toHaveLength(1);

    // A rule that files one of the user's transactions under it.
    const transactions = listOf(await relay.read('/users/{user_id}/transactions', { path }), 'transactions');
    const target = transactions.find((transaction) => transaction.category_guid !== created.guid)!;
    const rule = oneOf(
      await relay.write('post', '/users/{user_id}/transaction_rules', {
        path,
        body: { transaction_rule: { category_guid: created.guid, match_description: String(target.description) } },
      }),
      'transaction_rule',
    );
    expect(rule.category_guid).toBe(created.guid);
    const categorised = oneOf(
      await relay.read('/users/{user_id}/transactions/{transaction_guid}', { path: { ...path, transaction_guid: target.guid } }),
      'transaction',
    );
    expect(categorised.category_guid).toBe(created.guid);

    // A budget on a top-level category without one (MX keeps one per category), and a goal once the profile funds goals.
    const budgeted = new Set(
      listOf(await relay.read('/users/{user_id}/budgets', { path }), 'budgets').map((one) => one.category_guid),
    );
    const unbudgeted = categories.find((category) => category.parent_guid === null && !budgeted.has(category.guid))!;
    const budget = oneOf(
      await relay.write('post', '/users/{user_id}/budgets', {
        path,
        body: { budget: { category_guid: unbudgeted.guid, amount: 400 } },
      }),
      'budget',
    );
    const budgets = listOf(await relay.read('/users/{user_id}/budgets', { path }), 'budgets');
    expect(budgets.find((one) => one.guid === budget.guid)).toMatchObject({ category_guid: unbudgeted.guid, amount: 400 });
    await relay.write('put', '/users/{user_id}/monthly_cash_flow_profile', {
      path,
      body: { monthly_cash_flow_profile: { goals_contribution: 150 } },
    });
    const goal = oneOf(
      await relay.write('post', '/users/{user_id}/goals', {
        path,
        body: {
          goal: {
            name: 'A new bike',
            amount: 900,
            account_guid: String(transactions[0]!.account_guid),
            meta_type_name: 'VACATION',
          },
        },
      }),
      'goal',
    );
    const read = oneOf(
      await relay.read('/users/{user_id}/goals/{goal_guid}', { path: { ...path, goal_guid: goal.guid } }),
      'goal',
    );
    expect(read).toMatchObject({ name: 'A new bike', amount: 900 });

    // What MX keeps for the user: tags on real transactions, insights, holdings, an account, its months, its transactions.
    const tags = listOf(await relay.read('/users/{user_id}/tags', { path }), 'tags');
    const taggings = listOf(await relay.read('/users/{user_id}/taggings', { path }), 'taggings');
    expect(taggings.length).toBeGreaterThan(0);
    for (const tagging of taggings) expect(tags.map((tag) => tag.guid)).toContain(tagging.tag_guid);
    expect(listOf(await relay.read('/users/{user_id}/insights', { path }), 'insights').length).toBeGreaterThan(0);
    expect(listOf(await relay.read('/users/{user_id}/holdings', { path }), 'holdings').length).toBeGreaterThan(0);
    const account = transactions[0]!.account_guid as string;
    const accountPath = { path: { ...path, account_guid: account } };
    expect(oneOf(await relay.read('/users/{user_id}/accounts/{account_guid}', accountPath), 'account').guid).toBe(account);
    expect(
      listOf(
        await relay.read('/users/{user_id}/accounts/{account_guid}/monthly_account_balance', accountPath),
        'monthly_account_balances',
      ).length,
    ).toBeGreaterThan(0);
    const ofAccount = listOf(
      await relay.read('/users/{user_id}/accounts/{account_guid}/transactions', accountPath),
      'transactions',
    );
    expect(ofAccount.every((transaction) => transaction.account_guid === account)).toBe(true);

    // The current iteration of a spending plan: one item's planned amount changed, and read back.
    const plan = listOf(await relay.read('/users/{user_id}/spending_plans', { path }), 'spending_plans')[0]!;
    const planPath = { ...path, spending_plan_guid: plan.guid };
    const items = listOf(
      await relay.read('/users/{user_id}/spending_plans/{spending_plan_guid}/iterations/current/iteration_items', {
        path: planPath,
      }),
      'iteration_items',
    );
    const itemPath = { ...planPath, iteration_item_guid: items[0]!.guid };
    await relay.write(
      'put',
      '/users/{user_id}/spending_plans/{spending_plan_guid}/iterations/current/iteration_items/{iteration_item_guid}',
      {
        path: itemPath,
        body: { planned_amount: 123.45 },
      },
    );
    const changed = listOf(
      await relay.read('/users/{user_id}/spending_plans/{spending_plan_guid}/iterations/current/iteration_items', {
        path: planPath,
      }),
      'iteration_items',
    );
    expect(changed.find((one) => one.guid === items[0]!.guid)).toMatchObject({ planned_amount: 123.45 });

    // A balance check: a job of its own kind, followed and announced (signed `balance.*` events), no transactions.
    const member = listOf(await relay.read('/users/{user_id}/members', { path }), 'members')[0]!;
    const job = await relay.members.checkBalance({ user_id: USER, member_guid: member.guid });
    expect(job).toMatchObject({ kind: 'balance', status: 'aggregating', member_guid: member.guid });
    const events = await receiver.waitFor(
      (event) => event.data.job?.id === job.id && event.type !== 'balance.started',
      1,
      30_000,
    );
    expect(events.map((event) => event.type)).toEqual(['balance.succeeded']);
    expect(receiver.events.filter((event) => event.data.job?.id === job.id).map((event) => event.type)).toContain(
      'balance.started',
    );
    expect(await relay.jobs.get(job.id)).toMatchObject({ kind: 'balance', status: 'succeeded' });

    // What MX holds afterwards, read from the simulator itself.
    const held = (await atMx('/categories?records_per_page=1000')).categories.find((one: Record) => one.guid === created.guid);
    expect(held).toMatchObject({ name: 'Rover', parent_guid: parent.guid, is_default: false });
    expect((await atMx(`/transaction_rules/${rule.guid}`)).transaction_rule).toMatchObject({ category_guid: created.guid });
    expect((await atMx(`/transactions/${target.guid}`)).transaction).toMatchObject({ category_guid: created.guid });
    expect((await atMx(`/budgets/${budget.guid}`)).budget).toMatchObject({ category_guid: unbudgeted.guid, amount: 400 });
    expect((await atMx(`/goals/${goal.guid}`)).goal).toMatchObject({ name: 'A new bike', amount: 900 });
    expect((await atMx('/monthly_cash_flow_profile')).monthly_cash_flow_profile).toMatchObject({ goals_contribution: 150 });
    const itemAtMx = (await atMx(`/spending_plans/${plan.guid}/iterations/current/iteration_items`)).iteration_items.find(
      (one: Record) => one.guid === items[0]!.guid,
    );
    expect(itemAtMx).toMatchObject({ planned_amount: 123.45 });

    // The next sync: the categorised transaction, modified (a sync within 2 s of an ingest reuses it).
    let modified: Record[] = [];
    for (const started = Date.now(); !modified.some((one) => one.guid === target.guid) && Date.now() - started < 20_000;) {
      await delay(500);
      modified = [...modified, ...((await syncAll(cursor)).modified as unknown as Record[])];
    }
    expect(modified.find((one) => one.guid === target.guid)).toMatchObject({ category_guid: created.guid });
  }, 90_000);
});
