import type { SimUser } from './members.ts';
import { MxError } from './mx-errors.ts';
import type { MxReply, MxRequest, MxRoute } from './mx-endpoint.ts';
import { pfmEndpoint } from './pfm-access.ts';
import type { JsonObject } from './input-validation.ts';
import { type SimIterationItem, type SimSpendingPlan, currentIteration } from './read-model.ts';
import {
  iterationItemView,
  iterationView,
  pagedListBody,
  singleObjectBody,
  spendingPlanAccountView,
  spendingPlanView,
} from './read-views.ts';
import { readDataOf } from './seed-data.ts';
import { scheduledPaymentsOf } from './scheduled-payment-routes.ts';
import type { SimulatorState } from './state.ts';
import { jsonObjectBody, optionalAmount, optionalCode, optionalString } from './write-bodies.ts';

/**
 * An update's fields (MX's flat body): planned_amount (≥ 0), category_guid (a category of the catalogue; its top level
 * follows unless top_level_category_guid is given, which must be its top level), item_type (0–3, a number or a digit
 * string), scheduled_payment_guid (one of the user's scheduled payments, or null). A new category recounts the item's
 * actual amount and transactions from the plan's accounts in the iteration.
 */
function applyItemChanges(
  state: SimulatorState,
  user: SimUser,
  plan: SimSpendingPlan,
  item: SimIterationItem,
  input: JsonObject,
) {
  const planned = optionalAmount(input, 'planned_amount', { min: 0 });
  const itemType = optionalCode(input, 'item_type', [0, 1, 2, 3] as const);
  const categoryGuid = optionalString(input, 'category_guid');
  const category = categoryGuid ? state.seedData.categories.find(({ guid }) => guid === categoryGuid) : undefined;
  if (categoryGuid && !category) throw new MxError(400, 'category_guid names no category.');
  const topLevel = optionalString(input, 'top_level_category_guid');
  const expectedTop = category?.topLevelGuid ?? item.topLevelCategoryGuid;
  if (topLevel && topLevel !== expectedTop) {
    throw new MxError(400, 'top_level_category_guid must be the top-level category of category_guid.');
  }
  const scheduled = optionalString(input, 'scheduled_payment_guid', { nullable: true });
  if (scheduled && !scheduledPaymentsOf(state, user).some(({ guid }) => guid === scheduled)) {
    throw new MxError(400, 'scheduled_payment_guid names no scheduled payment of this user.');
  }

  if (typeof planned === 'number') item.plannedAmount = planned;
  if (itemType !== undefined) item.itemType = itemType;
  if (scheduled !== undefined) item.scheduledPaymentGuid = scheduled;
  if (category && category.guid !== item.categoryGuid) {
    const iteration = currentIteration(plan);
    const tracked = new Set(plan.accounts.map((planAccount) => planAccount.accountGuid));
    const matched = state.transactions
      .transactionsOf(user)
      .filter(
        (t) =>
          tracked.has(t.accountGuid) &&
          t.categoryGuid === category.guid &&
          t.date >= iteration.startOn &&
          t.date <= iteration.endOn,
      );
    item.categoryGuid = category.guid;
    item.topLevelCategoryGuid = category.topLevelGuid;
    item.actualAmount = Math.round(matched.reduce((sum, t) => sum + t.amount, 0) * 100) / 100;
    item.transactionGuids = matched.map((t) => t.guid);
  }
  item.updatedAt = state.clock.now();
}

/**
 * Nexus spending plans: reads, and the writes MX documents on a plan's current iteration items (update, delete) and
 * its accounts (delete), which later reads show. Another user's plan is simply not found, as with members.
 */
export function spendingPlanRoutes(state: SimulatorState): MxRoute[] {
  const plansOf = (user: SimUser) => readDataOf(state.seedData, user.id).spendingPlans;

  /** A route under `/spending_plans/{spending_plan_guid}`, handed the plan it names. */
  const planRoute = (
    subpath: string,
    handle: (plan: SimSpendingPlan, request: MxRequest, user: SimUser) => MxReply,
    method = 'GET',
  ): MxRoute => ({
    methods: [method],
    pattern: `/spending_plans/{spending_plan_guid}${subpath}`,
    handler: pfmEndpoint(state, (request, user) => {
      const plan = plansOf(user).find(({ guid }) => guid === request.params.spending_plan_guid);
      if (!plan) throw new MxError(404, 'Spending plan not found.');
      return handle(plan, request, user);
    }),
  });
  const ITEM = '/iterations/current/iteration_items/{iteration_item_guid}';
  const itemOf = (plan: SimSpendingPlan, guid: string | undefined): SimIterationItem => {
    const item = currentIteration(plan).items.find((candidate) => candidate.guid === guid);
    if (!item) throw new MxError(404, 'Iteration item not found.');
    return item;
  };

  return [
    {
      methods: ['GET'],
      pattern: '/spending_plans',
      handler: pfmEndpoint(state, ({ query }, user) => ({
        status: 200,
        body: pagedListBody('spending_plans', plansOf(user), spendingPlanView, query),
      })),
    },
    planRoute('', (plan) => ({ status: 200, body: { spending_plan: spendingPlanView(plan) } })),
    planRoute('/iterations', (plan, { query }) => ({
      status: 200,
      body: pagedListBody('iterations', plan.iterations, iterationView, query),
    })),
    planRoute('/iterations/current', (plan, { query }) => ({
      status: 200,
      body: singleObjectBody('iteration', currentIteration(plan), iterationView, query),
    })),
    planRoute('/iterations/current/iteration_items', (plan, { query }) => ({
      status: 200,
      body: pagedListBody('iteration_items', currentIteration(plan).items, iterationItemView, query),
    })),
    // Singular `spending_plan_account`, as Nexus spells it; MX's sample list carries no pagination.
    planRoute('/spending_plan_account', (plan) => ({
      status: 200,
      body: { spending_plan_accounts: plan.accounts.map(spendingPlanAccountView) },
    })),
    planRoute('/spending_plan_account/{spending_plan_account_guid}', (plan, { params }) => {
      const planAccount = plan.accounts.find(({ guid }) => guid === params.spending_plan_account_guid);
      if (!planAccount) throw new MxError(404, 'Spending plan account not found.');
      return { status: 200, body: { spending_plan_account: spendingPlanAccountView(planAccount) } };
    }),
    // MX's Delete spending plan account: 204; the plan no longer tracks the account (its items keep what they counted).
    planRoute(
      '/spending_plan_account/{spending_plan_account_guid}',
      (plan, { params }) => {
        const index = plan.accounts.findIndex(({ guid }) => guid === params.spending_plan_account_guid);
        if (index === -1) throw new MxError(404, 'Spending plan account not found.');
        plan.accounts.splice(index, 1);
        plan.updatedAt = state.clock.now();
        return { status: 204, body: undefined };
      },
      'DELETE',
    ),
    // Read one item: Nexus's page was not found (UNCONFIRMED); the item as update answers it, with its pagination.
    planRoute(ITEM, (plan, { params, query }) => ({
      status: 200,
      body: singleObjectBody('iteration_item', itemOf(plan, params.iteration_item_guid), iterationItemView, query),
    })),
    // MX's Update a spending plan iteration item: a flat body (not rooted), its answer the item with a pagination.
    planRoute(
      ITEM,
      (plan, { params, query, body }, user) => {
        const item = itemOf(plan, params.iteration_item_guid);
        applyItemChanges(state, user, plan, item, jsonObjectBody(body));
        return { status: 200, body: singleObjectBody('iteration_item', item, iterationItemView, query) };
      },
      'PUT',
    ),
    // MX's Delete spending plan iteration item: 204.
    planRoute(
      ITEM,
      (plan, { params }) => {
        const iteration = currentIteration(plan);
        iteration.items.splice(iteration.items.indexOf(itemOf(plan, params.iteration_item_guid)), 1);
        iteration.updatedAt = state.clock.now();
        return { status: 204, body: undefined };
      },
      'DELETE',
    ),
  ];
}
