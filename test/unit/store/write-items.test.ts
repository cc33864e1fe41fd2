import type { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { deleteItems, type TableRef, type WriteRequest, writeItems } from '../../../lib/store/table.ts';

/** A table whose BatchWriteItem leaves the last `unprocessed(call)` requests of each call for the next. */
function tableOf(unprocessed: (call: number) => number = () => 0) {
  const calls: WriteRequest[][] = [];
  const table = {
    tableName: 't',
    client: {
      send: async (command: BatchWriteCommand) => {
        const requests = command.input.RequestItems!.t!;
        calls.push(requests);
        const left = Math.min(unprocessed(calls.length), requests.length);
        return left > 0 ? { UnprocessedItems: { t: requests.slice(requests.length - left) } } : {};
      },
    },
  } as unknown as TableRef;
  return { table, calls };
}

const put = (n: number): WriteRequest => ({ PutRequest: { Item: { pk: `K#${n}`, sk: 'X', n } } });

describe('writeItems (puts and deletes, 25 to a BatchWriteItem)', () => {
  it('sends the requests in order, at most 25 per call', async () => {
    const requests = Array.from({ length: 60 }, (_, n) => put(n));
    const { table, calls } = tableOf();
    await writeItems(table, requests);
    expect(calls.map((call) => call.length)).toEqual([25, 25, 10]);
    expect(calls.flat()).toEqual(requests);
  });

  it('sends again what DynamoDB left unprocessed, and gives up with an error if it keeps leaving it', async () => {
    const some = tableOf((call) => (call === 1 ? 2 : 0));
    await writeItems(some.table, [put(1), put(2), put(3)]);
    expect(some.calls).toEqual([
      [put(1), put(2), put(3)],
      [put(2), put(3)],
    ]);
    const stuck = tableOf(() => 1);
    const error = await writeItems(stuck.table, [put(1)]).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'NexusRelayError', code: 'DYNAMODB_UNPROCESSED' });
    expect((error as Error).message).toMatch(/unprocessed after 6 retries/);
    expect(stuck.calls).toHaveLength(7);
  });

  it('deleteItems deletes each key once', async () => {
    const { table, calls } = tableOf();
    await deleteItems(table, [
      { pk: 'A', sk: '1' },
      { pk: 'B', sk: '1' },
      { pk: 'A', sk: '1' },
    ]);
    expect(calls).toEqual([[{ DeleteRequest: { Key: { pk: 'A', sk: '1' } } }, { DeleteRequest: { Key: { pk: 'B', sk: '1' } } }]]);
  });
});
