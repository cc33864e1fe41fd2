import { describe, expect, it } from 'vitest';
import { dayOf, factsOf, isPending, linkPending, pendingWindow } from '../../../lib/transactions/pending-match.ts';

const pendingRow = {
  guid: 'TRN-p',
  account_guid: 'ACT-1',
  type: 'DEBIT',
  amount: 4.5,
  description: ' Blue  Bottle ',
  status: 'PENDING',
  date: '2026-11-20',
  created_at: '2026-11-20T08:00:00Z',
};
const postedRow = {
  ...pendingRow,
  guid: 'TRN-q',
  description: 'blue bottle',
  status: 'POSTED',
  created_at: '2026-11-21T09:00:00Z',
};
const facts = (row: Record<string, unknown> & { guid: string }) => ({ guid: row.guid, ...factsOf(row)! });

describe('linkPending', () => {
  it('links a posted transaction to the one removed pending transaction like it', () => {
    expect(linkPending([facts(pendingRow)], [facts(postedRow)], [])).toEqual(new Map([['TRN-q', 'TRN-p']]));
  });

  it('never guesses: two pending like it, two posted like it, or a pending one still there', () => {
    const other = { ...pendingRow, guid: 'TRN-p2' };
    expect(linkPending([facts(pendingRow), facts(other)], [facts(postedRow)], []).size).toBe(0);
    expect(linkPending([facts(pendingRow)], [facts(postedRow), facts({ ...postedRow, guid: 'TRN-q2' })], []).size).toBe(0);
    expect(linkPending([facts(pendingRow)], [facts(postedRow)], [factsOf(other)!]).size).toBe(0);
  });

  it('does not link another account, amount, a posted one made before the pending one, or dated a week and more after', () => {
    for (const posted of [
      { ...postedRow, account_guid: 'ACT-2' },
      { ...postedRow, amount: 4.51 },
      { ...postedRow, type: 'CREDIT' },
      { ...postedRow, created_at: '2026-11-19T00:00:00Z' },
      { ...postedRow, date: '2026-11-28' },
      { ...postedRow, date: '2026-11-18' },
    ]) {
      expect(linkPending([facts(pendingRow)], [facts(posted)], []).size, JSON.stringify(posted)).toBe(0);
    }
  });
});

describe('what a match reads', () => {
  it("reads MX's date as a day, from text or Unix seconds (MX's webhooks), and PENDING in any case", () => {
    expect(dayOf({ guid: 'a', date: '2026-11-20' })).toBe('2026-11-20');
    expect(dayOf({ guid: 'a', date: '2026-11-20T23:00:00Z' })).toBe('2026-11-20');
    expect(dayOf({ guid: 'a', date: Date.UTC(2026, 10, 20) / 1000 })).toBe('2026-11-20');
    expect(dayOf({ guid: 'a', date: null })).toBeUndefined();
    expect(isPending({ guid: 'a', status: 'pending' })).toBe(true);
    expect(isPending({ guid: 'a', status: 1 })).toBe(false);
    // Nexus pairs a number with its `…_name` (amount_set_by, feed_transaction_type): a status given so is read by name.
    expect(isPending({ guid: 'a', status: 2, status_name: 'PENDING' })).toBe(true);
    expect(isPending({ guid: 'a', status: 'POSTED', status_name: 'PENDING' })).toBe(false);
  });

  it('has no facts without an account, a description, an amount or a date: such a transaction is never linked', () => {
    for (const missing of ['account_guid', 'description', 'amount', 'date']) {
      const { [missing]: _, ...row } = pendingRow as Record<string, unknown>;
      expect(factsOf(row as typeof pendingRow)).toBeUndefined();
    }
    expect(factsOf({ ...pendingRow, amount: '4.50' })?.key).toBe(factsOf(pendingRow)?.key);
  });

  it('reads the window as 15 days back and 5 ahead', () => {
    expect(pendingWindow(Date.UTC(2026, 10, 20, 12))).toEqual({ from: '2026-11-05', to: '2026-11-25' });
  });
});
