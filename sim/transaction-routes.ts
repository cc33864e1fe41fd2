import { dayOf } from './calendar.ts';
import type { MxRequest, MxRoute } from './mx-endpoint.ts';
import { filterByUseCase, isWithin, parseDayRange, parseUseCaseFilter } from './read-filters.ts';
import type { SimTransaction } from './read-model.ts';
import { pagedListBody, transactionView } from './read-views.ts';
import { userEndpoint } from './session-routes.ts';
import type { SimulatorState } from './state.ts';

/** Reads a route's path parameters (throwing 400 on bad ones) into the test its transactions must pass. */
type TransactionSelector = (params: MxRequest['params']) => (transaction: SimTransaction) => boolean;

/**
 * `GET /transactions`: `from_date` and `to_date` (`YYYY-MM-DD`, by the transaction's `date`) keep a range when given.
 * MX defaults them to 120 days ago and 5 days ahead; the simulator keeps every transaction when they are absent, as
 * its seeded history is dated as of the hour it started rather than the clock's today.
 */
const byDateQuery = (query: URLSearchParams): ((transaction: SimTransaction) => boolean) => {
  const from = query.get('from_date');
  const to = query.get('to_date');
  if (from === null && to === null) return () => true;
  const range = parseDayRange(from ?? '0001-01-01', to ?? '9999-12-31', ['from_date', 'to_date']);
  return (transaction) => isWithin(transaction.date, range);
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
      const inRange = pattern === '/transactions' ? byDateQuery(query) : () => true;
      const selected = state.transactions.transactionsOf(user).filter((t) => select(params)(t) && inRange(t));
      const kept = filterByUseCase(selected, state.members.membersOf(user), useCase);
      return { status: 200, body: pagedListBody('transactions', kept, transactionView, query) };
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
