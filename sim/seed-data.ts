import { generateCategories } from './category-catalog.ts';
import { type FixtureDraws, createFixtureDraws } from './fixture-draws.ts';
import { generateAccounts } from './fixtures-accounts.ts';
import { generateBeats } from './fixtures-beats.ts';
import { generateInvestments } from './fixtures-holdings.ts';
import { generateSpendingPlans } from './fixtures-spending-plans.ts';
import { byDateDescending, generateTransactions } from './fixtures-transactions.ts';
import type { UseCase } from './members.ts';
import { NO_READ_DATA, type SimCategory, type UserReadData } from './read-model.ts';
import { SEEDED_USER_PROFILES, type SeededUserProfile } from './seed-profiles.ts';

export interface SeededMember {
  guid: string;
  name: string;
  useCases: UseCase[];
}

export interface SeededUser {
  id: string;
  guid: string;
  members: SeededMember[];
  data: UserReadData;
}

export interface SeedData {
  /** The moment every seeded timestamp is at or before (calendar.ts → dataAsOf): members scripted later use it too. */
  asOf: number;
  categories: SimCategory[];
  users: SeededUser[];
}

/**
 * Decorrelates the seeded data from the guid stream that members created through the control API draw from, so
 * seeding does not change the guids existing tests see.
 */
const SEED_DATA_SALT = 0x5eed_da7a;
/** The investment accounts' and holdings' own stream: with it apart, adding them changed none of the data above. */
const INVESTMENTS_SALT = 0x1a7e_57ed;

/** The users present from start and everything they can read: a pure function of the seed and `asOf`. */
export function generateSeedData(seed: number, asOf: number): SeedData {
  const draws = createFixtureDraws(seed ^ SEED_DATA_SALT);
  const clientGuid = draws.newGuid('CLT');
  const categories = generateCategories(draws);
  const investmentDraws = createFixtureDraws(seed ^ INVESTMENTS_SALT);
  return {
    asOf,
    categories,
    users: SEEDED_USER_PROFILES.map((profile) =>
      withInvestments(investmentDraws, profile, generateUser(draws, profile, clientGuid, categories, asOf), asOf),
    ),
  };
}

function generateUser(
  draws: FixtureDraws,
  profile: SeededUserProfile,
  clientGuid: string,
  categories: readonly SimCategory[],
  asOf: number,
): SeededUser {
  const userGuid = draws.newGuid('USR');
  const generated = profile.members.map((member) => {
    const memberGuid = draws.newGuid('MBR');
    const accounts = generateAccounts(draws, { userGuid, memberGuid }, member.accounts, asOf);
    // Only PFM members aggregate transactions (MX's Member Use Cases guide).
    const isPfm = member.useCases.includes('PFM');
    const transactions = isPfm
      ? accounts.flatMap((account, index) =>
          generateTransactions(draws, account, member.accounts[index]!.transactions ?? 0, categories, asOf),
        )
      : [];
    return {
      seeded: { guid: memberGuid, name: member.name, useCases: member.useCases },
      accounts,
      transactions,
      isPfm,
    };
  });

  const transactions = generated.flatMap((member) => member.transactions).sort(byDateDescending);
  const pfmAccounts = generated.filter((member) => member.isPfm).flatMap((member) => member.accounts);
  return {
    id: profile.id,
    guid: userGuid,
    members: generated.map((member) => member.seeded),
    data: {
      accounts: generated.flatMap((member) => member.accounts),
      transactions,
      beats: generateBeats(draws, userGuid, transactions, categories, profile.beats, asOf),
      spendingPlans: generateSpendingPlans(
        draws,
        { userGuid, clientGuid, accounts: pfmAccounts, transactions, categories },
        profile.spendingPlans,
        asOf,
      ),
      holdings: [],
    },
  };
}

/** The profile's investment account (after the member's other accounts) and its holdings, from their own stream. */
function withInvestments(draws: FixtureDraws, profile: SeededUserProfile, user: SeededUser, asOf: number): SeededUser {
  if (!profile.investments) return user;
  const memberGuid = user.members[profile.investments.member]!.guid;
  const siblings = user.data.accounts.filter((account) => account.memberGuid === memberGuid);
  const { account, holdings } = generateInvestments(
    draws,
    { userGuid: user.guid, memberGuid },
    siblings,
    profile.investments,
    asOf,
  );
  const accounts = [...user.data.accounts];
  accounts.splice(accounts.indexOf(siblings[siblings.length - 1]!) + 1, 0, account);
  return { ...user, data: { ...user.data, accounts, holdings } };
}

/** What a user can read; users created through the control API have members only. */
export const readDataOf = (seedData: SeedData, userId: string): UserReadData =>
  seedData.users.find((user) => user.id === userId)?.data ?? NO_READ_DATA;
