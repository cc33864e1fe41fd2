import { expect, it } from 'vitest';
import { digestOf } from '../../../lib/hash.ts';
import { changesFound } from '../../../lib/transactions/changes-found.ts';
import type { TransactionPointer } from '../../../lib/transactions/transactions-repo.ts';

const transaction = { guid: 'TRN-1', member_guid: 'MBR-1', amount: 12.5, status: 'POSTED', date: '2026-11-20' };
const window = { from: '2026-11-10', to: '2026-11-25' };
const pointer = (version: string): TransactionPointer => ({ guid: 'TRN-1', seq: 4, firstSeq: 2, version, removed: false });

it('a re-read is no change, whether its pointer holds the 96-bit version or the whole digest written before', () => {
  for (const version of [digestOf(transaction).slice(0, 24), digestOf(transaction)]) {
    expect(changesFound([transaction], new Map([['TRN-1', pointer(version)]]), [], window)).toEqual([]);
  }
  const changed = changesFound(
    [{ ...transaction, amount: 13 }],
    new Map([['TRN-1', pointer(digestOf(transaction))]]),
    [],
    window,
  );
  expect(changed.map(({ write }) => [write.guid, write.version])).toEqual([
    ['TRN-1', digestOf({ ...transaction, amount: 13 }).slice(0, 24)],
  ]);
});
