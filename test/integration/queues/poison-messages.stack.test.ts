import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_NAMES } from '../../../lib/queue/queue-names.ts';
import { type LocalStack, startLocalStack } from '../../../infra/local/local-stack.ts';
import { createSqsClient } from '../../../lib/aws/sqs-client.ts';
import { receiveMessages } from '../../support/receive-messages.ts';

/**
 * Nothing dropped: a message an SQS-driven worker cannot parse arrives in its queue's dead-letter queue byte for
 * byte, its own attributes kept and a `reason` added — over the local stack (fauxqs, the same pollers and handlers
 * as Lambda runs). Nothing is acknowledged unhandled: the work queues are empty afterwards and nothing is lost; the
 * operator sees them counted per queue.
 */
let stack: LocalStack;
let sqs: SQSClient;

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, simPort: 0, env: { LOG_LEVEL: 'ERROR' } });
  sqs = createSqsClient({ region: stack.engines.region, sqsEndpoint: stack.engines.sqsEndpoint });
});
afterAll(async () => {
  sqs?.destroy();
  await stack?.stop();
});

const MALFORMED = ['{"job_id": "job_1", "step":', '{"unknown":"shape"}', '[]'];

async function receiveAll(queueUrl: string, count: number, waitMs = 20_000) {
  const received = await receiveMessages(sqs, queueUrl, count, { timeoutMs: waitMs, visibilityTimeout: 60 });
  return received.map((message) => ({
    body: message.Body!,
    attributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, value.StringValue]),
    ),
  }));
}

describe.each(QUEUE_NAMES)('the %s queue', (role) => {
  it('sends invalid JSON, an unknown shape and an empty array to its DLQ unchanged, with a reason', async () => {
    for (const body of MALFORMED) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: stack.engines.queueUrls[role],
          MessageBody: body,
          MessageAttributes: { sender: { DataType: 'String', StringValue: 'poison-test' } },
        }),
      );
    }
    const deadLettered = await receiveAll(stack.engines.deadLetterQueueUrls[role], MALFORMED.length);
    expect(deadLettered.map((message) => message.body).sort()).toEqual([...MALFORMED].sort());
    for (const message of deadLettered) {
      expect(message.attributes.reason).toMatch(/^(malformed|invalid_json|invalid_request)$/);
      expect(message.attributes.sender).toBe('poison-test');
      expect(message.attributes.source_message_id).toBeTruthy();
    }
    expect(await receiveAll(stack.engines.queueUrls[role], 1, 1_500)).toEqual([]);
  });
});

describe('GET /queues (the operator’s overview)', () => {
  const counts = async (): Promise<Record<string, number>> => {
    const answer = await fetch(`${stack.url}/queues`, { headers: { authorization: `Bearer ${stack.apiKey}` } });
    expect(answer.status).toBe(200);
    const { queues } = (await answer.json()) as { queues: { name: string; dead_letters: number }[] };
    expect(queues.map((queue) => queue.name)).toEqual([...QUEUE_NAMES]);
    return Object.fromEntries(queues.map((queue) => [queue.name, queue.dead_letters]));
  };

  it('counts the dead letters waiting in each queue: one more in poll’s once a malformed poll message arrives there', async () => {
    const before = await counts();
    await sqs.send(new SendMessageCommand({ QueueUrl: stack.engines.queueUrls.poll, MessageBody: '{"not":"a poll step"}' }));
    const deadline = Date.now() + 20_000;
    let after = await counts();
    while (after.poll === before.poll && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      after = await counts();
    }
    expect(after).toEqual({ ...before, poll: before.poll! + 1 });
  });
});
