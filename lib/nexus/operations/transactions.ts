import * as z from '../../zod.ts';
import { amount, dated, guid, note, optional, read, rooted, text, write } from '../operation.ts';

const filtered = ['page', 'records_per_page', 'use_case', 'account_guids'] as const;
const byDate = '/by_date/{start_date}/{end_date}';
const windowed = '(MX’s window unless dated: 120 days back, 5 ahead)';

/** Transactions: lists, one, the user's changes, and manual accounts' own. */
export const TRANSACTION_OPERATIONS = [
  read('/transactions', 'list-transactions', `List transactions ${windowed}`, {
    query: ['page', 'records_per_page', 'use_case', ...dated, 'account_guid', 'account_guids', 'user_transaction_rule_guid'],
  }),
  read('/accounts/{account_guid}/transactions', 'list-account-transactions', `List an account's transactions ${windowed}`, {
    query: ['page', 'records_per_page', ...dated],
  }),
  read(
    '/accounts/{account_guid}/transactions/created_between/{start_date}/{end_date}',
    'list-account-transactions-created-between-two-dates',
    "List an account's transactions created between two dates",
    { query: ['page', 'records_per_page'] },
  ),
  read(
    `/transactions/by_category_guid/{category_guid}${byDate}`,
    'list-transactions-by-category-and-date',
    'List a category’s transactions between two dates',
    {
      query: filtered,
    },
  ),
  read(
    `/transactions/by_top_level_category_guid/{top_level_category_guids}${byDate}`,
    'list-transactions-by-top-level-category-and-date',
    'List transactions of top-level categories between two dates',
    { query: filtered },
  ),
  read(
    '/transactions/created_between/{start_date}/{end_date}',
    'list-transactions-created-between-dates',
    'List transactions created between two dates',
    {
      query: [...filtered, 'user_transaction_rule_guid'],
    },
  ),
  read(
    '/transactions/updated_between/{start_date}/{end_date}',
    'list-transactions-updated-between-dates',
    'List transactions updated between two dates',
    {
      query: filtered,
    },
  ),
  read('/transactions/{transaction_guid}', 'read-transaction', 'Read a transaction'),
  write(
    'PUT',
    '/transactions/{transaction_guid}',
    'update-transaction',
    'Update a transaction (category, description, memo): `modified` in the next sync',
    rooted(
      'transaction',
      optional({ category_guid: guid('CAT'), description: text(), memo: note, metadata: note, is_hidden: z.boolean() }),
    ),
  ),
  write(
    'POST',
    '/accounts/{account_guid}/transactions',
    'create-manual-transaction',
    'Create a transaction on a manual account',
    rooted('transaction', optional({ amount, description: text(), category_guid: guid('CAT'), memo: note })),
  ),
  write(
    'DELETE',
    '/accounts/{account_guid}/transactions/{transaction_guid}',
    'delete-manual-transaction',
    'Delete a manual transaction',
  ),
  write(
    'POST',
    '/transactions/categorize_and_describe',
    'categorize-transactions',
    'Categorise and describe transactions the app holds (MX keeps none of them)',
    z.strictObject({
      transactions: z.array(z.looseObject({ amount, description: text() })).check(z.minLength(1), z.maxLength(100)),
    }),
  ),
];
