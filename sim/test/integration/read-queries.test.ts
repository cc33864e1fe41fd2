import { describe, expect, it } from 'vitest';
import { type ListBody, type NexusRecord, type SeededReader, startSeededReader, startSimHarness } from './sim-harness.ts';

type Transaction = NexusRecord & { date: string; created_at: string; updated_at: string; category_guid: string };

const DATED_LISTS = [
  '/transactions/by_category_guid/CAT-x/by_date/{start}/{end}',
  '/transactions/by_top_level_category_guid/CAT-x,CAT-y/by_date/{start}/{end}',
  '/transactions/created_between/{start}/{end}',
  '/transactions/updated_between/{start}/{end}',
];
const USE_CASE_LISTS = [
  '/members',
  '/accounts',
  '/accounts/partner_created',
  '/accounts/user_created',
  '/transactions',
  ...DATED_LISTS.map((path) => path.replace('{start}', '2026-03-01').replace('{end}', '2026-06-30')),
];

/** Every transaction of the session's user, in list order, in one call. */
async function allTransactions(get: SeededReader['get']): Promise<Transaction[]> {
  const { body } = await get<ListBody<'transactions'>>('/transactions?records_per_page=1000');
  expect(body.pagination.total_pages).toBe(1);
  return body.transactions as Transaction[];
}

const guidsOf = (records: readonly NexusRecord[]) => records.map((record) => record.guid);

describe('mx-sim read queries', () => {
  describe('paging', () => {
    it('walking /transactions 10 per page returns every transaction exactly once', async () => {
      const { get, summary } = await startSeededReader('sim-user-pfm');
      const seen: string[] = [];
      for (let page = 1; ; page += 1) {
        const { body } = await get<ListBody<'transactions'>>(`/transactions?records_per_page=10&page=${page}`);
        expect(body.pagination).toEqual({
          current_page: page,
          per_page: 10,
          total_entries: summary.transactions.count,
          total_pages: Math.ceil(summary.transactions.count / 10),
        });
        seen.push(...guidsOf(body.transactions));
        if (page >= body.pagination.total_pages) break;
      }
      expect(summary.transactions.count).toBeGreaterThanOrEqual(300);
      expect(seen).toHaveLength(summary.transactions.count);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toEqual(guidsOf(await allTransactions(get)));
    });

    it.each(['records_per_page=5', 'records_per_page=2000', 'records_per_page=abc', ''])('%j → 25 per page', async (query) => {
      const { get } = await startSeededReader('sim-user-pfm');
      const { body } = await get<ListBody<'transactions'>>(`/transactions?${query}`);
      expect(body.pagination.per_page).toBe(25);
      expect(body.transactions).toHaveLength(25);
    });

    it('a page past the end is empty and keeps the totals', async () => {
      const { get, summary } = await startSeededReader('sim-user-pfm');
      const { status, body } = await get<ListBody<'transactions'>>('/transactions?page=99');
      expect(status).toBe(200);
      expect(body).toEqual({
        transactions: [],
        pagination: {
          current_page: 99,
          per_page: 25,
          total_entries: summary.transactions.count,
          total_pages: Math.ceil(summary.transactions.count / 25),
        },
      });
    });
  });

  describe('use_case', () => {
    it('MONEY_MOVEMENT on /accounts for sim-user-mixed keeps only that member’s accounts', async () => {
      const { get, summary } = await startSeededReader('sim-user-mixed');
      const members = (await get<ListBody<'members'>>('/members')).body.members;
      const moneyMovementMember = members.find((member) => String(member.use_cases) === 'MONEY_MOVEMENT')!;

      const all = (await get<ListBody<'accounts'>>('/accounts')).body.accounts;
      const moneyMovement = (await get<ListBody<'accounts'>>('/accounts?use_case=MONEY_MOVEMENT')).body;
      const pfm = (await get<ListBody<'accounts'>>('/accounts?use_case=PFM')).body.accounts;
      expect(guidsOf(all)).toEqual(summary.accounts);
      expect(moneyMovement.accounts.length).toBeGreaterThan(0);
      expect(moneyMovement.accounts.every((account) => account.member_guid === moneyMovementMember.guid)).toBe(true);
      expect(moneyMovement.pagination.total_entries).toBe(moneyMovement.accounts.length);
      expect([...guidsOf(pfm), ...guidsOf(moneyMovement.accounts)].sort()).toEqual([...summary.accounts].sort());
    });

    it('MONEY_MOVEMENT members have no transactions, so that filter empties the transaction lists', async () => {
      const { get, summary } = await startSeededReader('sim-user-mixed');
      expect(summary.transactions.count).toBeGreaterThanOrEqual(60);
      const { first_date, last_date } = summary.transactions;
      for (const path of ['/transactions', `/transactions/created_between/${first_date}/${last_date}`]) {
        expect((await get<ListBody<'transactions'>>(`${path}?use_case=PFM`)).body.pagination.total_entries).toBe(
          summary.transactions.count,
        );
        expect((await get<ListBody<'transactions'>>(`${path}?use_case=MONEY_MOVEMENT`)).body.transactions).toEqual([]);
      }
    });

    it.each(USE_CASE_LISTS)('%s refuses use_case=BOGUS with 400', async (path) => {
      const { get } = await startSeededReader('sim-user-pfm');
      expect(await get(`${path}?use_case=BOGUS`)).toEqual({
        status: 400,
        body: { error: { code: 4001, message: 'use_case must be PFM or MONEY_MOVEMENT.' } },
      });
    });
  });

  describe('PFM-only products', () => {
    const PFM_ROUTES = [
      '/beats',
      '/beats/BET-any',
      '/spending_plans',
      '/spending_plans/SPL-any',
      '/spending_plans/SPL-any/iterations',
      '/spending_plans/SPL-any/iterations/current',
      '/spending_plans/SPL-any/iterations/current/iteration_items',
      '/spending_plans/SPL-any/spending_plan_account',
      '/spending_plans/SPL-any/spending_plan_account/SPA-any',
    ];

    it.each(PFM_ROUTES)('%s answers 403 to a user without a PFM member', async (path) => {
      const { get } = await startSeededReader('sim-user-mm');
      expect(await get(path)).toEqual({
        status: 403,
        body: { error: { code: 4030, message: 'No member of this user has the PFM use case.' } },
      });
    });

    it('lets a user with a PFM member (or one without use cases) through, with empty lists when it has no data', async () => {
      const { putMember, openSession, nexus } = await startSimHarness();
      await putMember({ user_id: 'legacy', use_cases: null });
      await putMember({ user_id: 'mover', use_cases: ['MONEY_MOVEMENT'] });

      const legacy = await nexus('/beats', await openSession('legacy'));
      expect(legacy.status).toBe(200);
      expect(await legacy.json()).toEqual({ beats: [] });
      expect((await nexus('/spending_plans', await openSession('mover'))).status).toBe(403);
    });

    it('follows the members’ use cases as the control API changes them', async () => {
      const { get, summary, putMember } = await startSeededReader('sim-user-mixed');
      expect((await get('/beats')).status).toBe(200);
      await putMember({ user_id: 'sim-user-mixed', member_guid: summary.members[0], use_cases: ['MONEY_MOVEMENT'] });
      expect((await get('/beats')).status).toBe(403);
    });
  });

  describe('dated lists', () => {
    it('by_category_guid and by_top_level_category_guid honour inclusive day ranges', async () => {
      const { get, summary } = await startSeededReader('sim-user-pfm');
      const transactions = await allTransactions(get);
      const [category] = summary.categories;
      const topLevels = [...new Set(summary.categories.map((c) => c.top_level_category_guid))].slice(0, 2);
      const start = transactions.at(-40)!.date;
      const end = transactions[40]!.date;
      const inRange = (t: Transaction) => t.date >= start && t.date <= end;

      const byCategory = await get<ListBody<'transactions'>>(
        `/transactions/by_category_guid/${category!.guid}/by_date/${start}/${end}?records_per_page=1000`,
      );
      const expectedByCategory = transactions.filter((t) => t.category_guid === category!.guid && inRange(t));
      expect(expectedByCategory.length).toBeGreaterThan(0);
      expect(guidsOf(byCategory.body.transactions)).toEqual(guidsOf(expectedByCategory));

      const byTopLevel = await get<ListBody<'transactions'>>(
        `/transactions/by_top_level_category_guid/${topLevels.join(',')}/by_date/${start}/${end}?records_per_page=1000`,
      );
      const expectedByTopLevel = transactions.filter(
        (t) => topLevels.includes(t.top_level_category_guid as string) && inRange(t),
      );
      expect(guidsOf(byTopLevel.body.transactions)).toEqual(guidsOf(expectedByTopLevel));
      expect(new Set(byTopLevel.body.transactions.map((t) => t.top_level_category_guid))).toEqual(new Set(topLevels));
    });

    it('a one-day range returns exactly that day’s transactions', async () => {
      const { get } = await startSeededReader('sim-user-pfm');
      const transactions = await allTransactions(get);
      const { date, category_guid } = transactions[100]!;
      const { body } = await get<ListBody<'transactions'>>(
        `/transactions/by_category_guid/${category_guid}/by_date/${date}/${date}`,
      );
      expect(guidsOf(body.transactions)).toEqual(
        guidsOf(transactions.filter((t) => t.date === date && t.category_guid === category_guid)),
      );
    });

    it.each([
      ['created_between', 'created_at'],
      ['updated_between', 'updated_at'],
    ] as const)('%s filters on the day of %s, inclusively', async (route, field) => {
      const { get, summary } = await startSeededReader('sim-user-pfm');
      const transactions = await allTransactions(get);
      const day = (t: Transaction) => t[field].slice(0, 10);
      const start = day(transactions[120]!);
      const end = day(transactions[60]!);

      const { body } = await get<ListBody<'transactions'>>(`/transactions/${route}/${start}/${end}?records_per_page=1000`);
      const expected = transactions.filter((t) => day(t) >= start && day(t) <= end);
      expect(expected.length).toBeGreaterThan(0);
      expect(guidsOf(body.transactions)).toEqual(guidsOf(expected));

      const [first, last] =
        route === 'created_between'
          ? [summary.transactions.created_first, summary.transactions.created_last]
          : [summary.transactions.updated_first, summary.transactions.updated_last];
      const everything = await get<ListBody<'transactions'>>(`/transactions/${route}/${first}/${last}`);
      expect(everything.body.pagination.total_entries).toBe(summary.transactions.count);
    });

    it.each(
      DATED_LISTS.flatMap((path) => [
        [path.replace('{start}', '2026-06-02').replace('{end}', '2026-06-01'), 'start_date must not be after end_date.'],
        [path.replace('{start}', '2026-6-1').replace('{end}', '2026-06-30'), 'start_date must be a date written YYYY-MM-DD.'],
        [path.replace('{start}', '2026-06-01').replace('{end}', '2026-02-30'), 'end_date must be a date written YYYY-MM-DD.'],
      ]),
    )('%s → 400', async (path, message) => {
      const { get } = await startSeededReader('sim-user-pfm');
      expect(await get(path)).toEqual({ status: 400, body: { error: { code: 4001, message } } });
    });
  });

  describe('determinism', () => {
    const PATHS = ['/accounts', '/transactions?records_per_page=1000', '/beats', '/spending_plans'];

    const bodies = async (seed: number) => {
      const { nexus, openSession } = await startSimHarness(seed);
      const token = await openSession('sim-user-pfm');
      return Promise.all(PATHS.map(async (path) => (await nexus(path, token)).text()));
    };

    it('the same seed gives byte-identical bodies, another seed different ones', async () => {
      const [first, again, other] = await Promise.all([bodies(11), bodies(11), bodies(12)]);
      expect(again).toEqual(first);
      first.forEach((body, index) => expect(other[index]).not.toBe(body));
    });
  });
});
