import { accountBook } from './account-book.ts';
import { toIso } from './clock.ts';
import { MxError } from './mx-errors.ts';
import type { MxRoute } from './mx-endpoint.ts';
import { pfmEndpoint } from './pfm-access.ts';
import type { SimHolding } from './read-model.ts';
import { pagedListBody } from './read-views.ts';
import { readDataOf } from './seed-data.ts';
import type { SimulatorState } from './state.ts';
import { optionalAmount, optionalBoolean, optionalString, rootedBody } from './write-bodies.ts';

const SET_BY_NAME = { 1: 'FEED', 2: 'USER' } as const;
const BOND = 4;

/**
 * A holding with every field of MX's holding example (List all holdings, Update holding; our copy of it is cut off
 * after `feed_isin`) and the rest of MX's holdings overview (guid, holding_type, market_value, shares, symbol, …).
 * What the feed sent (`feed_*`) stays as seeded; a user's update sets the field and its `*_set_by` (2 USER).
 */
export const holdingView = (holding: SimHolding, seeded: SimHolding) => {
  const isBond = holding.holdingType === BOND;
  const fromFeed = <T>(value: T | null) => ({ value, by: value === null ? null : 1 });
  const bondRate = fromFeed(isBond ? 4.25 : null);
  const bondMaturity = fromFeed(isBond ? '2034-05-15T00:00:00.000Z' : null);
  const equityClass = holding.holdingType === BOND ? null : 5;
  const currencyBy = holding.currencyCode === seeded.currencyCode ? 1 : 2;
  return {
    account_guid: holding.accountGuid,
    allocations_cash: holding.allocations.cash,
    allocations_convertible: 0,
    allocations_foreign_bond: holding.allocations.foreignBond,
    allocations_foreign_stock: holding.allocations.foreignStock,
    allocations_other: 0,
    allocations_preferred: 0,
    allocations_unknown: 0,
    allocations_us_bond: holding.allocations.usBond,
    allocations_us_stock: holding.allocations.usStock,
    bond_coupon_rate: bondRate.value,
    bond_coupon_rate_set_by: bondRate.by,
    bond_coupon_rate_set_by_name: bondRate.by === null ? null : 'FEED',
    bond_maturity_date: bondMaturity.value,
    bond_maturity_date_set_by: bondMaturity.by,
    bond_maturity_date_set_by_name: bondMaturity.by === null ? null : 'FEED',
    cost_basis: holding.costBasis,
    cost_basis_set_by: holding.costBasisSetBy,
    cost_basis_set_by_name: SET_BY_NAME[holding.costBasisSetBy],
    cost_basis_updated_at: toIso(holding.costBasisUpdatedAt),
    created_at: toIso(holding.createdAt),
    currency_code: holding.currencyCode,
    currency_code_set_by: currencyBy,
    currency_code_set_by_name: SET_BY_NAME[currencyBy],
    daily_change: holding.dailyChange,
    daily_change_set_by: 1,
    daily_change_set_by_name: 'FEED',
    deleted_at: null,
    description: holding.description,
    description_set_by: 1,
    description_set_by_name: 'FEED',
    equity_classification: equityClass,
    equity_classification_set_by: equityClass === null ? null : 1,
    equity_classification_set_by_name: equityClass === null ? null : 'FEED',
    external_guid: null,
    fixed_income_classification: isBond ? 5 : null,
    fixed_income_classification_set_by: isBond ? 1 : null,
    fixed_income_classification_set_by_name: isBond ? 'FEED' : null,
    feed_bond_coupon_rate: bondRate.value,
    feed_bond_maturity_date: bondMaturity.value,
    feed_cost_basis: seeded.costBasis,
    feed_currency_code: seeded.currencyCode,
    feed_cusip: null,
    feed_daily_change: holding.dailyChange,
    feed_description: holding.description,
    feed_equity_classification: equityClass,
    feed_fixed_income_classification: isBond ? 5 : null,
    feed_isin: null,
    feed_market_value: holding.marketValue,
    feed_purchase_price: holding.purchasePrice,
    feed_shares: holding.shares,
    feed_symbol: holding.symbol,
    guid: holding.guid,
    holding_type: holding.holdingType,
    holding_type_name: holding.holdingTypeName,
    market_value: holding.marketValue,
    member_guid: holding.memberGuid,
    metadata: holding.metadata,
    purchase_price: holding.purchasePrice,
    shares: holding.shares,
    symbol: holding.symbol,
    updated_at: toIso(holding.updatedAt),
    user_guid: holding.userGuid,
  };
};

/**
 * Nexus holdings: list (paged, as the relay asks for it), read, update (`{"holding":{cost_basis, currency_code,
 * metadata, skip_webhook}}`, MX's example). Holdings come from aggregation, a PFM product: pfmEndpoint.
 */
export function holdingRoutes(state: SimulatorState): MxRoute[] {
  const book = accountBook(state);
  /** What the feed sent, before the user's updates: the seeded record as it was drawn. */
  const original = new Map<string, SimHolding>();
  const seededOf = (holding: SimHolding) => original.get(holding.guid) ?? holding;
  const holdingOf = (holdings: SimHolding[], guid: string | undefined) => {
    const holding = holdings.find((candidate) => candidate.guid === guid);
    if (!holding) throw new MxError(404, 'Holding not found.');
    return holding;
  };

  return [
    {
      methods: ['GET'],
      pattern: '/holdings',
      handler: pfmEndpoint(state, ({ query }, user) => ({
        status: 200,
        body: pagedListBody('holdings', book.holdingsOf(user), (holding) => holdingView(holding, seededOf(holding)), query),
      })),
    },
    {
      methods: ['GET'],
      pattern: '/holdings/{holding_guid}',
      handler: pfmEndpoint(state, ({ params }, user) => {
        const holding = holdingOf(book.holdingsOf(user), params.holding_guid);
        return { status: 200, body: { holding: holdingView(holding, seededOf(holding)) } };
      }),
    },
    {
      methods: ['PUT'],
      pattern: '/holdings/{holding_guid}',
      handler: pfmEndpoint(state, ({ params, body }, user) => {
        const visible = holdingOf(book.holdingsOf(user), params.holding_guid);
        const input = rootedBody(body, 'holding');
        const costBasis = optionalAmount(input, 'cost_basis', { min: 0 });
        const currency = input.currency_code;
        if (currency !== undefined && (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency))) {
          throw new MxError(400, 'currency_code must be an ISO 4217 code (USD).');
        }
        const metadata = optionalString(input, 'metadata', { max: 10_000, nullable: true });
        optionalBoolean(input, 'skip_webhook');

        const holding = readDataOf(state.seedData, user.id).holdings.find(({ guid }) => guid === visible.guid)!;
        if (!original.has(holding.guid)) original.set(holding.guid, { ...holding });
        const at = state.clock.now();
        if (typeof costBasis === 'number') Object.assign(holding, { costBasis, costBasisSetBy: 2, costBasisUpdatedAt: at });
        if (typeof currency === 'string') holding.currencyCode = currency;
        if (metadata !== undefined) holding.metadata = metadata;
        holding.updatedAt = at;
        const answered = { ...holding, accountGuid: visible.accountGuid };
        return { status: 200, body: { holding: holdingView(answered, seededOf(holding)) } };
      }),
    },
  ];
}
