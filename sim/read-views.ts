import { toIso } from './clock.ts';
import { type Day, isoOrNull } from './calendar.ts';
import { INSTITUTION } from './member-view.ts';
import { paginate, parsePageRequest } from './pagination.ts';
import type {
  SimAccount,
  SimBeat,
  SimIteration,
  SimIterationItem,
  SimSpendingPlan,
  SimSpendingPlanAccount,
  SimTransaction,
} from './read-model.ts';

// The read-side records as Nexus returns them, and the list envelopes around them.

/** Nexus writes spending-plan days as midnight UTC timestamps (MX's spending plan pages). */
const dayAsTimestamp = (day: Day): string => `${day}T00:00:00.000Z`;

export const accountView = (account: SimAccount) => ({
  guid: account.guid,
  member_guid: account.memberGuid,
  user_guid: account.userGuid,
  institution_guid: INSTITUTION.guid,
  name: account.name,
  type: account.type,
  account_number: account.accountNumber,
  balance: account.balance,
  available_balance: account.availableBalance,
  credit_limit: account.creditLimit,
  currency_code: 'USD',
  is_manual: account.isManual,
  is_closed: false,
  is_hidden: false,
  created_at: toIso(account.createdAt),
  updated_at: toIso(account.updatedAt),
  metadata: null,
  external_guid: null,
});

export const transactionView = (transaction: SimTransaction) => ({
  guid: transaction.guid,
  account_guid: transaction.accountGuid,
  member_guid: transaction.memberGuid,
  user_guid: transaction.userGuid,
  amount: transaction.amount,
  currency_code: 'USD',
  date: transaction.date,
  transacted_at: toIso(transaction.transactedAt),
  posted_at: isoOrNull(transaction.postedAt),
  created_at: toIso(transaction.createdAt),
  updated_at: toIso(transaction.updatedAt),
  description: transaction.description,
  category_guid: transaction.categoryGuid,
  top_level_category_guid: transaction.topLevelCategoryGuid,
  status: transaction.status,
  type: transaction.type,
  is_expense: transaction.type === 'DEBIT',
  is_income: transaction.type === 'CREDIT',
  memo: null,
  metadata: null,
  external_guid: null,
});

/** The fields of MX's List beats example. A beat stops being relevant once displayed or dismissed (MX's beats pages). */
export const beatView = (beat: SimBeat) => ({
  account_guids: beat.accountGuids,
  created_at: toIso(beat.createdAt),
  description: beat.description,
  digest: beat.digest,
  displayed_at: isoOrNull(beat.displayedAt),
  guid: beat.guid,
  has_been_displayed: beat.displayedAt !== null,
  is_dismissed: beat.isDismissed,
  is_relevant: beat.displayedAt === null && !beat.isDismissed,
  primary_account_guid: beat.primaryAccountGuid,
  primary_transaction_guid: beat.primaryTransactionGuid,
  template: beat.template,
  title: beat.title,
  transaction_guids: beat.transactionGuids,
  updated_at: toIso(beat.updatedAt),
  user_guid: beat.userGuid,
});

export const spendingPlanView = (plan: SimSpendingPlan) => ({
  created_at: toIso(plan.createdAt),
  current_iteration_number: plan.iterations.length,
  guid: plan.guid,
  updated_at: toIso(plan.updatedAt),
  user_guid: plan.userGuid,
});

/** The fields of MX's Read current iteration example. */
export const iterationView = (iteration: SimIteration) => ({
  created_at: toIso(iteration.createdAt),
  end_on: dayAsTimestamp(iteration.endOn),
  guid: iteration.guid,
  iteration_number: iteration.number,
  spending_plan_guid: iteration.spendingPlanGuid,
  start_on: dayAsTimestamp(iteration.startOn),
  updated_at: toIso(iteration.updatedAt),
  user_guid: iteration.userGuid,
});

/** `item_type` is a string, as in Nexus's update-item sample. */
export const iterationItemView = (item: SimIterationItem) => ({
  actual_amount: item.actualAmount,
  category_guid: item.categoryGuid,
  created_at: toIso(item.createdAt),
  guid: item.guid,
  item_type: String(item.itemType),
  planned_amount: item.plannedAmount,
  scheduled_payment_guid: null,
  spending_plan_iteration_guid: item.iterationGuid,
  top_level_category_guid: item.topLevelCategoryGuid,
  transaction_guids: item.transactionGuids,
  updated_at: toIso(item.updatedAt),
  user_guid: item.userGuid,
});

/** The fields of MX's Read a spending plan account example. */
export const spendingPlanAccountView = (planAccount: SimSpendingPlanAccount) => ({
  account_guid: planAccount.accountGuid,
  client_guid: planAccount.clientGuid,
  created_at: toIso(planAccount.createdAt),
  guid: planAccount.guid,
  spending_plan_guid: planAccount.spendingPlanGuid,
  updated_at: toIso(planAccount.updatedAt),
  user_guid: planAccount.userGuid,
});

/** `{"<root>":[…one page…],"pagination":{…}}`, paged by the request's `page` and `records_per_page`. */
export function pagedListBody<T>(root: string, records: readonly T[], view: (record: T) => unknown, query: URLSearchParams) {
  const page = paginate(records, parsePageRequest(query));
  return { [root]: page.items.map(view), pagination: page.pagination };
}

/** A single object with the one-entry `pagination` that MX's current-iteration sample carries (MX's Read current iteration example). */
export function singleObjectBody<T>(root: string, record: T, view: (record: T) => unknown, query: URLSearchParams) {
  const { perPage } = parsePageRequest(query);
  return { [root]: view(record), pagination: paginate([record], { page: 1, perPage }).pagination };
}
