import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../../infra/local/local-stack.ts';
import { createDocumentClient } from '../../../lib/aws/dynamodb-client.ts';
import { startWebhookReceiver } from '../../support/webhook-receiver.ts';

/**
 * Webhook signing secrets at rest, over the local stack: after creating and rotating webhooks (with and without
 * Idempotency-Key, whose stored answers carry the secret), no item of the table holds a signing secret in clear.
 */
let stack: LocalStack;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
const handedOut: string[] = [];

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, simPort: 0, env: { LOG_LEVEL: 'ERROR' } });
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await receiver?.close();
  await stack?.stop();
});

async function api(method: string, path: string, options: { body?: unknown; idempotencyKey?: string } = {}) {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${stack.apiKey}`,
      'content-type': 'application/json',
      ...(options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {}),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  expect(response.status, `${method} ${path}: ${text}`).toBeLessThan(300);
  return (text ? JSON.parse(text) : undefined) as any;
}

const scanTable = async (): Promise<string> => {
  const client = createDocumentClient({ region: stack.engines.region, dynamoDbEndpoint: stack.engines.dynamoDbEndpoint });
  const { Items = [] } = await client.send(new ScanCommand({ TableName: stack.engines.tableName }));
  client.destroy();
  return JSON.stringify(Items);
};

it('no signing secret is stored in clear after creating and rotating webhooks', async () => {
  const plain = await api('POST', '/webhooks', { body: { url: receiver.url } });
  const keyed = await api('POST', '/webhooks', { body: { url: receiver.url }, idempotencyKey: 'create-once' });
  const replayed = await api('POST', '/webhooks', { body: { url: receiver.url }, idempotencyKey: 'create-once' });
  expect(replayed.webhook.secret).toBe(keyed.webhook.secret); // the sealed stored answer opens to the same secret
  const rotated = await api('POST', `/webhooks/${plain.webhook.id}/rotate-secret`, { idempotencyKey: 'rotate-once' });
  handedOut.push(plain.webhook.secret, keyed.webhook.secret, rotated.webhook.secret);

  const table = await scanTable();
  expect(table).toContain(plain.webhook.id);
  for (const secret of handedOut) {
    expect(table).not.toContain(secret);
    expect(table).not.toContain(secret.slice('whsec_'.length));
  }
  expect(table).not.toMatch(/whsec_/);

  // The sealed secrets sign: a test ping verifies with the secret the API handed out.
  receiver.useSecret(rotated.webhook.secret);
  const { test } = await api('POST', `/webhooks/${plain.webhook.id}/test`);
  expect(test.delivered).toBe(true);
  await receiver.waitFor((event) => event.type === 'webhook.test');
  expect(receiver.rejected).toEqual([]);
  for (const webhook of [plain, keyed]) await api('DELETE', `/webhooks/${webhook.webhook.id}`);
});
