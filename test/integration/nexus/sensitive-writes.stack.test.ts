import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { expect, it } from 'vitest';
import type { LocalStack } from '../../../infra/local/local-stack.ts';
import { createDocumentClient } from '../../../lib/aws/dynamodb-client.ts';
import { useLocalStack } from '../../support/local-stack.ts';

/**
 * A relayed write whose answer carries an account number (a microdeposit): replayed for its Idempotency-Key, yet the
 * number is in no table item and no log line — the stored answer is sealed.
 */
const USER = 'sim-user-mm';
const ACCOUNT_NUMBER = '987654321012';
let stack: LocalStack;
const logLines: string[] = [];
useLocalStack((started) => void (stack = started), { logLines });

const create = async (key: string) => {
  const response = await fetch(`${stack.url}/users/${USER}/micro_deposits`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify({
      micro_deposit: {
        first_name: 'Ada',
        last_name: 'Lovelace',
        email: 'ada@example.com',
        account_number: ACCOUNT_NUMBER,
        routing_number: '091000019',
        account_type: 1,
      },
    }),
  });
  return { status: response.status, replayed: response.headers.get('idempotent-replayed'), text: await response.text() };
};

it('replays a microdeposit’s answer byte for byte, keeping its account number in no item and no log line', async () => {
  const first = await create('micro-1');
  expect(first.status, first.text).toBe(200);
  expect(first.text).toContain(ACCOUNT_NUMBER);
  const again = await create('micro-1');
  expect(again).toEqual({ ...first, replayed: 'true' });

  const listed = await fetch(`${stack.url}/users/${USER}/micro_deposits`, {
    headers: { authorization: `Bearer ${stack.apiKey}` },
  });
  expect(((await listed.json()) as { micro_deposits: unknown[] }).micro_deposits).toHaveLength(1);

  const table = createDocumentClient({ region: stack.engines.region, dynamoDbEndpoint: stack.engines.dynamoDbEndpoint });
  const { Items = [] } = await table.send(new ScanCommand({ TableName: stack.engines.tableName }));
  table.destroy();
  expect(Items.some((item) => String(item.pk).startsWith('IDEMP#'))).toBe(true);
  for (const item of Items) expect(JSON.stringify(item)).not.toContain(ACCOUNT_NUMBER);
  for (const line of logLines) expect(line).not.toContain(ACCOUNT_NUMBER);
});
