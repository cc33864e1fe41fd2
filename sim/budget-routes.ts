import type { SimUser } from './members.ts';
import { MxError } from './mx-errors.ts';
import type { MxRoute } from './mx-endpoint.ts';
import { pfmEndpoint } from './pfm-access.ts';
import {
  jsonBody,
  optionalAmount,
  optionalMetadata,
  requireSome,
  requiredAmount,
  requiredString,
  rootObject,
} from './pfm-input.ts';
import { isJsonObject, type JsonObject } from './input-validation.ts';
import {
  type SimBudget,
  budgetFigures,
  categoriesOf,
  defaultTree,
  generatedAmount,
  monthTotal,
  pfmOf,
  requireCategory,
} from './pfm-store.ts';
import { budgetView } from './pfm-views.ts';
import { pagedListBody } from './read-views.ts';
import type { SimulatorState } from './state.ts';

/**
 * Nexus budgets. A budget's `transaction_total` is the sum of the user's transactions in its category (and its
 * subcategories) dated in the clock's current month, so it follows every change to them. MX's budgets overview: a
 * subcategory's budget needs its top-level category's, and the subcategories' budgets may not add up to more than it.
 * Read and create were not found in Nexus's reference and follow the Platform API's (`{"budget":{category_guid,
 * amount, metadata?}}`).
 */
export function budgetRoutes(state: SimulatorState): MxRoute[] {
  const viewOf = (user: SimUser) => {
    const categories = new Map(categoriesOf(state, user).map((category) => [category.guid, category]));
    return (budget: SimBudget) =>
      budgetView(user, budget, categories.get(budget.categoryGuid)!, budgetFigures(state, user, budget));
  };
  const findBudget = (user: SimUser, guid: string | undefined): SimBudget => {
    const budget = pfmOf(state, user).budgets.find((candidate) => candidate.guid === guid);
    if (!budget) throw new MxError(404, 'Budget not found.');
    return budget;
  };
  /** MX's overview rule for subcategory budgets, checked as `budget` would stand with `amount`. */
  const checkHierarchy = (user: SimUser, categoryGuid: string, amount: number, self?: SimBudget) => {
    const category = requireCategory(state, user, categoryGuid, 'budget.category_guid');
    const budgets = pfmOf(state, user).budgets.filter((budget) => budget !== self);
    const categories = categoriesOf(state, user);
    if (category.parentGuid !== null) {
      const parent = budgets.find((budget) => budget.categoryGuid === category.parentGuid);
      if (!parent)
        throw new MxError(400, 'budget.category_guid: a subcategory budget needs a budget on its top-level category first.');
      const siblings = budgets
        .filter(
          (budget) => categories.find((candidate) => candidate.guid === budget.categoryGuid)?.parentGuid === category.parentGuid,
        )
        .reduce((sum, budget) => sum + budget.amount, 0);
      if (siblings + amount > parent.amount) {
        throw new MxError(400, 'budget.amount: subcategory budgets may not add up to more than their top-level budget.');
      }
    } else {
      const children = budgets
        .filter((budget) => categories.find((candidate) => candidate.guid === budget.categoryGuid)?.parentGuid === categoryGuid)
        .reduce((sum, budget) => sum + budget.amount, 0);
      if (children > amount) throw new MxError(400, 'budget.amount must be at least the sum of its subcategories’ budgets.');
    }
  };
  /** `{"budget":{…}}`; MX's update example wraps the fields in a one-element array, taken too. */
  const budgetInput = (body: Buffer): JsonObject => {
    const raw = jsonBody(body).budget;
    const inner = Array.isArray(raw) && raw.length === 1 ? raw[0] : raw;
    if (!isJsonObject(inner)) return rootObject(Buffer.from('{}'), 'budget');
    return inner;
  };

  return [
    {
      methods: ['GET'],
      pattern: '/budgets',
      handler: pfmEndpoint(state, ({ query }, user) => ({
        status: 200,
        body: pagedListBody('budgets', pfmOf(state, user).budgets, viewOf(user), query),
      })),
    },
    {
      methods: ['POST'],
      pattern: '/budgets',
      handler: pfmEndpoint(state, ({ body }, user) => {
        const input = budgetInput(body);
        const categoryGuid = requiredString(input, 'budget', 'category_guid');
        const amount = requiredAmount(input, 'budget', 'amount');
        const metadata = optionalMetadata(input, 'budget') ?? null;
        const pfm = pfmOf(state, user);
        requireCategory(state, user, categoryGuid, 'budget.category_guid');
        if (pfm.budgets.some((budget) => budget.categoryGuid === categoryGuid)) {
          throw new MxError(409, 'budget.category_guid already has a budget.');
        }
        checkHierarchy(user, categoryGuid, amount);
        const now = state.clock.now();
        const budget: SimBudget = {
          guid: pfm.draws.newGuid('BGT'),
          categoryGuid,
          amount,
          metadata,
          revision: 1,
          createdAt: now,
          updatedAt: now,
        };
        pfm.budgets.push(budget);
        return { status: 200, body: { budget: viewOf(user)(budget) } };
      }),
    },
    {
      /**
       * MX's generate budgets: a budget for each top-level category with transactions in each of the two previous
       * calendar months (their average), kept when one exists; all of them answered. None: 422, code 4221.
       */
      methods: ['POST'],
      pattern: '/budgets/generate',
      handler: pfmEndpoint(state, (_request, user) => {
        const pfm = pfmOf(state, user);
        const now = state.clock.now();
        const answered: SimBudget[] = [];
        for (const top of defaultTree(state)) {
          const previous = monthTotal(state, user, top.guid, 1);
          const beforeThat = monthTotal(state, user, top.guid, 2);
          if (previous.count === 0 || beforeThat.count === 0) continue;
          let budget = pfm.budgets.find((candidate) => candidate.categoryGuid === top.guid);
          if (!budget) {
            budget = {
              guid: pfm.draws.newGuid('BGT'),
              categoryGuid: top.guid,
              amount: generatedAmount(previous.total, beforeThat.total),
              metadata: null,
              revision: 1,
              createdAt: now,
              updatedAt: now,
            };
            pfm.budgets.push(budget);
          }
          answered.push(budget);
        }
        if (answered.length === 0) {
          throw new MxError(422, "There aren't enough transactions to automatically create any budgets", 4221);
        }
        return { status: 200, body: { budgets: answered.map(viewOf(user)) } };
      }),
    },
    {
      methods: ['GET'],
      pattern: '/budgets/{budget_guid}',
      handler: pfmEndpoint(state, ({ params }, user) => ({
        status: 200,
        body: { budget: viewOf(user)(findBudget(user, params.budget_guid)) },
      })),
    },
    {
      methods: ['PUT'],
      pattern: '/budgets/{budget_guid}',
      handler: pfmEndpoint(state, ({ params, body }, user) => {
        const budget = findBudget(user, params.budget_guid);
        const input = budgetInput(body);
        requireSome(input, 'budget', ['amount', 'metadata']);
        const amount = optionalAmount(input, 'budget', 'amount');
        const metadata = optionalMetadata(input, 'budget');
        if (amount !== undefined) checkHierarchy(user, budget.categoryGuid, amount, budget);
        if (amount !== undefined) budget.amount = amount;
        if (metadata !== undefined) budget.metadata = metadata;
        budget.revision += 1;
        budget.updatedAt = state.clock.now();
        return { status: 200, body: { budget: viewOf(user)(budget) } };
      }),
    },
    {
      methods: ['DELETE'],
      pattern: '/budgets/{budget_guid}',
      handler: pfmEndpoint(state, ({ params }, user) => {
        const budget = findBudget(user, params.budget_guid);
        const pfm = pfmOf(state, user);
        pfm.budgets = pfm.budgets.filter((candidate) => candidate !== budget);
        return { status: 204, body: undefined };
      }),
    },
  ];
}
