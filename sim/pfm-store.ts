import { type DefaultTopLevelCategory, UNCATEGORIZED_GUID, defaultCategoryTree } from './category-catalog.ts';
import { DAY_MS, type Day, HOUR_MS, dayOf, monthContaining, startOfDay } from './calendar.ts';
import { type FixtureDraws, createFixtureDraws } from './fixture-draws.ts';
import { generateBeats } from './fixtures-beats.ts';
import { type SimUser, hasUseCase } from './members.ts';
import { MxError } from './mx-errors.ts';
import { type SimAccount, type SimBeat, type SimTransaction, compareCodeUnits } from './read-model.ts';
import type { SimulatorState } from './state.ts';

/**
 * The PFM resources of each user (categories of their own, tags and taggings, transaction rules, budgets, goals,
 * insights, the monthly cash flow profile) and the merchants every user reads. Kept beside the simulator's state,
 * keyed by it, so that the rest of the simulator does not change for them; each user's are seeded on first use from a
 * stream of their own (the seed's user guid hashed), so a seed replays them and the writes' guids, exactly.
 */

export interface SimCustomCategory {
  guid: string;
  name: string;
  parentGuid: string;
  metadata: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface SimTag {
  guid: string;
  name: string;
}

export interface SimTagging {
  guid: string;
  tagGuid: string;
  transactionGuid: string;
}

export interface SimTransactionRule {
  guid: string;
  categoryGuid: string;
  matchDescription: string;
  description: string | null;
  metadata: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface SimBudget {
  guid: string;
  categoryGuid: string;
  amount: number;
  metadata: string | null;
  revision: number;
  createdAt: number;
  updatedAt: number;
}

export type GoalTypeName = 'SAVE_AMOUNT' | 'PAYOFF';

export interface SimGoal {
  guid: string;
  accountGuid: string;
  amount: number;
  goalTypeName: GoalTypeName;
  metaTypeName: string;
  name: string;
  metadata: string | null;
  position: number;
  completedAt: number | null;
  hasBeenSpent: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface SimInsight {
  guid: string;
  beat: SimBeat;
  activeAt: number;
  ctaClickedAt: number | null;
  displayed: boolean;
  dismissed: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface SimCashFlowProfile {
  guid: string;
  goalsContribution: number;
  usesEstimatedGoalsContribution: boolean;
}

export interface UserPfm {
  draws: FixtureDraws;
  customCategories: SimCustomCategory[];
  tags: SimTag[];
  taggings: SimTagging[];
  rules: SimTransactionRule[];
  budgets: SimBudget[];
  goals: SimGoal[];
  insights: SimInsight[];
  profile: SimCashFlowProfile;
}

export interface SimMerchant {
  guid: string;
  name: string;
  websiteUrl: string;
  createdAt: number;
  updatedAt: number;
  location: SimMerchantLocation;
}

export interface SimMerchantLocation {
  guid: string;
  merchantGuid: string;
  streetAddress: string;
  city: string;
  regionCode: string;
  postalCode: string;
  phoneNumber: string;
  latitude: number;
  longitude: number;
  createdAt: number;
}

interface PfmWorld {
  users: Map<string, UserPfm>;
  merchants: SimMerchant[];
  clientGuid: string;
}

const worlds = new WeakMap<SimulatorState, PfmWorld>();

const PFM_SALT = 0x7f4a_7c15;
const MERCHANT_SALT = 0x1b87_3593;

/** FNV-1a (32 bits) over the code units. */
function fnv1a(text: string): number {
  let hash = 0x811c_9dc5;
  for (let index = 0; index < text.length; index++) hash = Math.imul(hash ^ text.charCodeAt(index), 0x0100_0193) >>> 0;
  return hash;
}

const round2 = (value: number): number => Math.round(value * 100) / 100;

function worldOf(state: SimulatorState): PfmWorld {
  let world = worlds.get(state);
  if (!world) {
    const anchor = state.seedData.categories[0]?.guid ?? 'CAT';
    const draws = createFixtureDraws(fnv1a(anchor) ^ MERCHANT_SALT);
    const seededClient = state.seedData.users.flatMap((user) => user.data.spendingPlans).flatMap((plan) => plan.accounts)[0];
    world = {
      users: new Map(),
      merchants: generateMerchants(draws, state),
      clientGuid: seededClient?.clientGuid ?? draws.newGuid('CLT'),
    };
    worlds.set(state, world);
  }
  return world;
}

/** The user's PFM resources, seeded on first use. */
export function pfmOf(state: SimulatorState, user: SimUser): UserPfm {
  const world = worldOf(state);
  let pfm = world.users.get(user.id);
  if (!pfm) {
    pfm = seedUserPfm(state, user);
    world.users.set(user.id, pfm);
  }
  return pfm;
}

export const merchantsOf = (state: SimulatorState): SimMerchant[] => worldOf(state).merchants;
/** The merchant a transaction's description names, as the transaction views carry it. */
export function merchantOfDescription(
  state: SimulatorState,
): (description: string) => { guid: string; locationGuid: string } | null {
  const byName = new Map(
    merchantsOf(state).map((merchant) => [merchant.name, { guid: merchant.guid, locationGuid: merchant.location.guid }]),
  );
  return (description) => byName.get(description) ?? null;
}

export const clientGuidOf = (state: SimulatorState): string => worldOf(state).clientGuid;

// --- categories -------------------------------------------------------------------------------------------------

export interface CategoryRecord {
  guid: string;
  name: string;
  parentGuid: string | null;
  isDefault: boolean;
  isIncome: boolean;
  metadata: string | null;
  createdAt: number | null;
  updatedAt: number | null;
}

export const defaultTree = (state: SimulatorState): DefaultTopLevelCategory[] => defaultCategoryTree(state.seedData.categories);

/** MX's list categories: the defaults (top-level, then each one's subcategories) and the user's own. */
export function categoriesOf(state: SimulatorState, user: SimUser): CategoryRecord[] {
  const tree = defaultTree(state);
  const defaults = tree.flatMap((top) => [
    { guid: top.guid, name: top.name, parentGuid: null, kind: top.kind },
    ...top.children.map((child) => ({ guid: child.guid, name: child.name, parentGuid: top.guid, kind: top.kind })),
  ]);
  const incomeTop = new Set(tree.filter((top) => top.kind === 'income').map((top) => top.guid));
  return [
    ...defaults.map((category) => ({
      guid: category.guid,
      name: category.name,
      parentGuid: category.parentGuid,
      isDefault: true,
      isIncome: category.kind === 'income',
      metadata: null,
      createdAt: null,
      updatedAt: null,
    })),
    ...pfmOf(state, user).customCategories.map((custom) => ({
      guid: custom.guid,
      name: custom.name,
      parentGuid: custom.parentGuid,
      isDefault: false,
      isIncome: incomeTop.has(custom.parentGuid),
      metadata: custom.metadata,
      createdAt: custom.createdAt,
      updatedAt: custom.updatedAt,
    })),
  ];
}

/** The category a write names, or 400 naming the field. */
export function requireCategory(state: SimulatorState, user: SimUser, guid: string, field: string): CategoryRecord {
  const category = categoriesOf(state, user).find((candidate) => candidate.guid === guid);
  if (!category) throw new MxError(400, `${field} must name one of the user's categories.`);
  return category;
}

export const categoryNameOf = (state: SimulatorState, user: SimUser) => {
  const names = new Map(categoriesOf(state, user).map((category) => [category.guid, category.name]));
  return (guid: string): string | null => names.get(guid) ?? null;
};

/** A transaction filed under `category` (its top-level category is the category's parent, or itself). */
export function recategorised(transaction: SimTransaction, category: CategoryRecord): SimTransaction {
  return { ...transaction, categoryGuid: category.guid, topLevelCategoryGuid: category.parentGuid ?? category.guid };
}

// --- transactions -----------------------------------------------------------------------------------------------

export const transactionsOf = (state: SimulatorState, user: SimUser): SimTransaction[] => state.transactions.transactionsOf(user);

export function findTransaction(state: SimulatorState, user: SimUser, guid: string | undefined): SimTransaction {
  const transaction = transactionsOf(state, user).find((candidate) => candidate.guid === guid);
  if (!transaction) throw new MxError(404, 'Transaction not found.');
  return transaction;
}

export function findAccount(state: SimulatorState, user: SimUser, guid: string | undefined): SimAccount {
  const account = state.readSide.accountsOf(user).find((candidate) => candidate.guid === guid);
  if (!account) throw new MxError(404, 'Account not found.');
  return account;
}

/**
 * Applies a rule to every transaction of the user whose current description contains its `match_description`
 * (case-insensitive; MX's transaction rules guide): the rule's category, its description when it has one, and
 * `updated_at` now, so that MX's updated_between lists them.
 */
export function applyRule(state: SimulatorState, user: SimUser, rule: SimTransactionRule, now: number): number {
  const category = requireCategory(state, user, rule.categoryGuid, 'transaction_rule.category_guid');
  const needle = rule.matchDescription.toLowerCase();
  let count = 0;
  for (const transaction of transactionsOf(state, user)) {
    if (!transaction.description.toLowerCase().includes(needle)) continue;
    state.transactions.edit(user, {
      ...recategorised(transaction, category),
      description: rule.description ?? transaction.description,
      ruleGuid: rule.guid,
      updatedAt: now,
    });
    count += 1;
  }
  return count;
}

/** A rule's category or description changed: MX updates the transactions it applies to, past and future. */
export function reapplyRule(state: SimulatorState, user: SimUser, rule: SimTransactionRule, now: number): void {
  const category = requireCategory(state, user, rule.categoryGuid, 'transaction_rule.category_guid');
  for (const transaction of transactionsOf(state, user)) {
    if (transaction.ruleGuid !== rule.guid) continue;
    state.transactions.edit(user, {
      ...recategorised(transaction, category),
      description: rule.description ?? transaction.description,
      updatedAt: now,
    });
  }
}

// --- budgets ------------------------------------------------------------------------------------------------------

/** Whether `transaction` counts toward a budget on `categoryGuid`: filed under it, or under one of its subcategories. */
export const inCategory = (transaction: SimTransaction, categoryGuid: string): boolean =>
  transaction.categoryGuid === categoryGuid || transaction.topLevelCategoryGuid === categoryGuid;

export interface BudgetFigures {
  transactionTotal: number;
  percentSpent: number;
  projectedSpending: number;
  isExceeded: boolean;
  isOffTrack: boolean;
  offTrackPercentage: number;
}

/**
 * A budget's spending: the sum of the amounts of the user's transactions in its category (or its subcategories) dated
 * in the clock's current month, and what that projects to by the month's end at the same pace.
 */
export function budgetFigures(state: SimulatorState, user: SimUser, budget: SimBudget): BudgetFigures {
  const now = state.clock.now();
  const { firstDay, lastDay } = monthContaining(now, 0);
  const inMonth = (day: Day) => day >= firstDay && day <= lastDay;
  const total = round2(
    transactionsOf(state, user)
      .filter((transaction) => inMonth(transaction.date) && inCategory(transaction, budget.categoryGuid))
      .reduce((sum, transaction) => sum + transaction.amount, 0),
  );
  const daysInMonth = Number(lastDay.slice(8));
  const elapsedDays = Number(dayOf(now).slice(8));
  const projected = round2((total / elapsedDays) * daysInMonth);
  return {
    transactionTotal: total,
    percentSpent: budget.amount === 0 ? 0 : round2((total / budget.amount) * 100),
    projectedSpending: projected,
    isExceeded: total > budget.amount,
    isOffTrack: projected > budget.amount,
    offTrackPercentage: budget.amount === 0 ? 0 : Math.max(0, Math.round((projected / budget.amount - 1) * 100)),
  };
}

/** A category's totals per calendar month `monthsBack` months before the clock's. */
export function monthTotal(
  state: SimulatorState,
  user: SimUser,
  categoryGuid: string,
  monthsBack: number,
): { count: number; total: number } {
  const { firstDay, lastDay } = monthContaining(state.clock.now(), monthsBack);
  const kept = transactionsOf(state, user).filter(
    (transaction) => transaction.date >= firstDay && transaction.date <= lastDay && inCategory(transaction, categoryGuid),
  );
  return { count: kept.length, total: round2(kept.reduce((sum, transaction) => sum + transaction.amount, 0)) };
}

/** MX's generate budgets: the amount a top-level category gets from the two previous months (their average, up to 10). */
export const generatedAmount = (previous: number, beforeThat: number): number =>
  Math.max(10, Math.ceil((previous + beforeThat) / 2 / 10) * 10);

// --- cash flow and goals ------------------------------------------------------------------------------------------

export interface CashFlowFigures {
  budgetedIncome: number;
  budgetedExpenses: number;
  estimatedGoalsContribution: number | null;
}

/**
 * The profile's budgeted income and expenses are the user's budgets on income and on everything else (top-level ones,
 * so that a subcategory's budget, which its parent's holds, is not counted twice); the estimate is what is left.
 */
export function cashFlowFigures(state: SimulatorState, user: SimUser): CashFlowFigures {
  const categories = new Map(categoriesOf(state, user).map((category) => [category.guid, category]));
  const topLevel = pfmOf(state, user).budgets.filter((budget) => categories.get(budget.categoryGuid)?.parentGuid === null);
  const sum = (income: boolean) =>
    round2(
      topLevel
        .filter((budget) => categories.get(budget.categoryGuid)!.isIncome === income)
        .reduce((total, budget) => total + budget.amount, 0),
    );
  const budgetedIncome = sum(true);
  const budgetedExpenses = sum(false);
  return {
    budgetedIncome,
    budgetedExpenses,
    estimatedGoalsContribution: budgetedIncome === 0 ? null : round2(Math.max(0, budgetedIncome - budgetedExpenses)),
  };
}

/** The monthly amount going to goals: the estimate when the profile says to use it, else its own. */
export function goalsContributionInEffect(state: SimulatorState, user: SimUser): number {
  const { profile } = pfmOf(state, user);
  return profile.usesEstimatedGoalsContribution
    ? (cashFlowFigures(state, user).estimatedGoalsContribution ?? 0)
    : profile.goalsContribution;
}

/**
 * MX's monthly cash flow profile overview: "To create, update, or reposition a goal, the monthly_cash_flow_profile must
 * have a goals_contribution … greater than 0." The status is not documented: the simulator answers 422, as MX does for
 * the other refusal of its PFM writes it documents (generate budgets, 4221).
 */
export function requireGoalsContribution(state: SimulatorState, user: SimUser): void {
  if (goalsContributionInEffect(state, user) <= 0) {
    throw new MxError(
      422,
      'monthly_cash_flow_profile.goals_contribution must be greater than 0 to create, update or reposition goals.',
    );
  }
}

export interface GoalFigures {
  currentAmount: number;
  isComplete: boolean;
  projectedToCompleteAt: number | null;
  trackTypeName: string;
}

const TRACKS: Record<string, string> = { EMERGENCY_FUND: 'EMERGENCY_FUND_TRACK', RETIREMENT: 'RETIREMENT_TRACK' };

/**
 * A goal's progress from its account: saved so far is the account's balance (up to the goal); paid off, the goal's
 * amount less what the card still owes. It completes at the goals contribution's pace.
 */
export function goalFigures(state: SimulatorState, user: SimUser, goal: SimGoal): GoalFigures {
  const account = state.readSide.accountsOf(user).find((candidate) => candidate.guid === goal.accountGuid);
  const balance = account?.balance ?? 0;
  const current = round2(
    goal.goalTypeName === 'PAYOFF' ? Math.max(0, goal.amount - balance) : Math.min(goal.amount, Math.max(0, balance)),
  );
  const isComplete = goal.completedAt !== null || current >= goal.amount;
  const contribution = goalsContributionInEffect(state, user);
  const months = contribution > 0 ? Math.ceil((goal.amount - current) / contribution) : null;
  return {
    currentAmount: current,
    isComplete,
    // From the start of today: the same answer all day, as a projection in days is.
    projectedToCompleteAt: isComplete || months === null ? null : startOfDay(dayOf(state.clock.now())) + months * 30 * DAY_MS,
    trackTypeName: goal.goalTypeName === 'PAYOFF' ? 'DEBT_TRACK' : (TRACKS[goal.metaTypeName] ?? 'SAVINGS_TRACK'),
  };
}

export const goalsInOrder = (pfm: UserPfm): SimGoal[] =>
  [...pfm.goals].sort((a, b) => a.position - b.position || compareCodeUnits(a.guid, b.guid));

// --- seeding ------------------------------------------------------------------------------------------------------

const TAG_NAMES = ['Vacation', 'Reimbursable', 'Tax Deductible', 'Gifts'];

function seedUserPfm(state: SimulatorState, user: SimUser): UserPfm {
  const draws = createFixtureDraws(fnv1a(user.guid) ^ PFM_SALT);
  const asOf = state.seedData.asOf;
  const isPfm = state.members.membersOf(user).some((member) => hasUseCase(member, 'PFM'));
  const pfm: UserPfm = {
    draws,
    customCategories: [],
    tags: [],
    taggings: [],
    rules: [],
    budgets: [],
    goals: [],
    insights: [],
    profile: { guid: draws.newGuid('MCF'), goalsContribution: 50 * (2 + draws.int(5)), usesEstimatedGoalsContribution: false },
  };
  if (!isPfm) return pfm;

  const transactions = state.readSide.transactionsOf(user);
  const accounts = state.readSide.accountsOf(user);
  const tree = defaultTree(state);
  const food = tree.find((top) => top.name === 'Food & Dining');
  if (food) {
    pfm.customCategories.push({
      guid: draws.newGuid('CAT'),
      name: 'Farmers Market',
      parentGuid: food.guid,
      metadata: null,
      createdAt: asOf - 30 * DAY_MS,
      updatedAt: asOf - 30 * DAY_MS,
    });
  }

  // Tags the user made in MX's widgets, and a few transactions tagged with them.
  pfm.tags = TAG_NAMES.slice(0, 3).map((name) => ({ guid: draws.newGuid('TAG'), name }));
  if (transactions.length > 0) {
    for (const transaction of draws.shuffle(transactions).slice(0, Math.min(6, transactions.length))) {
      pfm.taggings.push({ guid: draws.newGuid('TGN'), tagGuid: draws.pick(pfm.tags).guid, transactionGuid: transaction.guid });
    }
  }

  // Budgets on the top-level categories the user spent in over the two months before the data's.
  const spendingTops = tree.filter((top) => top.kind !== 'income' && top.children.length > 0);
  const totalIn = (guid: string, monthsBack: number) => {
    const { firstDay, lastDay } = monthContaining(asOf, monthsBack);
    return transactions
      .filter((transaction) => transaction.date >= firstDay && transaction.date <= lastDay && inCategory(transaction, guid))
      .reduce((sum, transaction) => sum + transaction.amount, 0);
  };
  for (const top of [...spendingTops, ...tree.filter((candidate) => candidate.kind === 'income')]) {
    const previous = totalIn(top.guid, 1);
    const beforeThat = totalIn(top.guid, 2);
    if (previous === 0 || beforeThat === 0) continue;
    if (top.kind !== 'income' && pfm.budgets.length >= 4) continue;
    const createdAt = asOf - (20 + draws.int(40)) * DAY_MS;
    pfm.budgets.push({
      guid: draws.newGuid('BGT'),
      categoryGuid: top.guid,
      amount: generatedAmount(previous, beforeThat),
      metadata: null,
      revision: 1,
      createdAt,
      updatedAt: createdAt,
    });
  }

  // Goals on the user's accounts: a savings goal, and paying off a card.
  const saver = accounts.find((account) => account.type === 'SAVINGS') ?? accounts.find((account) => account.type === 'CHECKING');
  const card = accounts.find((account) => account.type === 'CREDIT_CARD');
  const goalAt = asOf - (10 + draws.int(30)) * DAY_MS;
  if (saver) {
    pfm.goals.push({
      guid: draws.newGuid('GOL'),
      accountGuid: saver.guid,
      amount: Math.ceil((saver.balance * 1.5 + 1000) / 100) * 100,
      goalTypeName: 'SAVE_AMOUNT',
      metaTypeName: 'VACATION',
      name: 'Save for Europe',
      metadata: null,
      position: pfm.goals.length + 1,
      completedAt: null,
      hasBeenSpent: false,
      createdAt: goalAt,
      updatedAt: goalAt,
    });
  }
  if (card) {
    pfm.goals.push({
      guid: draws.newGuid('GOL'),
      accountGuid: card.guid,
      amount: Math.ceil(card.balance / 100) * 100 + 100,
      goalTypeName: 'PAYOFF',
      metaTypeName: 'OTHER',
      name: `Pay off ${card.name}`,
      metadata: null,
      position: pfm.goals.length + 1,
      completedAt: null,
      hasBeenSpent: false,
      createdAt: goalAt,
      updatedAt: goalAt,
    });
  }

  // Insights ("beats are now called insights", MX): the beats generator's subjects, drawn from this user's own stream.
  const beats = generateBeats(draws, user.guid, transactions, state.seedData.categories, 5, asOf);
  pfm.insights = beats.map((beat) => ({
    guid: draws.newGuid('BET'),
    beat,
    activeAt: beat.createdAt,
    ctaClickedAt: null,
    displayed: beat.displayedAt !== null,
    dismissed: beat.isDismissed,
    createdAt: beat.createdAt,
    updatedAt: beat.updatedAt,
  }));
  return pfm;
}

const CITIES = [
  { city: 'Lehi', regionCode: 'UT', postalCode: '84043', latitude: 40.3916, longitude: -111.8508 },
  { city: 'Provo', regionCode: 'UT', postalCode: '84601', latitude: 40.2338, longitude: -111.6585 },
  { city: 'Staten Island', regionCode: 'NY', postalCode: '10306', latitude: 40.5710098, longitude: -74.1097041 },
  { city: 'Portland', regionCode: 'OR', postalCode: '97205', latitude: 45.5202, longitude: -122.6742 },
];

/** One merchant per description the seeded transactions carry, each with one location. */
function generateMerchants(draws: FixtureDraws, state: SimulatorState): SimMerchant[] {
  const names = [...new Set(state.seedData.categories.flatMap((category) => category.merchants))].sort(compareCodeUnits);
  const asOf = state.seedData.asOf;
  return names.map((name) => {
    const guid = draws.newGuid('MCH');
    const createdAt = asOf - (400 + draws.int(1000)) * DAY_MS;
    const place = draws.pick(CITIES);
    const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '');
    return {
      guid,
      name,
      websiteUrl: `https://www.${slug}.com`,
      createdAt,
      updatedAt: createdAt + draws.int(300) * DAY_MS,
      location: {
        guid: draws.newGuid('MCL'),
        merchantGuid: guid,
        streetAddress: `${100 + draws.int(9000)} Main St`,
        city: place.city,
        regionCode: place.regionCode,
        postalCode: place.postalCode,
        phoneNumber: `(${200 + draws.int(700)}) ${100 + draws.int(900)}-${String(draws.int(10000)).padStart(4, '0')}`,
        latitude: place.latitude,
        longitude: place.longitude,
        createdAt: createdAt + HOUR_MS,
      },
    };
  });
}

export { UNCATEGORIZED_GUID };
