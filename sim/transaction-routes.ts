import { DAY_MS, dayOf, startOfDay } from './calendar.ts';
import { categoryNameOf, merchantOfDescription } from './pfm-store.ts';
import type { MxRequest, MxRoute } from './mx-endpoint.ts';
import { filterByUseCase, isWithin, parseDayRange, parseUseCaseFilter } from './read-filters.ts';
import type { SimTransaction } from './read-model.ts';
import { nexusTransactionView, pagedListBody } from './read-views.ts';
import { userEndpoint } from './session-routes.ts';
import type { SimulatorState } from './state.ts';

/** Reads a route's path parameters (throwing 400 on bad ones) into the test its transactions must pass. */
type TransactionSelector = (params: MxRequest['params']) => (transaction: SimTransaction) => boolean;

/**
 * `from_date` and `to_date` (`YYYY-MM-DD`, by the transaction's `date`): MX defaults them to 120 days before and 5 days
 * after the day of the request (MX's list transactions and list account transactions pages), the simulator's clock's
 * day. 400 when one is not a day, or the range is reversed.
 */
export const byDateQuery = (query: URLSearchParams, now: number): ((transaction: SimTransaction) => boolean) => {
  const today = startOfDay(dayOf(now));
  const from = query.get('from_date') ?? dayOf(today - DEFAULT_DAYS_BACK * DAY_MS);
  const to = query.get('to_date') ?? dayOf(today + DEFAULT_DAYS_AHEAD * DAY_MS);
  const range = parseDayRange(from, to, ['from_date', 'to_date']);
  return (transaction) => isWithin(transaction.date, range);
};

const DEFAULT_DAYS_BACK = 120;
const DEFAULT_DAYS_AHEAD = 5;

/**
 * GET /transactions' other filters (MX's list transactions page): `account_guid`, repeated `account_guids[]` (a
 * transaction of any account named is kept) and `user_transaction_rule_guid` (the transactions a rule applied to).
 */
const byListFilters = (query: URLSearchParams): ((transaction: SimTransaction) => boolean) => {
  const accounts = [...query.getAll('account_guid'), ...query.getAll('account_guids[]')];
  const rule = query.get('user_transaction_rule_guid');
  return (transaction) =>
    (accounts.length === 0 || accounts.includes(transaction.accountGuid)) && (rule === null || transaction.ruleGuid === rule);
};

const byCategoryAndDate: TransactionSelector = ({ category_guid, start_date, end_date }) => {
  const range = parseDayRange(start_date, end_date);
  return (transaction) => transaction.categoryGuid === category_guid && isWithin(transaction.date, range);
};

/** `{top_level_category_guids}` is a comma-separated list. */
const byTopLevelCategoriesAndDate: TransactionSelector = ({ top_level_category_guids, start_date, end_date }) => {
  const range = parseDayRange(start_date, end_date);
  const guids = new Set((top_level_category_guids ?? '').split(',').map((guid) => guid.trim()));
  return (transaction) => guids.has(transaction.topLevelCategoryGuid) && isWithin(transaction.date, range);
};

const createdBetween: TransactionSelector = ({ start_date, end_date }) => {
  const range = parseDayRange(start_date, end_date);
  return (transaction) => isWithin(dayOf(transaction.createdAt), range);
};

const updatedBetween: TransactionSelector = ({ start_date, end_date }) => {
  const range = parseDayRange(start_date, end_date);
  return (transaction) => isWithin(dayOf(transaction.updatedAt), range);
};

/** Nexus transaction lists: each takes `use_case` and paging; the dated ones take inclusive `YYYY-MM-DD` ranges. */
export function transactionRoutes(state: SimulatorState): MxRoute[] {
  const transactionList = (pattern: string, select: TransactionSelector): MxRoute => ({
    methods: ['GET'],
    pattern,
    handler: userEndpoint(state, ({ params, query }, user) => {
      const useCase = parseUseCaseFilter(query);
      const inRange = pattern === '/transactions' ? byDateQuery(query, state.clock.now()) : () => true;
      const filtered = pattern === '/transactions' ? byListFilters(query) : () => true;
      const selected = state.transactions.transactionsOf(user).filter((t) => select(params)(t) && inRange(t) && filtered(t));
      const kept = filterByUseCase(selected, state.members.membersOf(user), useCase);
      const name = categoryNameOf(state, user);
      const merchant = merchantOfDescription(state);
      const view = (t: SimTransaction) => nexusTransactionView(t, name(t.categoryGuid), merchant(t.description));
      return { status: 200, body: pagedListBody('transactions', kept, view, query) };
    }),
  });

  return [
    transactionList('/transactions', () => () => true),
    transactionList('/transactions/by_category_guid/{category_guid}/by_date/{start_date}/{end_date}', byCategoryAndDate),
    transactionList(
      '/transactions/by_top_level_category_guid/{top_level_category_guids}/by_date/{start_date}/{end_date}',
      byTopLevelCategoriesAndDate,
    ),
    transactionList('/transactions/created_between/{start_date}/{end_date}', createdBetween),
    transactionList('/transactions/updated_between/{start_date}/{end_date}', updatedBetween),
  ];
}
