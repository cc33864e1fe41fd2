import { GetQueueAttributesCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../../infra/local/local-stack.ts';
import { describeStack, writeStackFile } from '../../../infra/local/stack-file.ts';
import { createSqsClient } from '../../../lib/aws/sqs-client.ts';
import { runCli } from './cli-process.ts';

/**
 * `nexus-relay dlq list|show|redrive` as a subprocess against a local stack (fauxqs has no message move task, so
 * redrive receives, sends back and deletes). A message that still cannot be handled comes back to the DLQ with its
 * reason; one that can is processed and gone.
 */
let stack: LocalStack;
let sqs: SQSClient;
let directory: string;
let env: Record<string, string>;
const cli = (...args: string[]) => runCli(args, { env });

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, simPort: 0, env: { LOG_LEVEL: 'ERROR' } });
  sqs = createSqsClient({ region: stack.engines.region, sqsEndpoint: stack.engines.sqsEndpoint });
  directory = mkdtempSync(join(tmpdir(), 'nexus-relay-dlq-'));
  const stackFile = join(directory, 'stack.json');
  writeStackFile(describeStack(stack), stackFile);
  env = { NEXUS_RELAY_STACK_FILE: stackFile };
}, 60_000);

afterAll(async () => {
  sqs?.destroy();
  await stack?.stop();
  if (directory) rmSync(directory, { recursive: true, force: true });
});

const count = async (url: string) => {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible);
};

const listed = async () => (await cli('dlq', 'list', 'delivery', '--json')).json<{ messages: any[] }>().messages;

describe('dlq', () => {
  const malformed = '{"webhook_id":"wh_x","attempt":"three"}';
  // Well formed, for a delivery that does not exist: the worker handles it (and ignores it) once it is back.
  const fixed = JSON.stringify({ webhook_id: 'wh_gone', msg_id: 'msg_gone', attempt: 1, due_at: 0 });

  it('list and show: what waits in a DLQ and why, without consuming it', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: stack.engines.queueUrls.delivery, MessageBody: malformed }));
    await expect.poll(listed, { timeout: 15_000 }).toHaveLength(1);
    await sqs.send(new SendMessageCommand({ QueueUrl: stack.engines.deadLetterQueueUrls.delivery, MessageBody: fixed }));

    const messages = await listed();
    expect(messages.map((m) => m.body).sort()).toEqual([fixed, malformed].sort());
    const poisoned = messages.find((m) => m.body === malformed);
    expect(poisoned.attributes).toMatchObject({ reason: 'malformed', detail: expect.stringContaining('msg_id') });
    expect(await listed()).toHaveLength(2); // still there

    const shown = await cli('dlq', 'show', 'delivery', poisoned.id);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('malformed');
    expect(shown.stdout).toContain(malformed);
    const missing = await cli('dlq', 'show', 'delivery', 'no-such-id', '--json');
    expect(missing.code).not.toBe(0);
    expect(missing.json()).toMatchObject({ code: 'not_found' });
  });

  it('redrive --id moves one message back; a fixed one is processed, the malformed one lands in the DLQ again', async () => {
    const fixedId = (await listed()).find((m) => m.body === fixed).id;
    const one = await cli('dlq', 'redrive', 'delivery', '--id', fixedId, '--json');
    expect(one.json()).toMatchObject({ moved: 1, method: 'copy' });
    await expect.poll(async () => (await listed()).map((m) => m.body), { timeout: 15_000 }).toEqual([malformed]);

    const all = await cli('dlq', 'redrive', 'delivery', '--all', '--json');
    expect(all.json()).toMatchObject({ moved: 1, method: 'copy' });
    // Still malformed: the worker dead-letters it again, with its reason.
    await expect
      .poll(async () => (await listed()).map((m) => [m.body, m.attributes.reason]), { timeout: 15_000 })
      .toEqual([[malformed, 'malformed']]);
    await expect.poll(() => count(stack.engines.queueUrls.delivery), { timeout: 15_000 }).toBe(0);
  });

  it('refuses a queue it does not know and a redrive without --all or --id', async () => {
    expect((await cli('dlq', 'list', 'nope', '--json')).json()).toMatchObject({ code: 'usage' });
    const neither = await cli('dlq', 'redrive', 'poll', '--json');
    expect(neither.code).not.toBe(0);
  });
});
