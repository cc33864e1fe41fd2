import { expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { silentLog } from '../../../lib/logger.ts';
import type { SyncState } from '../../../lib/transactions/sync-state-repo.ts';
import { TransactionSync } from '../../../lib/transactions/transaction-sync.ts';
import type { TransactionPointer } from '../../../lib/transactions/transactions-repo.ts';

const NOW = 1_000_000;

/** A sync over a user whose state is `state` and who holds `pointers`; every call to the table and MX in `calls`. */
function syncOf(state: SyncState, pointers: TransactionPointer[]) {
  const calls: string[] = [];
  const clock = new ManualClock(NOW);
  const sync = new TransactionSync({
    states: {
      state: async () => (calls.push('state'), state),
      claimIngest: async () => (calls.push('claim'), undefined),
      release: async () => void calls.push('release'),
    },
    repository: { pointers: async () => (calls.push('pointers'), new Map(pointers.map((p) => [p.guid, p]))) },
    nexus: { request: async () => calls.push('MX read') },
    clock,
    sleep: async (ms: number) => clock.advance(ms),
    log: silentLog,
    metrics: { add: () => {} },
  } as never);
  return { sync, calls };
}

const removed: TransactionPointer = { guid: 'TRN-1', seq: 3, firstSeq: 1, version: 'v', removed: true };

it("MX's deletion of what the log already removed: the pointers read, no lease claimed, nothing written", async () => {
  const { sync, calls } = syncOf({ allocated: 3, committed: 3 }, [removed]);
  expect(await sync.confirmRemovals('user-1', ['TRN-1', 'TRN-unknown'])).toEqual({ removed: 0 });
  expect(calls).toEqual(['state', 'pointers']);
});

it('a lapsed lease is taken over first: its holder may still be writing', async () => {
  const { sync, calls } = syncOf({ allocated: 3, committed: 3, leaseUntil: NOW - 1 }, [removed]);
  await expect(sync.confirmRemovals('user-1', ['TRN-1'])).rejects.toMatchObject({ code: 'SYNC_BUSY' });
  expect(calls).toContain('claim');
  expect(calls).not.toContain('pointers');
});

it('while an ingest holds the lease, its writes may be coming: the removal waits for the lease', async () => {
  const { sync, calls } = syncOf({ allocated: 3, committed: 3, leaseUntil: NOW + 30_000 }, [removed]);
  await expect(sync.confirmRemovals('user-1', ['TRN-1'])).rejects.toMatchObject({ code: 'SYNC_BUSY' });
  expect(calls.slice(0, 2)).toEqual(['state', 'state']);
  expect(calls).toContain('claim');
  expect(calls).not.toContain('pointers');
});
