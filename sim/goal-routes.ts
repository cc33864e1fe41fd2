import type { SimUser } from './members.ts';
import { MxError } from './mx-errors.ts';
import type { MxRoute } from './mx-endpoint.ts';
import { pfmEndpoint } from './pfm-access.ts';
import {
  jsonBody,
  optionalAmount,
  optionalBoolean,
  optionalMetadata,
  optionalString,
  requireSome,
  requiredAmount,
  requiredString,
  rootObject,
} from './pfm-input.ts';
import {
  type GoalTypeName,
  type SimGoal,
  cashFlowFigures,
  clientGuidOf,
  findAccount,
  findTransaction,
  goalFigures,
  goalsInOrder,
  pfmOf,
  requireGoalsContribution,
} from './pfm-store.ts';
import { cashFlowProfileView, goalView, insightView } from './pfm-views.ts';
import { pagedListBody } from './read-views.ts';
import type { SimulatorState } from './state.ts';

/** MX's goals overview. */
const META_TYPES = [
  'AUTOMOBILE',
  'COLLEGE',
  'ELECTRONIC',
  'EMERGENCY_FUND',
  'HOUSE',
  'OTHER',
  'RECREATIONAL_VEHICLE',
  'RETIREMENT',
  'SETUP_BUDGETS',
  'START_MONEY_MANAGEMENT',
  'VACATION',
];
const GOAL_TYPES: readonly GoalTypeName[] = ['SAVE_AMOUNT', 'PAYOFF'];

/**
 * Nexus goals and the monthly cash flow profile they hang on: creating, updating or repositioning a goal needs the
 * profile's goals contribution above 0 (MX's profile overview; 422 otherwise). Create and delete were not found in
 * Nexus's reference and follow the Platform API's (`{"goal":{account_guid, amount, meta_type_name, name, …}}`, 204).
 * Reposition takes `{"goals":[{guid, position}]}` (its schema did not survive in our copy) and answers every goal.
 */
export function goalRoutes(state: SimulatorState): MxRoute[] {
  const viewOf = (user: SimUser) => (goal: SimGoal) => goalView(user, goal, goalFigures(state, user, goal));
  const findGoal = (user: SimUser, guid: string | undefined): SimGoal => {
    const goal = pfmOf(state, user).goals.find((candidate) => candidate.guid === guid);
    if (!goal) throw new MxError(404, 'Goal not found.');
    return goal;
  };
  const choice = <T extends string>(value: string | undefined, allowed: readonly T[], field: string): T | undefined => {
    if (value !== undefined && !allowed.includes(value as T))
      throw new MxError(400, `${field} must be one of ${allowed.join(', ')}.`);
    return value as T | undefined;
  };
  /** Positions 1…n in the order given, ties by guid. */
  const renumber = (goals: SimGoal[]) => goals.forEach((goal, index) => (goal.position = index + 1));

  return [
    {
      methods: ['GET'],
      pattern: '/goals',
      handler: pfmEndpoint(state, ({ query }, user) => ({
        status: 200,
        body: pagedListBody('goals', goalsInOrder(pfmOf(state, user)), viewOf(user), query),
      })),
    },
    {
      methods: ['POST'],
      pattern: '/goals',
      handler: pfmEndpoint(state, ({ body }, user) => {
        const input = rootObject(body, 'goal');
        const accountGuid = requiredString(input, 'goal', 'account_guid');
        const amount = requiredAmount(input, 'goal', 'amount', { min: 0.01 });
        const metaTypeName = choice(requiredString(input, 'goal', 'meta_type_name'), META_TYPES, 'goal.meta_type_name')!;
        const name = requiredString(input, 'goal', 'name');
        const metadata = optionalMetadata(input, 'goal') ?? null;
        const account = state.readSide.accountsOf(user).find((candidate) => candidate.guid === accountGuid);
        if (!account) throw new MxError(400, "goal.account_guid must name one of the user's accounts.");
        const goalTypeName =
          choice(optionalString(input, 'goal', 'goal_type_name'), GOAL_TYPES, 'goal.goal_type_name') ??
          (account.type === 'CREDIT_CARD' ? 'PAYOFF' : 'SAVE_AMOUNT');
        requireGoalsContribution(state, user);
        const pfm = pfmOf(state, user);
        const now = state.clock.now();
        const goal: SimGoal = {
          guid: pfm.draws.newGuid('GOL'),
          accountGuid,
          amount,
          goalTypeName,
          metaTypeName,
          name,
          metadata,
          position: pfm.goals.length + 1,
          completedAt: null,
          hasBeenSpent: false,
          createdAt: now,
          updatedAt: now,
        };
        pfm.goals.push(goal);
        return { status: 200, body: { goal: viewOf(user)(goal) } };
      }),
    },
    {
      methods: ['PUT'],
      pattern: '/goals/reposition',
      handler: pfmEndpoint(state, ({ body }, user) => {
        const input = jsonBody(body).goals;
        if (!Array.isArray(input) || input.length === 0)
          throw new MxError(400, 'goals must be a non-empty array of {guid, position}.');
        const pfm = pfmOf(state, user);
        const wanted = input.map((raw, index) => {
          const item = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
          const goal = findGoal(user, typeof item.guid === 'string' ? item.guid : undefined);
          const position = item.position;
          if (typeof position !== 'number' || !Number.isInteger(position) || position < 1) {
            throw new MxError(400, `goals[${index}].position must be a whole number from 1.`);
          }
          return { goal, position };
        });
        requireGoalsContribution(state, user);
        const moved = new Map(wanted.map(({ goal, position }) => [goal, position]));
        // The goals named take their positions; the others keep their order around them (MX: "any other goals need to
        // be adjusted accordingly").
        const others = goalsInOrder(pfm).filter((goal) => !moved.has(goal));
        const ordered: SimGoal[] = [];
        const byPosition = [...moved.entries()].sort((a, b) => a[1] - b[1]);
        for (let slot = 1; ordered.length < pfm.goals.length; slot++) {
          const next = byPosition.find(([, position]) => position === slot);
          if (next) ordered.push(next[0]);
          else if (others.length > 0) ordered.push(others.shift()!);
          else ordered.push(...byPosition.filter(([goal]) => !ordered.includes(goal)).map(([goal]) => goal));
        }
        renumber(ordered);
        const now = state.clock.now();
        for (const goal of moved.keys()) goal.updatedAt = now;
        return { status: 200, body: { goals: goalsInOrder(pfm).map(viewOf(user)) } };
      }),
    },
    {
      methods: ['GET'],
      pattern: '/goals/{goal_guid}',
      handler: pfmEndpoint(state, ({ params }, user) => ({
        status: 200,
        body: { goal: viewOf(user)(findGoal(user, params.goal_guid)) },
      })),
    },
    {
      methods: ['PUT'],
      pattern: '/goals/{goal_guid}',
      handler: pfmEndpoint(state, ({ params, body }, user) => {
        const goal = findGoal(user, params.goal_guid);
        const input = rootObject(body, 'goal');
        requireSome(input, 'goal', ['amount', 'name', 'meta_type_name', 'metadata', 'is_complete', 'has_been_spent']);
        const amount = optionalAmount(input, 'goal', 'amount', { min: 0.01 });
        const name = optionalString(input, 'goal', 'name');
        const metaTypeName = choice(optionalString(input, 'goal', 'meta_type_name'), META_TYPES, 'goal.meta_type_name');
        const metadata = optionalMetadata(input, 'goal');
        const isComplete = optionalBoolean(input, 'goal', 'is_complete');
        const hasBeenSpent = optionalBoolean(input, 'goal', 'has_been_spent');
        requireGoalsContribution(state, user);
        const now = state.clock.now();
        if (amount !== undefined) goal.amount = amount;
        if (name !== undefined) goal.name = name;
        if (metaTypeName !== undefined) goal.metaTypeName = metaTypeName;
        if (metadata !== undefined) goal.metadata = metadata;
        if (isComplete !== undefined) goal.completedAt = isComplete ? now : null;
        if (hasBeenSpent !== undefined) goal.hasBeenSpent = hasBeenSpent;
        goal.updatedAt = now;
        return { status: 200, body: { goal: viewOf(user)(goal) } };
      }),
    },
    {
      methods: ['DELETE'],
      pattern: '/goals/{goal_guid}',
      handler: pfmEndpoint(state, ({ params }, user) => {
        const goal = findGoal(user, params.goal_guid);
        const pfm = pfmOf(state, user);
        pfm.goals = pfm.goals.filter((candidate) => candidate !== goal);
        renumber(goalsInOrder(pfm));
        return { status: 204, body: undefined };
      }),
    },
    {
      methods: ['GET'],
      pattern: '/monthly_cash_flow_profile',
      handler: pfmEndpoint(state, (_request, user) => ({
        status: 200,
        body: { monthly_cash_flow_profile: cashFlowProfileView(user, pfmOf(state, user).profile, cashFlowFigures(state, user)) },
      })),
    },
    {
      // MX's example sets goals_contribution and uses_estimated_goals_contribution; the budgeted figures are the budgets'.
      methods: ['PUT'],
      pattern: '/monthly_cash_flow_profile',
      handler: pfmEndpoint(state, ({ body }, user) => {
        const input = rootObject(body, 'monthly_cash_flow_profile');
        const root = 'monthly_cash_flow_profile';
        requireSome(input, root, ['goals_contribution', 'uses_estimated_goals_contribution']);
        const contribution = optionalAmount(input, root, 'goals_contribution');
        const usesEstimate = optionalBoolean(input, root, 'uses_estimated_goals_contribution');
        const { profile } = pfmOf(state, user);
        if (contribution !== undefined) profile.goalsContribution = contribution;
        if (usesEstimate !== undefined) profile.usesEstimatedGoalsContribution = usesEstimate;
        return {
          status: 200,
          body: { monthly_cash_flow_profile: cashFlowProfileView(user, profile, cashFlowFigures(state, user)) },
        };
      }),
    },
  ];
}

/**
 * Insights. No Nexus insights page was found: they follow the Platform API's (its insights overview's fields; lists
 * `{"insights":[…],"pagination"}`, one `{"insight":{…}}`, update `{"insight":{has_been_displayed?, is_dismissed?}}`),
 * each about real transactions and accounts of the user, as beats are ("beats are now called insights", MX).
 */
export function insightRoutes(state: SimulatorState): MxRoute[] {
  const view = (user: SimUser) => insightView(user, clientGuidOf(state));
  const findInsight = (user: SimUser, guid: string | undefined) => {
    const insight = pfmOf(state, user).insights.find((candidate) => candidate.guid === guid);
    if (!insight) throw new MxError(404, 'Insight not found.');
    return insight;
  };
  return [
    {
      methods: ['GET'],
      pattern: '/insights',
      handler: pfmEndpoint(state, ({ query }, user) => ({
        status: 200,
        body: pagedListBody('insights', pfmOf(state, user).insights, view(user), query),
      })),
    },
    {
      methods: ['GET'],
      pattern: '/insights/{insight_guid}',
      handler: pfmEndpoint(state, ({ params }, user) => ({
        status: 200,
        body: { insight: view(user)(findInsight(user, params.insight_guid)) },
      })),
    },
    {
      methods: ['PUT'],
      pattern: '/insights/{insight_guid}',
      handler: pfmEndpoint(state, ({ params, body }, user) => {
        const insight = findInsight(user, params.insight_guid);
        const input = rootObject(body, 'insight');
        requireSome(input, 'insight', ['has_been_displayed', 'is_dismissed']);
        const displayed = optionalBoolean(input, 'insight', 'has_been_displayed');
        const dismissed = optionalBoolean(input, 'insight', 'is_dismissed');
        if (displayed !== undefined) insight.displayed = displayed;
        if (dismissed !== undefined) insight.dismissed = dismissed;
        insight.updatedAt = state.clock.now();
        return { status: 200, body: { insight: view(user)(insight) } };
      }),
    },
    {
      methods: ['GET'],
      pattern: '/accounts/{account_guid}/insights',
      handler: pfmEndpoint(state, ({ params, query }, user) => {
        const account = findAccount(state, user, params.account_guid);
        const kept = pfmOf(state, user).insights.filter((insight) => insight.beat.accountGuids.includes(account.guid));
        return { status: 200, body: pagedListBody('insights', kept, view(user), query) };
      }),
    },
    {
      methods: ['GET'],
      pattern: '/transactions/{transaction_guid}/insights',
      handler: pfmEndpoint(state, ({ params, query }, user) => {
        const transaction = findTransaction(state, user, params.transaction_guid);
        const kept = pfmOf(state, user).insights.filter((insight) => insight.beat.transactionGuids.includes(transaction.guid));
        return { status: 200, body: pagedListBody('insights', kept, view(user), query) };
      }),
    },
  ];
}
