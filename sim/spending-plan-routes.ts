import type { SimUser } from './members.ts';
import { MxError } from './mx-errors.ts';
import type { MxReply, MxRequest, MxRoute } from './mx-endpoint.ts';
import { pfmEndpoint } from './pfm-access.ts';
import { type SimSpendingPlan, currentIteration } from './read-model.ts';
import {
  iterationItemView,
  iterationView,
  pagedListBody,
  singleObjectBody,
  spendingPlanAccountView,
  spendingPlanView,
} from './read-views.ts';
import { readDataOf } from './seed-data.ts';
import type { SimulatorState } from './state.ts';

/** Nexus spending plans, read side. Another user's plan is simply not found, as with members. */
export function spendingPlanRoutes(state: SimulatorState): MxRoute[] {
  const plansOf = (user: SimUser) => readDataOf(state.seedData, user.id).spendingPlans;

  /** A route under `/spending_plans/{spending_plan_guid}`, handed the plan it names. */
  const planRoute = (subpath: string, handle: (plan: SimSpendingPlan, request: MxRequest) => MxReply): MxRoute => ({
    methods: ['GET'],
    pattern: `/spending_plans/{spending_plan_guid}${subpath}`,
    handler: pfmEndpoint(state, (request, user) => {
      const plan = plansOf(user).find(({ guid }) => guid === request.params.spending_plan_guid);
      if (!plan) throw new MxError(404, 'Spending plan not found.');
      return handle(plan, request);
    }),
  });

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
  ];
}
