import type { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { expect, it } from 'vitest';
import { DeadLetterQueue } from '../../../lib/queue/dead-letter-queue.ts';

it('sends the body unchanged with its reasons as string attributes, leaving out empty ones and cutting long ones', async () => {
  const sent: SendMessageCommand[] = [];
  const sqs = { send: async (command: SendMessageCommand) => void sent.push(command) } as unknown as SQSClient;
  await new DeadLetterQueue(sqs, 'https://sqs.test/dlq').send('{"user_id":', {
    reason: 'invalid_json',
    error_field: undefined,
    detail: 'x'.repeat(1000),
  });
  expect(sent[0]!.input).toEqual({
    QueueUrl: 'https://sqs.test/dlq',
    MessageBody: '{"user_id":',
    MessageAttributes: {
      reason: { DataType: 'String', StringValue: 'invalid_json' },
      detail: { DataType: 'String', StringValue: 'x'.repeat(256) },
    },
  });
});
