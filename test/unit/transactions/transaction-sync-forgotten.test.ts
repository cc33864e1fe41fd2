import { expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { silentLog } from '../../../lib/logger.ts';
import { TransactionSync } from '../../../lib/transactions/transaction-sync.ts';

it('the relay’s own upkeep leaves a forgotten user alone: the state read first, nothing claimed, read or released', async () => {
  const calls: string[] = [];
  const sync = new TransactionSync({
    states: {
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
  expect(calls).toEqual([]);
});

it('the relay’s own upkeep of a user who never synced costs one read and no write', async () => {
  const calls: string[] = [];
  const sync = new TransactionSync({
    states: {
      claimIngest: async () => void calls.push('claim'),
      state: async () => void calls.push('state'),
      requestWindow: async () => void calls.push('requestWindow'),
    },
    nexus: { request: async () => calls.push('MX read') },
    clock: new ManualClock(0),
    log: silentLog,
    metrics: { add: () => {} },
  } as never);
  expect(await sync.ingestAfterAggregation('user-1')).toBeUndefined();
  expect(calls).toEqual(['state']);
});
