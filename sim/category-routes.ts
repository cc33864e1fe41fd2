import { startOfDay } from './calendar.ts';
import type { SimUser } from './members.ts';
import { MxError } from './mx-errors.ts';
import type { MxRoute } from './mx-endpoint.ts';
import { pfmEndpoint } from './pfm-access.ts';
import { optionalMetadata, optionalString, requireSome, requiredString, rootObject } from './pfm-input.ts';
import {
  type CategoryRecord,
  categoriesOf,
  defaultTree,
  merchantsOf,
  pfmOf,
  recategorised,
  transactionsOf,
} from './pfm-store.ts';
import { categoryView, merchantLocationView, merchantView, tagView, taggingView } from './pfm-views.ts';
import { isWithin, parseDayRange } from './read-filters.ts';
import { pagedListBody } from './read-views.ts';
import type { SimulatorState } from './state.ts';

const seconds = (ms: number): number => Math.floor(ms / 1000);
const round2 = (value: number): number => Math.round(value * 100) / 100;

/**
 * Nexus categories (the defaults and the user's own subcategories), category totals, tags, taggings and merchants.
 * Only subcategories the user made (`is_default: false`) can be changed or deleted (MX's update subcategory page).
 */
export function categoryRoutes(state: SimulatorState): MxRoute[] {
  const findCategory = (user: SimUser, guid: string | undefined): CategoryRecord => {
    const category = categoriesOf(state, user).find((candidate) => candidate.guid === guid);
    if (!category) throw new MxError(404, 'Category not found.');
    return category;
  };
  /** The user's own subcategory, or 404 (unknown, another user's) / 400 (a default one, which cannot change). */
  const ownCategory = (user: SimUser, guid: string | undefined) => {
    const category = findCategory(user, guid);
    if (category.isDefault)
      throw new MxError(400, 'Default categories cannot be changed: category_guid must name a user-defined subcategory.');
    return pfmOf(state, user).customCategories.find((custom) => custom.guid === guid)!;
  };

  return [
    {
      methods: ['GET'],
      pattern: '/categories',
      handler: pfmEndpoint(state, ({ query }, user) => ({
        status: 200,
        body: pagedListBody('categories', categoriesOf(state, user), categoryView, query),
      })),
    },
    {
      methods: ['POST'],
      pattern: '/categories',
      handler: pfmEndpoint(state, ({ body }, user) => {
        const input = rootObject(body, 'category');
        const name = requiredString(input, 'category', 'name');
        const parentGuid = requiredString(input, 'category', 'parent_guid');
        const metadata = optionalMetadata(input, 'category');
        if (!defaultTree(state).some((top) => top.guid === parentGuid)) {
          throw new MxError(400, 'category.parent_guid must name a default top-level category.');
        }
        const now = state.clock.now();
        const pfm = pfmOf(state, user);
        const custom = {
          guid: pfm.draws.newGuid('CAT'),
          name,
          parentGuid,
          metadata: metadata ?? null,
          createdAt: now,
          updatedAt: now,
        };
        pfm.customCategories.push(custom);
        return { status: 200, body: { category: categoryView(findCategory(user, custom.guid)) } };
      }),
    },
    {
      methods: ['GET'],
      pattern: '/categories/{category_guid}',
      handler: pfmEndpoint(state, ({ params }, user) => ({
        status: 200,
        body: { category: categoryView(findCategory(user, params.category_guid)) },
      })),
    },
    {
      methods: ['PUT'],
      pattern: '/categories/{category_guid}',
      handler: pfmEndpoint(state, ({ params, body }, user) => {
        const custom = ownCategory(user, params.category_guid);
        const input = rootObject(body, 'category');
        requireSome(input, 'category', ['name', 'metadata']);
        const name = optionalString(input, 'category', 'name');
        const metadata = optionalMetadata(input, 'category');
        if (name !== undefined) custom.name = name;
        if (metadata !== undefined) custom.metadata = metadata;
        custom.updatedAt = state.clock.now();
        return { status: 200, body: { category: categoryView(findCategory(user, custom.guid)) } };
      }),
    },
    {
      methods: ['DELETE'],
      pattern: '/categories/{category_guid}',
      handler: pfmEndpoint(state, ({ params }, user) => {
        const custom = ownCategory(user, params.category_guid);
        const pfm = pfmOf(state, user);
        const now = state.clock.now();
        // Its transactions fall back to the parent category; budgets and rules on it go with it.
        const parent = findCategory(user, custom.parentGuid);
        for (const transaction of transactionsOf(state, user)) {
          if (transaction.categoryGuid === custom.guid)
            state.transactions.edit(user, { ...recategorised(transaction, parent), updatedAt: now });
        }
        pfm.customCategories = pfm.customCategories.filter((candidate) => candidate !== custom);
        pfm.budgets = pfm.budgets.filter((budget) => budget.categoryGuid !== custom.guid);
        pfm.rules = pfm.rules.filter((rule) => rule.categoryGuid !== custom.guid);
        return { status: 204, body: undefined };
      }),
    },
    {
      methods: ['GET'],
      pattern: '/date_range_category_totals/from/{start_date}/to/{end_date}',
      handler: pfmEndpoint(state, ({ params, query }, user) => {
        const range = parseDayRange(params.start_date, params.end_date);
        const accounts = [...query.getAll('account_guid'), ...query.getAll('account_guid[]')];
        const totals = new Map<string, number>();
        for (const transaction of transactionsOf(state, user)) {
          if (!isWithin(transaction.date, range)) continue;
          if (accounts.length > 0 && !accounts.includes(transaction.accountGuid)) continue;
          totals.set(transaction.categoryGuid, (totals.get(transaction.categoryGuid) ?? 0) + transaction.amount);
        }
        const order = categoriesOf(state, user).map((category) => category.guid);
        const guids = [...totals.keys()].sort((a, b) => order.indexOf(a) - order.indexOf(b));
        return {
          status: 200,
          body: {
            // MX's example writes the range as Unix seconds (midnight of each day), though the path takes days.
            date_range_category_totals: guids.map((guid) => ({
              category_guid: guid,
              end_date: seconds(startOfDay(range.end)),
              start_date: seconds(startOfDay(range.start)),
              total: round2(totals.get(guid)!),
              user_guid: user.guid,
            })),
          },
        };
      }),
    },
    // Tags and taggings are read-only: MX's end users make them in its widgets (MX's taggings overview).
    {
      methods: ['GET'],
      pattern: '/tags',
      handler: pfmEndpoint(state, ({ query }, user) => ({
        status: 200,
        body: pagedListBody('tags', pfmOf(state, user).tags, tagView(user), query),
      })),
    },
    {
      methods: ['GET'],
      pattern: '/taggings',
      handler: pfmEndpoint(state, ({ query }, user) => {
        // A tagging goes with its transaction (a pending one that posted, a manual one deleted).
        const existing = new Set(transactionsOf(state, user).map((transaction) => transaction.guid));
        const taggings = pfmOf(state, user).taggings.filter((tagging) => existing.has(tagging.transactionGuid));
        return { status: 200, body: pagedListBody('taggings', taggings, taggingView(user), query) };
      }),
    },
    {
      methods: ['GET'],
      pattern: '/merchants',
      handler: pfmEndpoint(state, ({ query }) => ({
        status: 200,
        body: pagedListBody('merchants', merchantsOf(state), merchantView, query),
      })),
    },
    {
      methods: ['GET'],
      pattern: '/merchants/{merchant_guid}',
      handler: pfmEndpoint(state, ({ params }) => {
        const merchant = merchantsOf(state).find((candidate) => candidate.guid === params.merchant_guid);
        if (!merchant) throw new MxError(404, 'Merchant not found.');
        return { status: 200, body: { merchant: merchantView(merchant) } };
      }),
    },
    {
      methods: ['GET'],
      pattern: '/merchant_locations/{merchant_location_guid}',
      handler: pfmEndpoint(state, ({ params }) => {
        const merchant = merchantsOf(state).find((candidate) => candidate.location.guid === params.merchant_location_guid);
        if (!merchant) throw new MxError(404, 'Merchant location not found.');
        return { status: 200, body: { merchant_location: merchantLocationView(merchant.location) } };
      }),
    },
  ];
}
