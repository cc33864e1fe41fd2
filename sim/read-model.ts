import type { Day } from './calendar.ts';

/**
 * The seeded read-side records. Timestamps are epoch milliseconds and days `YYYY-MM-DD`; `read-views.ts` turns
 * them into Nexus bodies.
 */

/** What a category does to the money: income is CREDIT, bills plan as recurring expenses, the rest is spending. */
export type CategoryKind = 'income' | 'bill' | 'spending';

export interface SimCategory {
  guid: string;
  name: string;
  topLevelGuid: string;
  kind: CategoryKind;
  /** Descriptions its transactions carry. */
  merchants: readonly string[];
  amountRange: readonly [number, number];
  /** How often it is drawn relative to the other categories. */
  weight: number;
}

export type AccountType = 'CHECKING' | 'SAVINGS' | 'CREDIT_CARD' | 'CASH' | 'INVESTMENT';

export interface SimAccount {
  guid: string;
  memberGuid: string;
  userGuid: string;
  name: string;
  type: AccountType;
  /** Created by the end user rather than aggregated: Nexus lists these under `/accounts/user_created`. */
  isManual: boolean;
  accountNumber: string | null;
  balance: number;
  availableBalance: number;
  creditLimit: number | null;
  createdAt: number;
  updatedAt: number;
  /** Set by update account (account-book.ts); absent: null / false. */
  metadata?: string | null;
  isHidden?: boolean;
  isClosed?: boolean;
}

/** A position in an investment account (MX's holdings overview); `costBasisSetBy` 1 FEED, 2 USER once updated. */
export interface SimHolding {
  guid: string;
  accountGuid: string;
  memberGuid: string;
  userGuid: string;
  symbol: string;
  description: string;
  /** MX's holding type code and name (the simulator's: 1 EQUITY, 2 MUTUAL_FUND, 3 ETF, 4 BOND). */
  holdingType: number;
  holdingTypeName: string;
  shares: number;
  purchasePrice: number;
  marketValue: number;
  costBasis: number;
  costBasisSetBy: 1 | 2;
  costBasisUpdatedAt: number;
  currencyCode: string;
  dailyChange: number;
  /** Percentages adding up to 100. */
  allocations: { cash: number; usStock: number; foreignStock: number; usBond: number; foreignBond: number };
  metadata: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface SimTransaction {
  guid: string;
  accountGuid: string;
  memberGuid: string;
  userGuid: string;
  amount: number;
  type: 'DEBIT' | 'CREDIT';
  status: 'POSTED' | 'PENDING';
  date: Day;
  transactedAt: number;
  postedAt: number | null;
  createdAt: number;
  updatedAt: number;
  description: string;
  categoryGuid: string;
  topLevelCategoryGuid: string;
  /** Set by an end user's edit (update transaction, create manual transaction); absent: null. */
  memo?: string | null;
  metadata?: string | null;
  isHidden?: boolean;
  /** The transaction rule that last re-categorised it (`user_transaction_rule_guid` on GET /transactions). */
  ruleGuid?: string | null;
}

export interface SimBeat {
  guid: string;
  userGuid: string;
  template: string;
  title: string;
  description: string;
  digest: string;
  accountGuids: string[];
  primaryAccountGuid: string;
  primaryTransactionGuid: string;
  transactionGuids: string[];
  displayedAt: number | null;
  isDismissed: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface SimIterationItem {
  guid: string;
  iterationGuid: string;
  userGuid: string;
  categoryGuid: string;
  topLevelCategoryGuid: string;
  /** MX's item_type code: 0 recurring expense, 1 planned expense, 2 other expense, 3 income. */
  itemType: 0 | 1 | 2 | 3;
  plannedAmount: number;
  actualAmount: number;
  transactionGuids: string[];
  /** Set by update iteration item; absent: null. */
  scheduledPaymentGuid?: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface SimIteration {
  guid: string;
  spendingPlanGuid: string;
  userGuid: string;
  number: number;
  startOn: Day;
  endOn: Day;
  createdAt: number;
  updatedAt: number;
  /** Only the current (last) iteration has items. */
  items: SimIterationItem[];
}

export interface SimSpendingPlanAccount {
  guid: string;
  spendingPlanGuid: string;
  accountGuid: string;
  clientGuid: string;
  userGuid: string;
  createdAt: number;
  updatedAt: number;
}

export interface SimSpendingPlan {
  guid: string;
  userGuid: string;
  createdAt: number;
  updatedAt: number;
  /** Oldest first; the last one is current. */
  iterations: SimIteration[];
  accounts: SimSpendingPlanAccount[];
}

/** Everything a user can read besides members, each list in the order Nexus lists it. */
export interface UserReadData {
  accounts: SimAccount[];
  /** Newest date first, then by guid. */
  transactions: SimTransaction[];
  /** Newest first, then by guid. */
  beats: SimBeat[];
  spendingPlans: SimSpendingPlan[];
  /** On the investment account (seed-profiles.ts `investments`), by symbol. */
  holdings: SimHolding[];
}

export const NO_READ_DATA: UserReadData = { accounts: [], transactions: [], beats: [], spendingPlans: [], holdings: [] };

/** Plain code-unit order (not locale-aware), so list order and hence paging are the same everywhere. */
export const compareCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export const currentIteration = (plan: SimSpendingPlan): SimIteration => plan.iterations[plan.iterations.length - 1]!;
