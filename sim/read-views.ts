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

/**
 * MX's account type codes (MX's account fields: 1 CHECKING and 2 SAVINGS as Nexus's microdeposit pages give them; the
 * others as MX's MDX account types number them).
 */
const ACCOUNT_TYPE_CODES: Record<SimAccount['type'], number> = {
  CHECKING: 1,
  SAVINGS: 2,
  CREDIT_CARD: 4,
  INVESTMENT: 5,
  CASH: 9,
};

/**
 * An account: the simulator's fields in Nexus's names, plus those of the one account example Nexus's pages show (create
 * manual accounts; cut off in our copy after `feed_account_number`). `*_set_by` is 1 FEED for aggregated accounts and 2
 * USER for manual ones; a manual account is the user's own, at MX's Manual Institution member (`member_is_managed_by_user`).
 */
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
  is_closed: account.isClosed ?? false,
  is_hidden: account.isHidden ?? false,
  created_at: toIso(account.createdAt),
  updated_at: toIso(account.updatedAt),
  metadata: account.metadata ?? null,
  external_guid: null,
  account_number_set_by: account.isManual ? 2 : 1,
  account_number_set_by_name: account.isManual ? 'USER' : 'FEED',
  account_subtype: null,
  account_subtype_name: null,
  account_type: ACCOUNT_TYPE_CODES[account.type],
  account_type_name: account.type,
  feed_account_number: account.isManual ? null : account.accountNumber,
  member_is_managed_by_user: account.isManual,
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
  memo: transaction.memo ?? null,
  metadata: transaction.metadata ?? null,
  external_guid: null,
});

/**
 * A transaction as Nexus's transaction reads answer it: the fields above plus those of the one transaction example
 * MX's pages show (create manual transaction, list account transactions created between two dates; the example is cut
 * off after `latitude` in our copy). The `*_set_by` codes are the example's (1 FEED, 3 SYSTEM) and do not follow later
 * edits; `feed_status` is the example's 1 for POSTED and 0 (undocumented) for PENDING; `feed_transaction_type` 2 is the
 * example's DEBIT, 1 CREDIT.
 */
export const nexusTransactionView = (
  transaction: SimTransaction,
  categoryName: string | null,
  merchant: { guid: string; locationGuid: string } | null = null,
) => ({
  ...transactionView(transaction),
  /** The merchant the description names (MX: "the merchant_location_guid can be found on transaction objects"). */
  merchant_guid: merchant?.guid ?? null,
  merchant_location_guid: merchant?.locationGuid ?? null,
  amount_set_by: 1,
  amount_set_by_name: 'FEED',
  category_name: categoryName,
  category_set_by: 3,
  category_set_by_name: 'SYSTEM',
  check_number: null,
  check_number_set_by: null,
  check_number_set_by_name: null,
  check_number_string: null,
  currency_code_set_by: 1,
  currency_code_set_by_name: 'FEED',
  date_set_by: 1,
  date_set_by_name: 'FEED',
  description_set_by: 3,
  description_set_by_name: 'SYSTEM',
  extended_transaction_type: '',
  feed_amount: transaction.amount,
  feed_check_number: null,
  feed_check_number_string: null,
  feed_currency_code: 'USD',
  feed_description: transaction.description,
  feed_is_international: null,
  feed_latitude: null,
  feed_longitude: null,
  feed_memo: null,
  feed_posted_at: isoOrNull(transaction.postedAt),
  feed_posted_on: transaction.postedAt === null ? null : toIso(transaction.postedAt).slice(0, 10),
  feed_status: transaction.status === 'POSTED' ? 1 : 0,
  feed_transacted_at: toIso(transaction.transactedAt),
  feed_transacted_on: transaction.date,
  feed_transaction_type: transaction.type === 'DEBIT' ? 2 : 1,
  feed_transaction_type_name: transaction.type,
  has_been_split: false,
  has_been_viewed: false,
  is_bill_pay: false,
  is_business: false,
  is_direct_deposit: false,
  is_fee: false,
  is_flagged: false,
  is_hidden: transaction.isHidden ?? false,
  is_international: null,
  is_international_set_by: null,
  is_international_set_by_name: null,
  is_overdraft_fee: false,
  is_payroll_advance: false,
  is_recurring: null,
  is_subscription: false,
  latitude: null,
  longitude: null,
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
  scheduled_payment_guid: item.scheduledPaymentGuid ?? null,
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
