import { dayOf } from './calendar.ts';
import type { SimUser } from './members.ts';
import type { SimTransaction } from './read-model.ts';
import { readDataOf } from './seed-data.ts';
import type { SimulatorState } from './state.ts';

/**
 * `GET /_sim/users/{user_id}`: the guids a test needs to build a valid path for every read route, and the day
 * ranges its transactions cover (null bounds when it has none).
 */
export function userSummary(state: SimulatorState, user: SimUser) {
  const data = readDataOf(state.seedData, user.id);
  state.transactions.settle(state.clock.now());
  const transactions = state.transactions.transactionsOf(user);
  const usedCategoryGuids = new Set(transactions.map((transaction) => transaction.categoryGuid));
  return {
    user_id: user.id,
    user_guid: user.guid,
    members: state.members.membersOf(user).map((member) => member.guid),
    accounts: state.readSide.accountsOf(user).map((account) => account.guid),
    beats: data.beats.map((beat) => beat.guid),
    spending_plans: data.spendingPlans.map((plan) => ({
      guid: plan.guid,
      spending_plan_accounts: plan.accounts.map((planAccount) => planAccount.guid),
    })),
    categories: state.seedData.categories
      .filter((category) => usedCategoryGuids.has(category.guid))
      .map((category) => ({ guid: category.guid, top_level_category_guid: category.topLevelGuid })),
    transactions: transactionSpan(transactions),
  };
}

function transactionSpan(transactions: readonly SimTransaction[]) {
  const span = (days: string[]) => {
    const sorted = days.sort();
    return { first: sorted[0] ?? null, last: sorted[sorted.length - 1] ?? null };
  };
  const dates = span(transactions.map((transaction) => transaction.date));
  const created = span(transactions.map((transaction) => dayOf(transaction.createdAt)));
  const updated = span(transactions.map((transaction) => dayOf(transaction.updatedAt)));
  return {
    count: transactions.length,
    first_date: dates.first,
    last_date: dates.last,
    created_first: created.first,
    created_last: created.last,
    updated_first: updated.first,
    updated_last: updated.last,
  };
}
