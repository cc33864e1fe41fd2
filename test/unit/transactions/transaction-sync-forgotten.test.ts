import { expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { silentLog } from '../../../lib/logger.ts';
import { TransactionSync } from '../../../lib/transactions/transaction-sync.ts';

it('the relay’s own upkeep leaves a forgotten user alone: its claim is declined, nothing read or released', async () => {
  const calls: string[] = [];
  const sync = new TransactionSync({
    states: {
      // The claim's condition refuses a forgotten state; the state read then says why.
      claimIngest: async () => void calls.push('claim'),
      state: async () => ({ allocated: 4, committed: 4, resetSeq: 4, forgotten: true }),
      release: async () => void calls.push('release'),
      requestWindow: async () => void calls.push('requestWindow'),
    },
    nexus: { request: async () => calls.push('MX read') },
    clock: new ManualClock(0),
    log: silentLog,
    metrics: { add: () => {} },
  } as never);
  expect(await sync.confirmRemovals('user-1', ['TRN-1'])).toBeUndefined();
  expect(await sync.ingestAfterAggregation('user-1')).toBeUndefined();
  expect(calls).toEqual(['claim', 'claim']);
});
