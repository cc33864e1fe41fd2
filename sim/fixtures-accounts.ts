import { DAY_MS, HISTORY_DAYS, HOUR_MS } from './calendar.ts';
import type { FixtureDraws } from './fixture-draws.ts';
import type { AccountType, SimAccount } from './read-model.ts';
import type { AccountProfile } from './seed-profiles.ts';

const BALANCE_RANGES: Record<AccountType, readonly [number, number]> = {
  CHECKING: [500, 6000],
  SAVINGS: [2000, 20000],
  CREDIT_CARD: [100, 3000],
  CASH: [20, 300],
  // Never drawn: an investment account's balance is its holdings' market value (fixtures-holdings.ts).
  INVESTMENT: [0, 0],
};

const CREDIT_LIMIT = 5000;

/** A member's accounts, all opened when the member was connected, before the transaction history starts. */
export function generateAccounts(
  draws: FixtureDraws,
  owner: { userGuid: string; memberGuid: string },
  profiles: readonly AccountProfile[],
  asOf: number,
): SimAccount[] {
  const connectedAt = asOf - (HISTORY_DAYS + draws.int(200)) * DAY_MS - draws.int(24) * HOUR_MS;
  return profiles.map((profile) => {
    const isManual = profile.isManual ?? false;
    const balance = draws.amount(...BALANCE_RANGES[profile.type]);
    const creditLimit = profile.type === 'CREDIT_CARD' ? CREDIT_LIMIT : null;
    return {
      guid: draws.newGuid('ACT'),
      ...owner,
      name: profile.name,
      type: profile.type,
      isManual,
      accountNumber: isManual ? null : String(draws.int(10_000)).padStart(4, '0'),
      balance,
      // A card's balance is what is owed; what remains available is the rest of the limit.
      availableBalance: creditLimit === null ? balance : Math.round((creditLimit - balance) * 100) / 100,
      creditLimit,
      createdAt: connectedAt,
      updatedAt: asOf - draws.int(6) * HOUR_MS,
    };
  });
}
