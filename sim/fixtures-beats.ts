import { HOUR_MS } from './calendar.ts';
import type { FixtureDraws } from './fixture-draws.ts';
import { type SimBeat, type SimCategory, type SimTransaction, compareCodeUnits } from './read-model.ts';

interface BeatSubject {
  primary: SimTransaction;
  /** The transactions the beat is about: the primary one, or its category's spending that month. */
  group: SimTransaction[];
  categoryName: string;
}

interface BeatTemplate {
  template: string;
  title: string;
  aboutCategoryMonth: boolean;
  /** Whether a spending transaction makes a sensible primary transaction for this template. */
  fits(transaction: SimTransaction, category: SimCategory): boolean;
  describe(subject: BeatSubject): string;
}

const LARGE_PURCHASE = 100;

const dollars = (amount: number): string => `$${amount.toFixed(2)}`;
const total = (transactions: SimTransaction[]): number =>
  Math.round(transactions.reduce((sum, transaction) => sum + transaction.amount, 0) * 100) / 100;

const BEAT_TEMPLATES: readonly BeatTemplate[] = [
  {
    template: 'BillAmountNotStandard',
    title: 'Bill different than usual',
    aboutCategoryMonth: false,
    fits: (_transaction, category) => category.kind === 'bill',
    describe: ({ primary }) => `Your most recent payment to ${primary.description} was ${dollars(primary.amount)}.`,
  },
  {
    template: 'SubscriptionPriceIncrease',
    title: 'Subscription price went up',
    aboutCategoryMonth: false,
    fits: (_transaction, category) => category.kind === 'bill',
    describe: ({ primary }) => `${primary.description} charged you ${dollars(primary.amount)}, more than last time.`,
  },
  {
    template: 'MonthlyCategoryTotal',
    title: 'Monthly category total',
    aboutCategoryMonth: true,
    fits: () => true,
    describe: ({ primary, group, categoryName }) =>
      `You spent ${dollars(total(group))} on ${categoryName} in ${primary.date.slice(0, 7)}.`,
  },
  {
    template: 'LargePurchase',
    title: 'Large purchase',
    aboutCategoryMonth: false,
    fits: (transaction) => transaction.amount >= LARGE_PURCHASE,
    describe: ({ primary }) => `You spent ${dollars(primary.amount)} at ${primary.description}.`,
  },
  {
    template: 'MerchantFirstVisit',
    title: 'New merchant',
    aboutCategoryMonth: false,
    fits: () => true,
    describe: ({ primary }) => `This looks like your first purchase at ${primary.description}.`,
  },
];

/**
 * Up to `count` beats about the user's spending (never income), templates taken in turn, each about a different
 * transaction that fits it (any spending when none fits). Newest first.
 */
export function generateBeats(
  draws: FixtureDraws,
  userGuid: string,
  transactions: readonly SimTransaction[],
  categories: readonly SimCategory[],
  count: number,
  asOf: number,
): SimBeat[] {
  const categoryOf = new Map(categories.map((category) => [category.guid, category]));
  const spending = transactions.filter((transaction) => transaction.type === 'DEBIT');
  const unused = new Set(spending);

  const beats: SimBeat[] = [];
  for (let index = 0; index < count && unused.size > 0; index += 1) {
    const template = BEAT_TEMPLATES[index % BEAT_TEMPLATES.length]!;
    const fitting = [...unused].filter((transaction) => template.fits(transaction, categoryOf.get(transaction.categoryGuid)!));
    const primary = draws.pick(fitting.length > 0 ? fitting : [...unused]);
    unused.delete(primary);
    beats.push(generateBeat(draws, userGuid, template, primary, spending, categoryOf.get(primary.categoryGuid)!.name, asOf));
  }
  return beats.sort((a, b) => b.createdAt - a.createdAt || compareCodeUnits(a.guid, b.guid));
}

function generateBeat(
  draws: FixtureDraws,
  userGuid: string,
  template: BeatTemplate,
  primary: SimTransaction,
  spending: readonly SimTransaction[],
  categoryName: string,
  asOf: number,
): SimBeat {
  const month = primary.date.slice(0, 7);
  const group = template.aboutCategoryMonth
    ? spending.filter((t) => t.categoryGuid === primary.categoryGuid && t.date.startsWith(month))
    : [primary];
  const createdAt = Math.min(Math.max(...group.map((t) => t.createdAt)) + (1 + draws.int(24)) * HOUR_MS, asOf);
  const displayedAt = draws.chance(0.5) ? Math.min(createdAt + (1 + draws.int(48)) * HOUR_MS, asOf) : null;
  return {
    guid: draws.newGuid('BET'),
    userGuid,
    template: template.template,
    title: template.title,
    description: template.describe({ primary, group, categoryName }),
    digest: draws.base64(16),
    accountGuids: [...new Set(group.map((t) => t.accountGuid))],
    primaryAccountGuid: primary.accountGuid,
    primaryTransactionGuid: primary.guid,
    transactionGuids: group.map((t) => t.guid),
    displayedAt,
    isDismissed: displayedAt !== null && draws.chance(0.5),
    createdAt,
    updatedAt: displayedAt ?? createdAt,
  };
}
