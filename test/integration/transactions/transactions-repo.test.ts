import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { keys } from '../../../lib/store/table.ts';
import { TransactionsRepository } from '../../../lib/transactions/transactions-repo.ts';
import { SyncStateRepository } from '../../../lib/transactions/sync-state-repo.ts';
import { useLocalEngines } from '../../support/local-table.ts';

const local = useLocalEngines();
const body = JSON.stringify({ guid: 'TRN-1', description: 'Coffee at the corner café', amount: 4.5, memo: 'x'.repeat(600) });

describe('TransactionsRepository: the change log', () => {
  it('stores MX’s body deflated, under one write unit, and hands it back as it came', async () => {
    const repository = new TransactionsRepository(local.table);
    await repository.write('user-z', [{ seq: 1, firstSeq: 1, guid: 'TRN-1', body, version: 'v1', removed: false }], 0);

    const { Item } = await local.table.client.send(
      new GetCommand({ TableName: local.table.tableName, Key: keys.transactionChange('user-z', 1) }),
    );
    expect(Item!.body).toBeUndefined();
    expect((Item!.body_zd as Uint8Array).byteLength).toBeLessThan(body.length / 2);
    expect(await repository.changes('user-z', 0, 1, 10)).toEqual([{ seq: 1, firstSeq: 1, guid: 'TRN-1', removed: false, body }]);
  });

  it('reads entries written before the dictionary (deflated alone) as they were', async () => {
    const repository = new TransactionsRepository(local.table);
    await local.table.client.send(
      new PutCommand({
        TableName: local.table.tableName,
        Item: {
          ...keys.transactionChange('user-old', 1),
          guid: 'TRN-1',
          first_seq: 1,
          removed: false,
          body_z: deflateRawSync(body),
        },
      }),
    );
    expect(await repository.entries('user-old', [1])).toEqual([{ seq: 1, firstSeq: 1, guid: 'TRN-1', removed: false, body }]);
  });

  it('makes a sync state only for a sync: the relay’s own upkeep never recreates one an erasure deleted', async () => {
    const repository = new SyncStateRepository(local.table);
    expect(await repository.claimIngest('user-erased', 'upkeep', 0, 60_000, {})).toBeUndefined();
    await repository.requestWindow('user-erased', 0);
    expect(await repository.state('user-erased')).toBeUndefined();

    expect(await repository.claimIngest('user-erased', 'sync', 0, 60_000, { bySync: true })).toMatchObject({ committed: 0 });
    await repository.release('user-erased', 'sync');
    expect(await repository.claimIngest('user-erased', 'upkeep', 1, 60_000, {})).toMatchObject({ committed: 0 });
  });

  it('forgets by the log: each entry’s pointer, then pointers left without an entry; never one written since', async () => {
    const repository = new TransactionsRepository(local.table);
    const user = 'user-forgotten';
    const change = (seq: number, guid: string) => ({ seq, firstSeq: seq, guid, body, version: `v${seq}`, removed: false });
    await repository.write(
      user,
      [1, 2, 3, 4, 5].map((seq) => change(seq, `TRN-${seq}`)),
      0,
    );
    // A pointer whose entry is gone (a write stopped part-way), and one the user's return wrote since (above 5).
    await local.table.client.send(
      new PutCommand({ TableName: local.table.tableName, Item: { ...keys.transactionPointer(user, 'TRN-stray'), seq: 2 } }),
    );
    await repository.write(user, [change(7, 'TRN-back')], 0);

    expect(await repository.collect(user, 5, 2)).toBe(false);
    expect(await repository.collect(user, 5, 2)).toBe(false);
    expect(await repository.collect(user, 5, 2)).toBe(true);
    expect((await repository.allPointers(user)).map((pointer) => pointer.guid)).toEqual(['TRN-back']);
    expect(await repository.allChanges(user)).toMatchObject([{ seq: 7, guid: 'TRN-back' }]);
  });
});
