import { HOUR_MS, MINUTE_MS, monthContaining, startOfDay } from './calendar.ts';
import type { FixtureDraws } from './fixture-draws.ts';
import type {
  CategoryKind,
  SimAccount,
  SimCategory,
  SimIteration,
  SimIterationItem,
  SimSpendingPlan,
  SimSpendingPlanAccount,
  SimTransaction,
} from './read-model.ts';
import type { SpendingPlanProfile } from './seed-profiles.ts';

const EXPENSE_ITEMS = 4;
const ITEM_TYPE: Record<CategoryKind, SimIterationItem['itemType']> = { bill: 0, spending: 2, income: 3 };

interface PlanInputs {
  userGuid: string;
  clientGuid: string;
  /** The user's PFM accounts: the ones a plan may track. */
  accounts: readonly SimAccount[];
  transactions: readonly SimTransaction[];
  categories: readonly SimCategory[];
}

/**
 * Spending plans with monthly iterations up to the month of the data's `asOf`. The current iteration plans a few expense
 * categories and one income; each item's actual amount and transactions come from the plan's accounts that month.
 */
export function generateSpendingPlans(
  draws: FixtureDraws,
  inputs: PlanInputs,
  profiles: readonly SpendingPlanProfile[],
  asOf: number,
): SimSpendingPlan[] {
  return profiles.map((profile) => {
    const guid = draws.newGuid('SPL');
    const months = Array.from({ length: profile.iterations }, (_, index) =>
      monthContaining(asOf, profile.iterations - 1 - index),
    );
    const createdAt = startOfDay(months[0]!.firstDay) - (1 + draws.int(72)) * HOUR_MS;
    const trackedAccounts = draws.shuffle(inputs.accounts).slice(0, profile.accounts);

    const iterations = months.map(({ firstDay, lastDay }, index): SimIteration => {
      const iterationCreatedAt = startOfDay(firstDay) + draws.int(60) * MINUTE_MS;
      const iteration: SimIteration = {
        guid: draws.newGuid('SPI'),
        spendingPlanGuid: guid,
        userGuid: inputs.userGuid,
        number: index + 1,
        startOn: firstDay,
        endOn: lastDay,
        createdAt: iterationCreatedAt,
        updatedAt: iterationCreatedAt + draws.int(24) * HOUR_MS,
        items: [],
      };
      const isCurrent = index === months.length - 1;
      if (isCurrent) iteration.items = generateItems(draws, iteration, inputs, trackedAccounts);
      return iteration;
    });

    return {
      guid,
      userGuid: inputs.userGuid,
      createdAt,
      updatedAt: iterations[iterations.length - 1]!.createdAt,
      iterations,
      accounts: trackedAccounts.map((account): SimSpendingPlanAccount => {
        const accountCreatedAt = createdAt + draws.int(30) * MINUTE_MS;
        return {
          guid: draws.newGuid('SPA'),
          spendingPlanGuid: guid,
          accountGuid: account.guid,
          clientGuid: inputs.clientGuid,
          userGuid: inputs.userGuid,
          createdAt: accountCreatedAt,
          updatedAt: accountCreatedAt,
        };
      }),
    };
  });
}

function generateItems(
  draws: FixtureDraws,
  iteration: SimIteration,
  inputs: PlanInputs,
  trackedAccounts: readonly SimAccount[],
): SimIterationItem[] {
  const trackedGuids = new Set(trackedAccounts.map((account) => account.guid));
  const inWindow = inputs.transactions.filter(
    (t) => trackedGuids.has(t.accountGuid) && t.date >= iteration.startOn && t.date <= iteration.endOn,
  );
  const expenses = draws.shuffle(inputs.categories.filter((category) => category.kind !== 'income')).slice(0, EXPENSE_ITEMS);
  const income = inputs.categories.find((category) => category.kind === 'income')!;

  return [...expenses, income].map((category) => {
    const matched = inWindow.filter((t) => t.categoryGuid === category.guid);
    const createdAt = iteration.createdAt + draws.int(60) * MINUTE_MS;
    return {
      guid: draws.newGuid('SII'),
      iterationGuid: iteration.guid,
      userGuid: inputs.userGuid,
      categoryGuid: category.guid,
      topLevelCategoryGuid: category.topLevelGuid,
      itemType: ITEM_TYPE[category.kind],
      plannedAmount: category.kind === 'income' ? 100 * (20 + draws.int(30)) : 10 * (5 + draws.int(60)),
      actualAmount: Math.round(matched.reduce((sum, t) => sum + t.amount, 0) * 100) / 100,
      transactionGuids: matched.map((t) => t.guid),
      createdAt,
      updatedAt: Math.max(createdAt, ...matched.map((t) => t.updatedAt)),
    };
  });
}
