import { describe, expect, it } from 'vitest';
import { coverage, coverageDisagreements } from '../../../scripts/nexus-coverage.ts';

describe("the coverage table of MX's Nexus reference", () => {
  it('agrees with the routes: each relayed operation a route, each other one a reason', () => {
    expect(coverageDisagreements()).toEqual([]);
  });

  it('relays what a PFM app needs as a user', () => {
    const relayed = new Set(coverage().flatMap((row) => (row.route ? [row.mx.ref] : [])));
    for (const ref of ['create-subcategory', 'create-transaction-rule', 'update-transaction', 'create-budget', 'create-goal']) {
      expect(relayed, ref).toContain(ref);
    }
    for (const ref of ['list-tags', 'list-taggings', 'list-insights', 'list-holdings', 'list-account-balancesby-month']) {
      expect(relayed, ref).toContain(ref);
    }
  });
});
