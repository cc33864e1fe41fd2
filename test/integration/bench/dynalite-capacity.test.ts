import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { indexWriteUnits, installIndexCapacity } from '../../../bench/support/dynalite-capacity.ts';
import { useLocalEngines } from '../../support/local-table.ts';

/** The cost benchmark's model of DynamoDB's index write units (bench/support/dynalite-capacity.ts). */
const table = { KeySchema: [{ AttributeName: 'pk' }, { AttributeName: 'sk' }] };
const index = (projection: 'ALL' | 'KEYS_ONLY', NonKeyAttributes?: string[]) => ({
  IndexName: 'gsi1',
  KeySchema: [{ AttributeName: 'gsi1pk' }, { AttributeName: 'gsi1sk' }],
  Projection: {
    ProjectionType: NonKeyAttributes ? ('INCLUDE' as const) : projection,
    ...(NonKeyAttributes ? { NonKeyAttributes } : {}),
  },
});
const size = { itemSize: (item: Record<string, unknown>) => JSON.stringify(item).length };
const item = (fields: Record<string, string>) => Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, { S: v }]));
const base = { pk: 'JOB#1', sk: 'JOB', gsi1pk: 'MEMBER#m', gsi1sk: 't1' };

describe('index write units', () => {
  it('an item entering or leaving the index costs one write of its projection; outside it, nothing', () => {
    const big = item({ ...base, payload: 'x'.repeat(2900) });
    expect(indexWriteUnits(size, table, index('ALL'), undefined, big)).toBe(3);
    expect(indexWriteUnits(size, table, index('KEYS_ONLY'), undefined, big)).toBe(1);
    expect(indexWriteUnits(size, table, index('ALL'), big, undefined)).toBe(3);
    expect(indexWriteUnits(size, table, index('ALL'), item({ pk: 'A', sk: 'B' }), item({ pk: 'A', sk: 'B', x: '1' }))).toBe(0);
  });

  it('a changed key costs two writes; a changed projected attribute one; an unprojected change none', () => {
    const before = item({ ...base, status: 'aggregating' });
    expect(indexWriteUnits(size, table, index('KEYS_ONLY'), before, item({ ...base, gsi1sk: 't2', status: 'aggregating' }))).toBe(
      2,
    );
    expect(indexWriteUnits(size, table, index('ALL'), before, item({ ...base, status: 'succeeded' }))).toBe(1);
    expect(indexWriteUnits(size, table, index('KEYS_ONLY'), before, item({ ...base, status: 'succeeded' }))).toBe(0);
    expect(indexWriteUnits(size, table, index('KEYS_ONLY', ['status']), before, item({ ...base, status: 'succeeded' }))).toBe(1);
    expect(
      indexWriteUnits(size, table, index('KEYS_ONLY', ['status']), before, item({ ...base, status: 'aggregating', other: 'x' })),
    ).toBe(0);
  });

  describe('taught to dynalite', () => {
    const local = useLocalEngines();

    it('a write asking for INDEXES is answered with the units of the item and of each index it touched', async () => {
      installIndexCapacity();
      const { client, tableName } = local.table;
      const key = { pk: 'CAPACITY#1', sk: 'X' };
      const put = await client.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...key, gsi1pk: 'CAP', gsi1sk: '1', n: 1 },
          ReturnConsumedCapacity: 'INDEXES',
        }),
      );
      expect(put.ConsumedCapacity?.Table?.CapacityUnits).toBe(1);
      expect(put.ConsumedCapacity?.GlobalSecondaryIndexes).toEqual({ gsi1: { CapacityUnits: 1 } });
      expect(put.ConsumedCapacity?.CapacityUnits).toBe(2);
      const moved = await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: key,
          UpdateExpression: 'SET gsi1sk = :two, gsi2pk = :due, gsi2sk = :at',
          ExpressionAttributeValues: { ':two': '2', ':due': 'DUE#0', ':at': '2026' },
          ReturnConsumedCapacity: 'INDEXES',
        }),
      );
      // gsi1: the old entry deleted and the new one put; gsi2: entered.
      expect(moved.ConsumedCapacity?.GlobalSecondaryIndexes).toEqual({ gsi1: { CapacityUnits: 2 }, gsi2: { CapacityUnits: 1 } });
      expect(moved.ConsumedCapacity?.CapacityUnits).toBe(4);
    });
  });
});
