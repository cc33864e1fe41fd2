import { describe, expect, it } from 'vitest';
import { DAY_MS, dayOf, startOfDay } from '../../calendar.ts';

/** When these tests' data is dated as of (a simulator's is the hour it started). */
const DATA_AS_OF = Date.UTC(2026, 5, 30, 18);
import { currentIteration } from '../../read-model.ts';
import { type SeededUser, generateSeedData } from '../../seed-data.ts';

const SEEDS = [1, 7, 42, 0xffff_ffff];

function seededUser(seed: number, id: string): SeededUser {
  const user = generateSeedData(seed, DATA_AS_OF).users.find((candidate) => candidate.id === id);
  if (!user) throw new Error(`no seeded user ${id}`);
  return user;
}

const daysBetween = (first: string, last: string) => (startOfDay(last) - startOfDay(first)) / DAY_MS;

describe('generateSeedData', () => {
  it('is a pure function of the seed', () => {
    expect(JSON.stringify(generateSeedData(7, DATA_AS_OF))).toBe(JSON.stringify(generateSeedData(7, DATA_AS_OF)));
    const [one, other] = [generateSeedData(7, DATA_AS_OF), generateSeedData(8, DATA_AS_OF)];
    expect(JSON.stringify(one)).not.toBe(JSON.stringify(other));
    expect(one.users[0]!.guid).not.toBe(other.users[0]!.guid);
    expect(one.users[0]!.data.transactions.map((t) => t.amount)).not.toEqual(
      other.users[0]!.data.transactions.map((t) => t.amount),
    );
  });

  it.each(SEEDS)('seed %i: sim-user-pfm meets the minimums', (seed) => {
    const { members, data } = seededUser(seed, 'sim-user-pfm');
    expect(members.map((member) => member.useCases)).toEqual([['PFM'], ['PFM']]);
    expect(data.accounts).toHaveLength(5);
    expect(data.accounts.filter((account) => account.isManual)).toHaveLength(1);
    // The investment account: worth what its holdings are, at market value.
    const [investment] = data.accounts.filter((account) => account.type === 'INVESTMENT');
    expect(data.holdings.length).toBeGreaterThanOrEqual(4);
    expect(data.holdings.every((holding) => holding.accountGuid === investment!.guid)).toBe(true);
    const worth = data.holdings.reduce((sum, holding) => sum + holding.marketValue, 0);
    expect(investment!.balance).toBeCloseTo(worth, 2);

    const { transactions } = data;
    expect(transactions.length).toBeGreaterThanOrEqual(300);
    expect(daysBetween(transactions.at(-1)!.date, transactions[0]!.date)).toBeGreaterThanOrEqual(90);
    expect(new Set(transactions.map((t) => t.categoryGuid)).size).toBeGreaterThanOrEqual(10);
    expect(new Set(transactions.map((t) => t.topLevelCategoryGuid)).size).toBeGreaterThanOrEqual(4);

    expect(data.beats).toHaveLength(5);
    expect(data.spendingPlans).toHaveLength(2);
    for (const plan of data.spendingPlans) {
      expect(plan.iterations.length).toBeGreaterThanOrEqual(1);
      expect(currentIteration(plan).items.length).toBeGreaterThan(0);
      expect(plan.accounts).toHaveLength(2);
    }
  });

  it.each(SEEDS)('seed %i: sim-user-mm has a MONEY_MOVEMENT member with accounts and nothing else', (seed) => {
    const { members, data } = seededUser(seed, 'sim-user-mm');
    expect(members.map((member) => member.useCases)).toEqual([['MONEY_MOVEMENT']]);
    expect(data.accounts).toHaveLength(2);
    expect(data.transactions).toEqual([]);
    expect(data.beats).toEqual([]);
    expect(data.spendingPlans).toEqual([]);
  });

  it.each(SEEDS)('seed %i: sim-user-mixed has transactions on its PFM member only', (seed) => {
    const { members, data } = seededUser(seed, 'sim-user-mixed');
    const [pfm, moneyMovement] = members;
    expect([pfm!.useCases, moneyMovement!.useCases]).toEqual([['PFM'], ['MONEY_MOVEMENT']]);
    expect(data.accounts.some((account) => account.memberGuid === moneyMovement!.guid)).toBe(true);
    expect(data.transactions.length).toBeGreaterThanOrEqual(60);
    expect(data.transactions.every((t) => t.memberGuid === pfm!.guid)).toBe(true);
  });

  it.each(SEEDS)('seed %i: every link between records holds', (seed) => {
    const { categories, users } = generateSeedData(seed, DATA_AS_OF);
    const categoryByGuid = new Map(categories.map((category) => [category.guid, category]));
    const allGuids = users.flatMap((user) => [
      user.guid,
      ...user.members.map((m) => m.guid),
      ...user.data.accounts.map((a) => a.guid),
      ...user.data.transactions.map((t) => t.guid),
    ]);
    expect(new Set(allGuids).size).toBe(allGuids.length);

    for (const { guid: userGuid, members, data } of users) {
      const memberGuids = new Set(members.map((member) => member.guid));
      const accountByGuid = new Map(data.accounts.map((account) => [account.guid, account]));
      const transactionByGuid = new Map(data.transactions.map((transaction) => [transaction.guid, transaction]));

      for (const account of data.accounts) {
        expect(account.userGuid).toBe(userGuid);
        expect(memberGuids.has(account.memberGuid)).toBe(true);
      }
      for (const transaction of data.transactions) {
        const account = accountByGuid.get(transaction.accountGuid);
        expect(account?.memberGuid).toBe(transaction.memberGuid);
        expect(transaction.userGuid).toBe(userGuid);
        expect(categoryByGuid.get(transaction.categoryGuid)?.topLevelGuid).toBe(transaction.topLevelCategoryGuid);
        expect(transaction.createdAt).toBeLessThanOrEqual(transaction.updatedAt);
        expect(transaction.updatedAt).toBeLessThanOrEqual(DATA_AS_OF);
        expect(transaction.date <= dayOf(DATA_AS_OF)).toBe(true);
      }
      for (const beat of data.beats) {
        expect(beat.userGuid).toBe(userGuid);
        expect(beat.transactionGuids).toContain(beat.primaryTransactionGuid);
        expect(beat.accountGuids).toContain(beat.primaryAccountGuid);
        for (const guid of beat.transactionGuids) expect(beat.accountGuids).toContain(transactionByGuid.get(guid)?.accountGuid);
      }
      for (const plan of data.spendingPlans) {
        const tracked = new Set(plan.accounts.map((planAccount) => planAccount.accountGuid));
        for (const guid of tracked) expect(accountByGuid.has(guid)).toBe(true);
        expect(plan.iterations.map((iteration) => iteration.number)).toEqual(plan.iterations.map((_, index) => index + 1));
        const current = currentIteration(plan);
        expect(current.startOn <= dayOf(DATA_AS_OF) && dayOf(DATA_AS_OF) <= current.endOn).toBe(true);
        for (const item of current.items) {
          expect(categoryByGuid.get(item.categoryGuid)?.topLevelGuid).toBe(item.topLevelCategoryGuid);
          for (const guid of item.transactionGuids) {
            const transaction = transactionByGuid.get(guid)!;
            expect(transaction.categoryGuid).toBe(item.categoryGuid);
            expect(tracked.has(transaction.accountGuid)).toBe(true);
            expect(current.startOn <= transaction.date && transaction.date <= current.endOn).toBe(true);
          }
        }
      }
    }
  });

  it('lists transactions newest date first, ties by guid', () => {
    const { transactions } = seededUser(1, 'sim-user-pfm').data;
    transactions.slice(1).forEach((older, index) => {
      const newer = transactions[index]!;
      expect(newer.date > older.date || (newer.date === older.date && newer.guid < older.guid)).toBe(true);
    });
  });
});
