/**
 * `paged`: `page`, `records_per_page`; `filtered`: those plus `use_case`, on exactly the endpoints MX lists as accepting
 * it; `search`: paging plus `name`.
 */
export type ReadQuery = 'none' | 'paged' | 'filtered' | 'search';

export interface ReadEndpoint {
  /** MX's path template, served under `/users/{user_id}` (the MX session fixes the user). */
  path: string;
  query: ReadQuery;
  summary: string;
  /** Account numbers and owners: the most sensitive data the relay passes. */
  sensitive?: true;
}

/** How `search` reads reach MX: MX recommends search institutions over its deprecated list institutions. */
export const INSTITUTION_SEARCH = { method: 'POST', route: '/institutions/search' } as const;

const plan = '/spending_plans/{spending_plan_guid}';
const byDate = '/by_date/{start_date}/{end_date}';

/** The Nexus reads nexus-relay serves; routes, validation and MX calls all derive from this list. */
export const READ_ENDPOINTS: readonly ReadEndpoint[] = [
  { path: '/beats', query: 'paged', summary: 'List beats (deprecated by MX)' },
  { path: '/beats/{beat_guid}', query: 'none', summary: 'Read a beat' },
  { path: '/spending_plans', query: 'paged', summary: 'List spending plans' },
  { path: plan, query: 'none', summary: 'Read a spending plan' },
  { path: `${plan}/iterations`, query: 'paged', summary: "List a spending plan's iterations" },
  { path: `${plan}/iterations/current`, query: 'none', summary: 'Read the current iteration' },
  { path: `${plan}/iterations/current/iteration_items`, query: 'paged', summary: "List the current iteration's items" },
  { path: `${plan}/spending_plan_account`, query: 'paged', summary: "List a spending plan's accounts" },
  { path: `${plan}/spending_plan_account/{spending_plan_account_guid}`, query: 'none', summary: 'Read a spending plan account' },
  { path: '/institutions', query: 'search', summary: 'Search institutions by name, to build a member’s credentials' },
  { path: '/institutions/{institution_guid}', query: 'none', summary: 'Read an institution: what it supports, OAuth included' },
  {
    path: '/institutions/{institution_guid}/credentials',
    query: 'none',
    summary: 'The credentials an institution asks for (each guid, label and type), for creating a member',
  },
  { path: '/members', query: 'filtered', summary: 'List members' },
  { path: '/members/{member_guid}', query: 'none', summary: 'Read a member' },
  { path: '/accounts', query: 'filtered', summary: 'List accounts' },
  { path: '/accounts/partner_created', query: 'filtered', summary: 'List accounts created by the partner' },
  { path: '/accounts/user_created', query: 'filtered', summary: 'List accounts created by the user' },
  // What MX's premium jobs gather. The per-member path is unconfirmed: MX's pages show only the per-account one.
  {
    path: '/members/{member_guid}/account_numbers',
    query: 'none',
    summary: "A verified member's account and routing numbers",
    sensitive: true,
  },
  {
    path: '/accounts/{account_guid}/account_number',
    query: 'none',
    summary: "A verified account's account and routing numbers",
    sensitive: true,
  },
  {
    path: '/members/{member_guid}/account_owners',
    query: 'none',
    summary: "An identified member's account owners",
    sensitive: true,
  },
  { path: '/transactions', query: 'filtered', summary: 'List transactions' },
  {
    path: `/transactions/by_category_guid/{category_guid}${byDate}`,
    query: 'filtered',
    summary: 'List transactions of a category between two dates',
  },
  {
    path: `/transactions/by_top_level_category_guid/{top_level_category_guids}${byDate}`,
    query: 'filtered',
    summary: 'List transactions of top-level categories between two dates',
  },
  {
    path: '/transactions/created_between/{start_date}/{end_date}',
    query: 'filtered',
    summary: 'List transactions created between two dates',
  },
  {
    path: '/transactions/updated_between/{start_date}/{end_date}',
    query: 'filtered',
    summary: 'List transactions updated between two dates',
  },
];
