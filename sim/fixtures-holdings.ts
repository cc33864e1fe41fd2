import { HOUR_MS, MINUTE_MS } from './calendar.ts';
import type { FixtureDraws } from './fixture-draws.ts';
import type { SimAccount, SimHolding } from './read-model.ts';

/** What the seeded investment accounts hold: a symbol, its description and type, and a price range per share. */
const SECURITIES: readonly { symbol: string; description: string; type: number; typeName: string; price: [number, number] }[] = [
  { symbol: 'VTI', description: 'Vanguard Total Stock Market ETF', type: 3, typeName: 'ETF', price: [180, 260] },
  { symbol: 'VXUS', description: 'Vanguard Total International Stock ETF', type: 3, typeName: 'ETF', price: [50, 70] },
  { symbol: 'BND', description: 'Vanguard Total Bond Market ETF', type: 3, typeName: 'ETF', price: [68, 80] },
  { symbol: 'AAPL', description: 'Apple Inc.', type: 1, typeName: 'EQUITY', price: [150, 230] },
  { symbol: 'MSFT', description: 'Microsoft Corporation', type: 1, typeName: 'EQUITY', price: [300, 450] },
  { symbol: 'FXAIX', description: 'Fidelity 500 Index Fund', type: 2, typeName: 'MUTUAL_FUND', price: [150, 200] },
  { symbol: 'T 4.25 05/15/34', description: 'US Treasury Note 4.25% 2034', type: 4, typeName: 'BOND', price: [95, 102] },
  {
    symbol: 'VTIAX',
    description: 'Vanguard Total International Stock Index Admiral',
    type: 2,
    typeName: 'MUTUAL_FUND',
    price: [28, 36],
  },
];

/** Each security's allocation: stock funds in stocks, bond ones in bonds, with a little cash. */
function allocationsOf(symbol: string, draws: FixtureDraws): SimHolding['allocations'] {
  const cash = Math.round(draws.amount(0, 3) * 100) / 100;
  const rest = Math.round((100 - cash) * 100) / 100;
  if (symbol === 'BND' || symbol.startsWith('T ')) return { cash, usStock: 0, foreignStock: 0, usBond: rest, foreignBond: 0 };
  if (symbol === 'VXUS' || symbol === 'VTIAX') return { cash, usStock: 0, foreignStock: rest, usBond: 0, foreignBond: 0 };
  return { cash, usStock: rest, foreignStock: 0, usBond: 0, foreignBond: 0 };
}

const cents = (value: number) => Math.round(value * 100) / 100;

/**
 * An investment account on a member of the user's and `count` holdings in it. The account joins the member's others
 * (opened with them, a little later); its balance is what the holdings are worth at market value, so the two agree.
 */
export function generateInvestments(
  draws: FixtureDraws,
  owner: { userGuid: string; memberGuid: string },
  siblings: readonly SimAccount[],
  profile: { name: string; holdings: number },
  asOf: number,
): { account: SimAccount; holdings: SimHolding[] } {
  const openedAt =
    Math.max(...siblings.map((account) => account.createdAt), asOf - 400 * 24 * HOUR_MS) + (1 + draws.int(48)) * HOUR_MS;
  const accountGuid = draws.newGuid('ACT');
  const holdings = draws
    .shuffle(SECURITIES)
    .slice(0, Math.min(profile.holdings, SECURITIES.length))
    .sort((a, b) => (a.symbol < b.symbol ? -1 : 1))
    .map((security): SimHolding => {
      const shares = cents(1 + draws.int(200) + draws.int(1000) / 1000);
      const purchasePrice = draws.amount(...security.price);
      const price = cents(purchasePrice * (0.85 + draws.int(40) / 100));
      const createdAt = openedAt + draws.int(60) * MINUTE_MS;
      const updatedAt = asOf - draws.int(12) * HOUR_MS;
      return {
        guid: draws.newGuid('HOL'),
        accountGuid,
        ...owner,
        symbol: security.symbol,
        description: security.description,
        holdingType: security.type,
        holdingTypeName: security.typeName,
        shares,
        purchasePrice,
        marketValue: cents(shares * price),
        costBasis: cents(shares * purchasePrice),
        costBasisSetBy: 1,
        costBasisUpdatedAt: createdAt,
        currencyCode: 'USD',
        dailyChange: cents((draws.int(400) - 200) / 100),
        allocations: allocationsOf(security.symbol, draws),
        metadata: null,
        createdAt,
        updatedAt,
      };
    });
  const balance = cents(holdings.reduce((sum, holding) => sum + holding.marketValue, 0));
  const account: SimAccount = {
    guid: accountGuid,
    ...owner,
    name: profile.name,
    type: 'INVESTMENT',
    isManual: false,
    accountNumber: String(draws.int(10_000)).padStart(4, '0'),
    balance,
    availableBalance: balance,
    creditLimit: null,
    createdAt: openedAt,
    updatedAt: Math.max(...holdings.map((holding) => holding.updatedAt)),
  };
  return { account, holdings };
}
