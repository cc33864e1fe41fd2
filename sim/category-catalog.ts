import type { FixtureDraws } from './fixture-draws.ts';
import type { CategoryKind, SimCategory } from './read-model.ts';

interface CategorySpec {
  name: string;
  merchants: readonly string[];
  amountRange: readonly [number, number];
  weight: number;
}

interface TopLevelSpec {
  name: string;
  kind: CategoryKind;
  children: readonly CategorySpec[];
}

/** A slice of MX's category tree: top-level categories and the subcategories transactions are filed under. */
const CATALOG: readonly TopLevelSpec[] = [
  {
    name: 'Auto & Transport',
    kind: 'spending',
    children: [
      { name: 'Gas', merchants: ['Shell', 'Chevron', 'Exxon'], amountRange: [25, 80], weight: 3 },
      { name: 'Public Transportation', merchants: ['Metro Transit', 'City Rail'], amountRange: [2.5, 40], weight: 2 },
      { name: 'Parking', merchants: ['ParkMobile', 'Downtown Garage'], amountRange: [5, 30], weight: 1 },
    ],
  },
  {
    name: 'Bills & Utilities',
    kind: 'bill',
    children: [
      { name: 'Mobile Phone', merchants: ['Verizon', 'T-Mobile'], amountRange: [45, 110], weight: 1 },
      { name: 'Internet', merchants: ['Comcast', 'Sonic'], amountRange: [40, 90], weight: 1 },
      { name: 'Utilities', merchants: ['City Power & Light', 'Water District'], amountRange: [30, 160], weight: 1 },
    ],
  },
  {
    name: 'Food & Dining',
    kind: 'spending',
    children: [
      { name: 'Groceries', merchants: ['Safeway', "Trader Joe's", 'Whole Foods'], amountRange: [20, 180], weight: 5 },
      { name: 'Restaurants', merchants: ['Chipotle', 'Olive Garden', 'Corner Bistro'], amountRange: [12, 90], weight: 4 },
      { name: 'Coffee Shops', merchants: ['Starbucks', 'Blue Bottle'], amountRange: [3.5, 12], weight: 4 },
    ],
  },
  {
    name: 'Shopping',
    kind: 'spending',
    children: [
      { name: 'Clothing', merchants: ['Uniqlo', 'Gap'], amountRange: [20, 150], weight: 2 },
      { name: 'Electronics & Software', merchants: ['Best Buy', 'Apple'], amountRange: [15, 600], weight: 1 },
      { name: 'Books', merchants: ["Powell's Books", 'Amazon Books'], amountRange: [8, 45], weight: 1 },
    ],
  },
  {
    name: 'Entertainment',
    kind: 'spending',
    children: [
      { name: 'Movies & DVDs', merchants: ['AMC Theatres', 'Alamo Drafthouse'], amountRange: [10, 40], weight: 1 },
      { name: 'Music', merchants: ['Spotify', 'Bandcamp'], amountRange: [9.99, 25], weight: 1 },
    ],
  },
  {
    name: 'Income',
    kind: 'income',
    children: [
      { name: 'Paycheck', merchants: ['ACME Corp Payroll'], amountRange: [1800, 2600], weight: 1 },
      { name: 'Interest Income', merchants: ['Interest Paid'], amountRange: [0.5, 15], weight: 1 },
    ],
  },
];

/** The subcategories, with guids drawn from the seed; each points at its top-level category's guid. */
export function generateCategories(draws: FixtureDraws): SimCategory[] {
  return CATALOG.flatMap((topLevel) => {
    const topLevelGuid = draws.newGuid('CAT');
    return topLevel.children.map((child) => ({ ...child, guid: draws.newGuid('CAT'), topLevelGuid, kind: topLevel.kind }));
  });
}

/** MX's Uncategorized category: what the ledger files transactions under when it has nothing better. */
export const UNCATEGORIZED_GUID = 'CAT-sim-uncategorized';

export interface DefaultTopLevelCategory {
  guid: string;
  name: string;
  kind: CategoryKind;
  children: SimCategory[];
}

/**
 * The default category tree (MX's list categories: top-level categories with `parent_guid` null, subcategories under
 * them), rebuilt from `generateCategories`' output, which keeps the catalog's order; Uncategorized last.
 */
export function defaultCategoryTree(categories: readonly SimCategory[]): DefaultTopLevelCategory[] {
  const topLevelGuids = [...new Set(categories.map((category) => category.topLevelGuid))];
  const tree = topLevelGuids.map((guid, index) => ({
    guid,
    name: CATALOG[index]!.name,
    kind: CATALOG[index]!.kind,
    children: categories.filter((category) => category.topLevelGuid === guid),
  }));
  return [...tree, { guid: UNCATEGORIZED_GUID, name: 'Uncategorized', kind: 'spending', children: [] }];
}
