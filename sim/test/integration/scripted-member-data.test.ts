import { describe, expect, it } from 'vitest';
import { type ListBody, type SimHarness, startSimHarness } from './sim-harness.ts';
import { CATALOGUE, catalogueGuid } from '../../institutions.ts';

/** A member scripted through the control API holds accounts and transactions, read through Nexus as a client would. */
async function reader(harness: SimHarness, userId: string) {
  const token = await harness.openSession(userId);
  return async (path: string) => {
    const response = await harness.nexus(path, token);
    expect(response.status, path).toBe(200);
    return (await response.json()) as ListBody<'accounts'> & ListBody<'transactions'>;
  };
}

describe('data of members scripted through the control API', () => {
  it('a new member has two accounts and thirty transactions through Nexus, the same for the same seed', async () => {
    const bodies = async (seed: number) => {
      const harness = await startSimHarness(seed);
      const member = await harness.putMember({ user_id: 'app-user', member_guid: 'MBR-app' });
      const get = await reader(harness, 'app-user');
      const accounts = await get('/accounts');
      const transactions = await get('/transactions?records_per_page=100');
      return { harness, member, accounts, transactions };
    };
    const { harness, member, accounts, transactions } = await bodies(7);

    expect(accounts.accounts.map((account) => [account.name, account.member_guid, account.user_guid])).toEqual([
      ['Everyday Checking', 'MBR-app', member.user_guid],
      ['Rewards Visa', 'MBR-app', member.user_guid],
    ]);
    expect(transactions.pagination.total_entries).toBe(30);
    const accountGuids = accounts.accounts.map((account) => account.guid);
    expect(transactions.transactions.every((t) => accountGuids.includes(t.account_guid as string))).toBe(true);
    expect(await harness.userSummary('app-user')).toMatchObject({
      accounts: accountGuids,
      transactions: { count: 30 },
    });

    const again = await bodies(7);
    expect([again.accounts, again.transactions]).toEqual([accounts, transactions]);
    const otherSeed = await bodies(8);
    expect(otherSeed.transactions.transactions[0]!.guid).not.toBe(transactions.transactions[0]!.guid);
  });

  it('takes counts, opts out with accounts: 0, and gives MONEY_MOVEMENT members accounts only', async () => {
    const harness = await startSimHarness();
    await harness.putMember({ user_id: 'counted', use_cases: ['PFM'], accounts: 3, transactions: 12 });
    await harness.putMember({ user_id: 'counted', accounts: 0 });
    await harness.putMember({ user_id: 'counted', use_cases: ['MONEY_MOVEMENT'] });
    const get = await reader(harness, 'counted');
    const accounts = (await get('/accounts')).accounts;
    expect(accounts).toHaveLength(5);
    expect((await get('/accounts?use_case=MONEY_MOVEMENT')).accounts).toHaveLength(2);
    expect((await get('/accounts?use_case=PFM')).accounts).toHaveLength(3);
    expect((await get('/transactions')).pagination.total_entries).toBe(12);
    expect((await get('/transactions?use_case=MONEY_MOVEMENT')).transactions).toEqual([]);

    const refused = await harness.control('/_sim/members', { user_id: 'counted', accounts: 0, transactions: 3 });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ error: { message: 'transactions need an account: accounts is 0' } });
  });

  it('re-posting changes the counts; a seeded member refuses them', async () => {
    const harness = await startSimHarness();
    const member = await harness.putMember({ user_id: 'rescripted', transactions: 4 });
    const get = await reader(harness, 'rescripted');
    const before = (await get('/transactions')).transactions;
    expect(before).toHaveLength(4);
    await harness.putMember({ user_id: 'rescripted', member_guid: member.guid, transactions: 6 });
    expect((await get('/transactions')).transactions).toHaveLength(6);
    await harness.putMember({ user_id: 'rescripted', member_guid: member.guid, transactions: 4 });
    expect((await get('/transactions')).transactions).toEqual(before);

    const seededMember = (await harness.userSummary('sim-user-pfm')).members[0]!;
    const refused = await harness.control('/_sim/members', { user_id: 'sim-user-pfm', member_guid: seededMember, accounts: 1 });
    expect(refused.status).toBe(400);
  });

  it('an aggregation adds to and updates them; a deleted member takes them along', async () => {
    const harness = await startSimHarness();
    const member = await harness.putMember({
      user_id: 'aggregated',
      aggregation: { duration_ms: 1000, transactions: { add: 2, update: 3 } },
    });
    const get = await reader(harness, 'aggregated');
    const accountGuids = (await get('/accounts')).accounts.map((account) => account.guid);
    const before = (await get('/transactions?records_per_page=100')).transactions;

    const token = await harness.openSession('aggregated');
    await harness.nexus(`/members/${member.guid}/aggregate`, token, { method: 'POST' });
    harness.clock.advance(1000);
    const after = (await get('/transactions?records_per_page=100')).transactions;
    expect(after).toHaveLength(32);
    const added = after.filter((t) => !before.some((b) => b.guid === t.guid));
    expect(added.every((t) => accountGuids.includes(t.account_guid as string))).toBe(true);
    const updated = after.filter((t) => before.some((b) => b.guid === t.guid && b.updated_at !== t.updated_at));
    expect(updated).toHaveLength(3);

    expect((await harness.nexus(`/members/${member.guid}`, token, { method: 'DELETE' })).status).toBe(204);
    expect((await get('/accounts')).accounts).toEqual([]);
    expect((await get('/transactions')).transactions.every((t) => added.some((a) => a.guid === t.guid))).toBe(true);
  });
});

describe('members connected at MX, and lists after MX adds (issue 74 #3)', () => {
  it('gives a member created through POST /members a small data set of its own, dated as of now', async () => {
    const harness = await startSimHarness();
    // The user first (with a member holding nothing), as MX makes one before its members.
    await harness.putMember({ user_id: 'connected-user', accounts: 0 });
    const token = await harness.openSession('connected-user');
    const create = await harness.nexus('/members', token, {
      method: 'POST',
      body: JSON.stringify({
        member: {
          institution_guid: catalogueGuid('mxbank'),
          use_cases: ['PFM'],
          credentials: CATALOGUE[0]!.credentials.map((credential) => ({ guid: credential.guid, value: 'connected' })),
        },
      }),
    });
    expect(create.status, await create.clone().text()).toBe(202);
    const get = await reader(harness, 'connected-user');
    expect((await get('/accounts')).accounts.length).toBeGreaterThan(0);
    const transactions = (await get('/transactions?records_per_page=100')).transactions;
    expect(transactions.length).toBeGreaterThan(0);
    // Thirty over the 120-day history: the newest within days of now.
    expect(harness.clock.now() - Date.parse(String(transactions[0]!.date))).toBeLessThan(5 * 86_400_000);
  });

  it('lists transactions newest first after an aggregation added some, as before', async () => {
    const harness = await startSimHarness();
    await harness.putMember({
      user_id: 'adding-user',
      member_guid: 'MBR-adding',
      aggregation: { duration_ms: 0, transactions: { add: 3 } },
    });
    harness.clock.advance(3 * 86_400_000);
    const token = await harness.openSession('adding-user');
    expect((await harness.nexus('/members/MBR-adding/aggregate', token, { method: 'POST' })).ok).toBe(true);
    harness.clock.advance(1_000);
    const dates = (
      (await (await harness.nexus('/transactions?records_per_page=100', token)).json()) as ListBody<'transactions'>
    ).transactions.map((transaction) => String(transaction.date));
    expect(dates).toHaveLength(33);
    expect(dates).toEqual([...dates].sort().reverse());
  });
});
