import { expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { silentLog } from '../../../lib/logger.ts';
import { TransactionSync } from '../../../lib/transactions/transaction-sync.ts';

/** A sync over a user whose state is `state`, every call to the table and MX recorded in `calls`. */
function syncOf(state: () => Promise<unknown>) {
  const calls: string[] = [];
  const sync = new TransactionSync({
    states: {
      claimIngest: async () => void calls.push('claim'),
      state: async () => (calls.push('state'), state()),
      release: async () => void calls.push('release'),
      requestWindow: async () => void calls.push('requestWindow'),
    },
    nexus: { request: async () => calls.push('MX read') },
    clock: new ManualClock(0),
    log: silentLog,
    metrics: { add: () => {} },
  } as never);
  return { sync, calls };
}

it('the relay’s own upkeep leaves a forgotten user alone: the state read first, nothing claimed, read or released', async () => {
  const { sync, calls } = syncOf(async () => ({ allocated: 4, committed: 4, resetSeq: 4, forgotten: true }));
  expect(await sync.confirmRemovals('user-1', ['TRN-1'])).toBeUndefined();
  expect(await sync.ingestAfterAggregation('user-1')).toBeUndefined();
  expect(calls).toEqual(['state', 'state']);
});

it('the relay’s own upkeep of a user who never synced costs one read and no write', async () => {
  const { sync, calls } = syncOf(async () => undefined);
  expect(await sync.ingestAfterAggregation('user-1')).toBeUndefined();
  expect(calls).toEqual(['state']);
});
