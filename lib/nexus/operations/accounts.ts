import * as z from '../../zod.ts';
import { filtered, guid, note, optional, paged, read, rooted, text, write } from '../operation.ts';

/** Accounts, their balances, numbers and owners (Nexus's accounts, verification and identity tags). */
export const ACCOUNT_OPERATIONS = [
  read('/accounts', 'list-accounts', 'List accounts', filtered),
  read('/accounts/partner_created', 'list-partner-accounts', 'List accounts created by the partner', filtered),
  read('/accounts/user_created', 'list-user-accounts', 'List accounts created by the user', filtered),
  read('/accounts/{account_guid}', 'read-account', 'Read an account'),
  read('/members/{member_guid}/accounts', 'list-member-accounts', "List a member's accounts", paged),
  read('/accounts/{account_guid}/monthly_account_balance', 'list-account-balancesby-month', "An account's balance each month", {
    query: ['from_date', 'to_date'],
  }),
  write(
    'POST',
    '/accounts',
    'create-manual-accounts',
    'Create a manual account (the user’s own)',
    rooted('account', { name: text() }),
  ),
  write(
    'PUT',
    '/accounts/{account_guid}',
    'update-account',
    'Update an account (its name, whether hidden)',
    rooted('account', optional({ name: text(), is_hidden: z.boolean(), metadata: note })),
  ),
  write('DELETE', '/accounts/{account_guid}', 'delete-manual-account', 'Delete a manual account'),
  write(
    'PUT',
    '/accounts/merge',
    'merge-duplicate-accounts',
    'Merge two accounts that are the same (one from a member the user manages)',
    z.strictObject({ accounts: z.array(guid('ACT')).check(z.length(2)) }),
  ),
  write('PUT', '/accounts/{account_guid}/block', 'block-account', 'Block an aggregated account'),
  // What MX's premium jobs gather (the per-member path is UNCONFIRMED): kept nowhere by the relay.
  read(
    '/members/{member_guid}/account_numbers',
    'list-account-numbers-by-member',
    "A verified member's account and routing numbers",
    {
      sensitive: true,
    },
  ),
  read(
    '/accounts/{account_guid}/account_number',
    'read-account-numbers-by-account',
    "A verified account's account and routing numbers",
    {
      sensitive: true,
    },
  ),
  read('/members/{member_guid}/account_owners', 'list-account-owners', "An identified member's account owners", {
    sensitive: true,
  }),
];
