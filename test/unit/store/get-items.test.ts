import type { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { getItems, type TableRef } from '../../../lib/store/table.ts';

/** A table whose BatchGetItem answers from `items`, leaving the keys `unprocessed` picks for the next call. */
function tableOf(
  items: Record<string, unknown>[],
  unprocessed: (call: number, keys: { pk: string; sk: string }[]) => number = () => 0,
) {
  const calls: { keys: { pk: string; sk: string }[]; consistent: boolean }[] = [];
  const table = {
    tableName: 't',
    client: {
      send: async (command: BatchGetCommand) => {
        const request = command.input.RequestItems!.t!;
        const keys = request.Keys as { pk: string; sk: string }[];
        calls.push({ keys, consistent: request.ConsistentRead ?? false });
        const left = unprocessed(calls.length, keys);
        const answered = keys.slice(0, keys.length - left);
        return {
          Responses: { t: items.filter((item) => answered.some((key) => key.pk === item.pk && key.sk === item.sk)) },
          ...(left > 0 ? { UnprocessedKeys: { t: { Keys: keys.slice(keys.length - left) } } } : {}),
        };
      },
    },
  } as unknown as TableRef;
  return { table, calls };
}

const key = (n: number) => ({ pk: `K#${n}`, sk: 'X' });
const item = (n: number) => ({ ...key(n), n });

describe('getItems (a keys-only index page, then its items)', () => {
  it('answers in the order of the keys, leaves out keys without an item, and reads each key once', async () => {
    const { table, calls } = tableOf([item(1), item(2), item(3)]);
    expect(await getItems(table, [key(3), key(9), key(1), key(3)])).toEqual([item(3), item(1), item(3)]);
    expect(calls).toEqual([{ keys: [key(3), key(9), key(1)], consistent: false }]);
  });

  it('reads at most 100 keys per call, strongly consistent when asked', async () => {
    const all = Array.from({ length: 250 }, (_, n) => n);
    const { table, calls } = tableOf(all.map(item));
    expect(await getItems(table, all.map(key), { consistent: true })).toEqual(all.map(item));
    expect(calls.map((call) => [call.keys.length, call.consistent])).toEqual([
      [100, true],
      [100, true],
      [50, true],
    ]);
  });

  it('asks again for the keys DynamoDB left unprocessed, and gives up with an error if it keeps leaving them', async () => {
    const some = tableOf([item(1), item(2)], (call) => (call === 1 ? 1 : 0));
    expect(await getItems(some.table, [key(1), key(2)])).toEqual([item(1), item(2)]);
    expect(some.calls.map((call) => call.keys)).toEqual([[key(1), key(2)], [key(2)]]);
    const stuck = tableOf([item(1)], () => 1);
    await expect(getItems(stuck.table, [key(1)])).rejects.toThrow(/unprocessed/);
  });
});
