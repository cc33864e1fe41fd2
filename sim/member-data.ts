import { createFixtureDraws } from './fixture-draws.ts';
import { generateAccounts } from './fixtures-accounts.ts';
import { byDateDescending, generateTransactions } from './fixtures-transactions.ts';
import { type MemberData, type MemberRegistry, type SimMember, type SimUser, mayAggregate } from './members.ts';
import type { SimAccount, SimCategory, SimTransaction } from './read-model.ts';
import { type SeedData, readDataOf } from './seed-data.ts';
import { type RandomSource, createSeededRandom } from './seeded-random.ts';
import type { AccountProfile } from './seed-profiles.ts';

/** The most `POST /_sim/members` takes: the data stays small whatever a test asks. */
export const MAX_MEMBER_ACCOUNTS = 20;
export const MAX_MEMBER_TRANSACTIONS = 1000;

/** The accounts a scripted member gets, in order; past the last one the names repeat with a number. */
const ACCOUNT_TEMPLATES: readonly AccountProfile[] = [
  { name: 'Everyday Checking', type: 'CHECKING' },
  { name: 'Rewards Visa', type: 'CREDIT_CARD' },
  { name: 'High-Yield Savings', type: 'SAVINGS' },
  { name: 'Cashback Mastercard', type: 'CREDIT_CARD' },
];

/** Decorrelates the members' data from the seeded users' data and from the guid stream. */
const MEMBER_DATA_SALT = 0x3c6e_f372;

/** FNV-1a (32 bits) over the code units. */
function fnv1a(text: string): number {
  let hash = 0x811c_9dc5;
  for (let index = 0; index < text.length; index++) hash = Math.imul(hash ^ text.charCodeAt(index), 0x0100_0193) >>> 0;
  return hash;
}

/**
 * One member's own stream: two 32-bit generators seeded from two hashes of its guid, combined, so two members'
 * streams do not run into each other (one 32-bit state would, among thousands of members) and repeat each other's
 * guids.
 */
function memberRandom(seed: number, memberGuid: string): RandomSource {
  const one = createSeededRandom(seed ^ MEMBER_DATA_SALT ^ fnv1a(memberGuid));
  const other = createSeededRandom(seed ^ fnv1a([...memberGuid].reverse().join('')));
  return () => (((one() * 2 ** 32) ^ (other() * 2 ** 32)) >>> 0) / 2 ** 32;
}

/**
 * A scripted member's accounts and transactions: a pure function of the seed, the member's guid and owner and its
 * counts, dated as of `asOf` like the seeded users' data. Transactions are spread over the accounts, the first
 * ones taking the remainder.
 */
export function generateMemberData(
  seed: number,
  member: { guid: string; ownerGuid: string; data: MemberData },
  categories: readonly SimCategory[],
  asOf: number,
): { accounts: SimAccount[]; transactions: SimTransaction[] } {
  const draws = createFixtureDraws(memberRandom(seed, member.guid));
  const { accounts: accountCount } = member.data;
  const transactionCount = accountCount === 0 ? 0 : member.data.transactions;
  const profiles = Array.from({ length: accountCount }, (_, index) => {
    const template = ACCOUNT_TEMPLATES[index % ACCOUNT_TEMPLATES.length]!;
    const round = Math.floor(index / ACCOUNT_TEMPLATES.length);
    return round === 0 ? template : { ...template, name: `${template.name} ${round + 1}` };
  });
  const accounts = generateAccounts(draws, { userGuid: member.ownerGuid, memberGuid: member.guid }, profiles, asOf);
  const transactions = accounts.flatMap((account, index) => {
    const count = Math.floor(transactionCount / accountCount) + (index < transactionCount % accountCount ? 1 : 0);
    return generateTransactions(draws, account, count, categories, asOf);
  });
  return { accounts, transactions: transactions.sort(byDateDescending) };
}

type GeneratedData = { accounts: SimAccount[]; transactions: SimTransaction[] };

/**
 * What users can read before aggregations change it: the seeded users' data, plus the data of each member scripted
 * through the control API while the member exists. A member's data is generated on its first read and kept until its
 * counts change, so benches that create thousands of members and never read them pay nothing.
 */
export class ReadSide {
  readonly #generated = new WeakMap<SimMember, { for: MemberData; data: GeneratedData }>();

  constructor(
    private readonly seed: number,
    private readonly seedData: SeedData,
    private readonly members: MemberRegistry,
  ) {}

  /** The user's accounts: by member, then creation. */
  accountsOf(user: SimUser): SimAccount[] {
    const seeded = readDataOf(this.seedData, user.id).accounts;
    const generated = this.#scriptedMembersOf(user).flatMap((member) => this.#dataOf(member).accounts);
    return generated.length === 0 ? seeded : [...seeded, ...generated];
  }

  /**
   * The user's transactions, newest date first, then by guid. Only members that may aggregate with PFM show theirs
   * (MX's Member Use Cases guide), as the seeded MONEY_MOVEMENT members have accounts only.
   */
  transactionsOf(user: SimUser): SimTransaction[] {
    const seeded = readDataOf(this.seedData, user.id).transactions;
    const generated = this.#scriptedMembersOf(user)
      .filter(mayAggregate)
      .flatMap((member) => this.#dataOf(member).transactions);
    return generated.length === 0 ? seeded : [...seeded, ...generated].sort(byDateDescending);
  }

  #scriptedMembersOf(user: SimUser): SimMember[] {
    return this.members.membersOf(user).filter((member) => member.data !== null && member.data.accounts > 0);
  }

  #dataOf(member: SimMember): GeneratedData {
    const counts = member.data!;
    const kept = this.#generated.get(member);
    if (kept && kept.for.accounts === counts.accounts && kept.for.transactions === counts.transactions) return kept.data;
    const data = generateMemberData(
      this.seed,
      { guid: member.guid, ownerGuid: member.owner.guid, data: counts },
      this.seedData.categories,
      this.seedData.asOf,
    );
    this.#generated.set(member, { for: { ...counts }, data });
    return data;
  }
}
