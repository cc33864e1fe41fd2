import { DAY_MS, HISTORY_DAYS, HOUR_MS, MINUTE_MS, dayOf, startOfDay } from './calendar.ts';
import type { FixtureDraws } from './fixture-draws.ts';
import { type SimAccount, type SimCategory, type SimTransaction, compareCodeUnits } from './read-model.ts';

/** Transactions this recent are still PENDING: not posted yet. */
const PENDING_DAYS = 2;

/**
 * `count` transactions on one account. Each takes a slot of the history and a day inside it, so even a short list
 * spans the whole history. Only checking and savings accounts receive income.
 */
export function generateTransactions(
  draws: FixtureDraws,
  account: SimAccount,
  count: number,
  categories: readonly SimCategory[],
  asOf: number,
): SimTransaction[] {
  const receivesIncome = account.type === 'CHECKING' || account.type === 'SAVINGS';
  const eligible = categories.filter((category) => receivesIncome || category.kind !== 'income');

  return Array.from({ length: count }, (_, index) => {
    const daysBack = Math.floor(((index + draws.int(1000) / 1000) * HISTORY_DAYS) / count);
    const date = dayOf(asOf - daysBack * DAY_MS);
    const transactedAt = startOfDay(date) + 12 * HOUR_MS;
    const postedAt = daysBack < PENDING_DAYS ? null : transactedAt + DAY_MS;
    const createdAt = Math.min(transactedAt + draws.int(48 * 60) * MINUTE_MS, asOf);
    const updatedAt =
      postedAt === null ? createdAt : Math.min(Math.max(createdAt, postedAt) + draws.int(12 * 60) * MINUTE_MS, asOf);
    const category = draws.pickWeighted(eligible);
    return {
      guid: draws.newGuid('TRN'),
      accountGuid: account.guid,
      memberGuid: account.memberGuid,
      userGuid: account.userGuid,
      amount: draws.amount(...category.amountRange),
      type: category.kind === 'income' ? 'CREDIT' : 'DEBIT',
      status: postedAt === null ? 'PENDING' : 'POSTED',
      date,
      transactedAt,
      postedAt,
      createdAt,
      updatedAt,
      description: draws.pick(category.merchants),
      categoryGuid: category.guid,
      topLevelCategoryGuid: category.topLevelGuid,
    };
  });
}

/** Nexus's list order: newest date first, ties broken by guid so paging is stable. */
export function byDateDescending(a: SimTransaction, b: SimTransaction): number {
  return compareCodeUnits(b.date, a.date) || compareCodeUnits(a.guid, b.guid);
}
