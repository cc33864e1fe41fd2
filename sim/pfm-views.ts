import { toIso } from './clock.ts';
import { isoOrNull } from './calendar.ts';
import type { SimUser } from './members.ts';
import {
  type BudgetFigures,
  type CashFlowFigures,
  type CategoryRecord,
  type GoalFigures,
  type SimBudget,
  type SimCashFlowProfile,
  type SimGoal,
  type SimInsight,
  type SimMerchant,
  type SimMerchantLocation,
  type SimTag,
  type SimTagging,
  type SimTransactionRule,
} from './pfm-store.ts';

// The PFM records as Nexus returns them: the fields of MX's examples (or, where the page's example was not found, of
// the Platform API's field lists), in the examples' formats.

/** MX's categories overview: a default category has null timestamps and metadata; a top-level one a null parent. */
export const categoryView = (category: CategoryRecord) => ({
  created_at: isoOrNull(category.createdAt),
  guid: category.guid,
  is_default: category.isDefault,
  is_income: category.isIncome,
  metadata: category.metadata,
  name: category.name,
  parent_guid: category.parentGuid,
  updated_at: isoOrNull(category.updatedAt),
});

export const tagView = (user: SimUser) => (tag: SimTag) => ({ guid: tag.guid, name: tag.name, user_guid: user.guid });

/** Seeded members were not created through Nexus, so none is "managed by the user" (MX's taggings page). */
export const taggingView = (user: SimUser) => (tagging: SimTagging) => ({
  guid: tagging.guid,
  member_is_managed_by_user: false,
  tag_guid: tagging.tagGuid,
  transaction_guid: tagging.transactionGuid,
  user_guid: user.guid,
});

/** MX's create transaction rule example, plus `metadata` (the Platform API's field list). */
export const transactionRuleView = (user: SimUser) => (rule: SimTransactionRule) => ({
  category_guid: rule.categoryGuid,
  created_at: toIso(rule.createdAt),
  description: rule.description,
  guid: rule.guid,
  match_description: rule.matchDescription,
  metadata: rule.metadata,
  updated_at: toIso(rule.updatedAt),
  user_guid: user.guid,
});

export const budgetView = (user: SimUser, budget: SimBudget, category: CategoryRecord, figures: BudgetFigures) => ({
  amount: budget.amount,
  category_guid: budget.categoryGuid,
  created_at: toIso(budget.createdAt),
  guid: budget.guid,
  is_exceeded: figures.isExceeded,
  is_off_track: figures.isOffTrack,
  metadata: budget.metadata,
  name: category.name,
  off_track_percentage: figures.offTrackPercentage,
  parent_guid: category.parentGuid,
  percent_spent: figures.percentSpent,
  projected_spending: figures.projectedSpending,
  revision: budget.revision,
  transaction_total: figures.transactionTotal,
  updated_at: toIso(budget.updatedAt),
  user_guid: user.guid,
});

/** MX's list goals example (its read goal example is the same record with fewer fields). */
export const goalView = (user: SimUser, goal: SimGoal, figures: GoalFigures) => ({
  account_guid: goal.accountGuid,
  amount: goal.amount,
  current_amount: figures.currentAmount,
  guid: goal.guid,
  goal_type_name: goal.goalTypeName,
  meta_type_name: goal.metaTypeName,
  name: goal.name,
  completed_at: isoOrNull(goal.completedAt),
  has_been_spent: goal.hasBeenSpent,
  is_complete: figures.isComplete,
  metadata: goal.metadata,
  position: goal.position,
  projected_to_complete_at: isoOrNull(figures.projectedToCompleteAt),
  user_guid: user.guid,
  track_type_name: figures.trackTypeName,
});

/**
 * The Platform API's insight fields (its insights overview; no Nexus insights page was found), filled from the beat
 * the insight is about.
 */
export const insightView = (user: SimUser, clientGuid: string) => (insight: SimInsight) => ({
  active_at: toIso(insight.activeAt),
  client_guid: clientGuid,
  created_at: toIso(insight.createdAt),
  cta_clicked_at: isoOrNull(insight.ctaClickedAt),
  description: insight.beat.description,
  guid: insight.guid,
  has_associated_accounts: insight.beat.accountGuids.length > 0,
  has_associated_merchants: false,
  has_associated_scheduled_payments: false,
  has_associated_transactions: insight.beat.transactionGuids.length > 0,
  has_been_displayed: insight.displayed,
  is_dismissed: insight.dismissed,
  micro_call_to_action: null,
  micro_description: insight.beat.description.slice(0, 300),
  micro_title: insight.beat.title.slice(0, 60),
  template: insight.beat.template,
  title: insight.beat.title,
  updated_at: toIso(insight.updatedAt),
  user_guid: user.guid,
});

export const merchantView = (merchant: SimMerchant) => ({
  guid: merchant.guid,
  logo_updated_at: null,
  logo_url: `https://content.mx.com/logos/merchants/${merchant.guid}.png`,
  name: merchant.name,
  updated_at: toIso(merchant.updatedAt),
  website_url: merchant.websiteUrl,
  created_at: toIso(merchant.createdAt),
});

export const merchantLocationView = (location: SimMerchantLocation) => ({
  city: location.city,
  country: 'United States',
  created_at: toIso(location.createdAt),
  guid: location.guid,
  latitude: location.latitude,
  longitude: location.longitude,
  merchant_guid: location.merchantGuid,
  phone_number: location.phoneNumber,
  postal_code: location.postalCode,
  region_code: location.regionCode,
  street_address: location.streetAddress,
  updated_at: toIso(location.createdAt),
});

export const cashFlowProfileView = (user: SimUser, profile: SimCashFlowProfile, figures: CashFlowFigures) => ({
  guid: profile.guid,
  user_guid: user.guid,
  budgeted_income: figures.budgetedIncome,
  budgeted_expenses: figures.budgetedExpenses,
  goals_contribution: profile.goalsContribution,
  estimated_goals_contribution: figures.estimatedGoalsContribution,
  uses_estimated_goals_contribution: profile.usesEstimatedGoalsContribution,
});
