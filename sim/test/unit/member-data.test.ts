import { describe, expect, it } from 'vitest';
import { generateCategories } from '../../category-catalog.ts';
import { createFixtureDraws } from '../../fixture-draws.ts';
import { generateMemberData } from '../../member-data.ts';
import { DEFAULT_MEMBER_DATA } from '../../members.ts';

const categories = generateCategories(createFixtureDraws(1));
const AS_OF = Date.UTC(2026, 5, 30, 18);
const member = (guid: string, data = DEFAULT_MEMBER_DATA) => ({ guid, ownerGuid: 'USR-owner', data });

describe('generateMemberData', () => {
  it('is a pure function of the seed and the member: the same ones give the same data, others other data', () => {
    const once = generateMemberData(7, member('MBR-app'), categories, AS_OF);
    expect(JSON.stringify(generateMemberData(7, member('MBR-app'), categories, AS_OF))).toBe(JSON.stringify(once));
    expect(generateMemberData(8, member('MBR-app'), categories, AS_OF).transactions[0]!.guid).not.toBe(
      once.transactions[0]!.guid,
    );
    expect(generateMemberData(7, member('MBR-other'), categories, AS_OF).accounts[0]!.guid).not.toBe(once.accounts[0]!.guid);
  });

  it('gives the default member two accounts and thirty transactions spread over them, newest first', () => {
    const { accounts, transactions } = generateMemberData(7, member('MBR-app'), categories, AS_OF);
    expect(accounts.map((account) => [account.name, account.type, account.memberGuid, account.userGuid])).toEqual([
      ['Everyday Checking', 'CHECKING', 'MBR-app', 'USR-owner'],
      ['Rewards Visa', 'CREDIT_CARD', 'MBR-app', 'USR-owner'],
    ]);
    expect(transactions).toHaveLength(30);
    for (const account of accounts) {
      expect(transactions.filter((transaction) => transaction.accountGuid === account.guid)).toHaveLength(15);
    }
    expect(transactions.every((transaction) => transaction.memberGuid === 'MBR-app')).toBe(true);
    const dates = transactions.map((transaction) => transaction.date);
    expect(dates).toEqual([...dates].sort().reverse());
  });

  it('takes other counts; repeated account names are numbered; no account means no transaction', () => {
    const five = generateMemberData(7, member('MBR-app', { accounts: 5, transactions: 12 }), categories, AS_OF);
    expect(five.accounts.map((account) => account.name)).toEqual([
      'Everyday Checking',
      'Rewards Visa',
      'High-Yield Savings',
      'Cashback Mastercard',
      'Everyday Checking 2',
    ]);
    expect(five.accounts.map((account) => five.transactions.filter((t) => t.accountGuid === account.guid).length)).toEqual([
      3, 3, 2, 2, 2,
    ]);
    expect(generateMemberData(7, member('MBR-app', { accounts: 0, transactions: 30 }), categories, AS_OF)).toEqual({
      accounts: [],
      transactions: [],
    });
  });

  it('keeps the guids of hundreds of members apart', () => {
    const guids = new Set<string>();
    let count = 0;
    for (let index = 0; index < 500; index++) {
      const { accounts, transactions } = generateMemberData(1, member(`MBR-bench-${index}`), categories, AS_OF);
      for (const record of [...accounts, ...transactions]) {
        guids.add(record.guid);
        count++;
      }
    }
    expect(guids.size).toBe(count);
  });
});
