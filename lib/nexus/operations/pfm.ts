import * as z from '../../zod.ts';
import { amount, guid, note, optional, paged, read, rooted, text, write } from '../operation.ts';

const rule = { category_guid: guid('CAT'), match_description: text(), description: text(), metadata: note };
const budget = { category_guid: guid('CAT'), amount, metadata: note, skip_webhook: z.boolean() };
const goal = { name: text(), amount, account_guid: guid('ACT'), meta_type_name: text(40), metadata: note };
const seen = optional({ has_been_displayed: z.boolean(), is_dismissed: z.boolean() });

/** What a PFM app keeps for its user: categories, rules, tags, budgets, goals, holdings, insights, merchants, cash flow. */
export const PFM_OPERATIONS = [
  read('/categories', 'list-categories', "List categories: MX's and the user's own", paged),
  read('/categories/{category_guid}', 'read-category', 'Read a category'),
  write(
    'POST',
    '/categories',
    'create-subcategory',
    'Create a custom category under a default top-level one',
    rooted('category', { name: text(), parent_guid: guid('CAT'), metadata: z.optional(note) }),
  ),
  write(
    'PUT',
    '/categories/{category_guid}',
    'update-subcategory',
    'Update a custom category',
    rooted('category', optional({ name: text(), metadata: note })),
  ),
  write('DELETE', '/categories/{category_guid}', 'delete-subcategory', 'Delete a custom category'),
  read(
    '/date_range_category_totals/from/{start_date}/to/{end_date}',
    'list-category-totals-by-date-range',
    'Spending per category between two dates',
  ),

  read('/transaction_rules', 'list-transaction-rules', 'List transaction rules', paged),
  read('/transaction_rules/{transaction_rule_guid}', 'read-transaction-rule', 'Read a transaction rule'),
  write(
    'POST',
    '/transaction_rules',
    'create-transaction-rule',
    'Create a rule that categorises the transactions it matches (each `modified` in the next sync)',
    rooted('transaction_rule', {
      ...optional(rule),
      category_guid: rule.category_guid,
      match_description: rule.match_description,
    }),
  ),
  write(
    'PUT',
    '/transaction_rules/{transaction_rule_guid}',
    'update-transaction-rule',
    'Update a transaction rule',
    rooted('transaction_rule', optional(rule)),
  ),
  write('DELETE', '/transaction_rules/{transaction_rule_guid}', 'delete-transaction-rule', 'Delete a transaction rule'),

  // MX: tags are "created and managed by end users through MX's widgets or mobile platform": apps read them.
  read('/tags', 'list-tags', 'List tags (the user makes them in MX’s widgets)', paged),
  read('/taggings', 'list-taggings', 'List taggings: which tag is on which transaction', paged),

  read('/budgets', 'list-budgets', 'List budgets', paged),
  read('/budgets/{budget_guid}', 'read-budget', 'Read a budget'),
  write(
    'POST',
    '/budgets',
    'create-budget',
    'Create a budget for a category',
    rooted('budget', { ...optional(budget), category_guid: budget.category_guid, amount }),
  ),
  write('PUT', '/budgets/{budget_guid}', 'update-budget', 'Update a budget', rooted('budget', optional(budget))),
  write('DELETE', '/budgets/{budget_guid}', 'delete-budget', 'Delete a budget'),
  write('POST', '/budgets/generate', 'generate-budgets', "Budgets MX generates from the user's spending"),

  read('/goals', 'list-goals', 'List goals', paged),
  read('/goals/{goal_guid}', 'read-goal', 'Read a goal'),
  write(
    'POST',
    '/goals',
    'create-goal',
    'Create a goal (MX: the cash flow profile must fund goals)',
    rooted('goal', { ...optional(goal), name: goal.name, amount }),
  ),
  write(
    'PUT',
    '/goals/reposition',
    'reposition-goals',
    'Reorder goals',
    z.looseObject({ goals: z.array(z.looseObject({ guid: text(80) })) }),
  ),
  write('PUT', '/goals/{goal_guid}', 'update-goal', 'Update a goal', rooted('goal', optional(goal))),
  write('DELETE', '/goals/{goal_guid}', 'delete-goal', 'Delete a goal'),

  read('/holdings', 'list-holdings', 'List holdings', paged),
  read('/holdings/{holding_guid}', 'read-holding', 'Read a holding'),
  write(
    'PUT',
    '/holdings/{holding_guid}',
    'update-holding',
    "Update a holding's cost basis",
    rooted(
      'holding',
      optional({
        cost_basis: amount,
        currency_code: z.string().check(z.regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code')),
        metadata: note,
      }),
    ),
  ),

  read('/insights', 'list-insights', 'List insights', paged),
  read('/insights/{insight_guid}', 'read-insight', 'Read an insight'),
  write('PUT', '/insights/{insight_guid}', 'update-insight', 'Mark an insight displayed or dismissed', rooted('insight', seen)),
  read('/accounts/{account_guid}/insights', 'list-insights-by-account', "An account's insights", paged),
  read('/transactions/{transaction_guid}/insights', 'list-insights-by-transaction', "A transaction's insights", paged),

  read('/merchants', 'list-merchants', 'List merchants', paged),
  read('/merchants/{merchant_guid}', 'read-merchant', 'Read a merchant'),
  read('/merchant_locations/{merchant_location_guid}', 'read-merchant-location', 'Read a merchant location'),

  read('/monthly_cash_flow_profile', 'read-monthly-cash-flow-profile', 'Read the monthly cash flow profile'),
  write(
    'PUT',
    '/monthly_cash_flow_profile',
    'update-monthly-cash-flow-profile',
    'Update the monthly cash flow profile (what goes to goals)',
    rooted('monthly_cash_flow_profile', optional({ goals_contribution: amount, uses_estimated_goals_contribution: z.boolean() })),
  ),
];

/** Beats: deprecated by MX for insights, kept for the apps built on them. */
export const BEAT_OPERATIONS = [
  read('/beats', 'list-beats', 'List beats (deprecated by MX: use insights)', { ...paged, deprecated: true }),
  read('/beats/{beat_guid}', 'read-beat', 'Read a beat (deprecated by MX)', { deprecated: true }),
  {
    ...write(
      'PUT',
      '/beats/{beat_guid}',
      'update-beat',
      'Mark a beat displayed or dismissed (deprecated by MX)',
      rooted('beat', seen),
    ),
    deprecated: true as const,
  },
];
