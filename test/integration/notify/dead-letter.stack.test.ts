import { ReceiveMessageCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { RelayLogger } from '../../../lib/logger.ts';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { type LocalEngines, startEngines } from '../../../infra/local/engines.ts';
import type { SqsLambda } from '../../../infra/local/handlers.ts';
import { type Poller, startPoller } from '../../../infra/local/sqs-poller.ts';
import { createSqsClient } from '../../../lib/aws/sqs-client.ts';
import { closedPort } from '../../unit/notify/support/receiver.ts';

/**
 * The delivery worker as deployed (functions/worker-deliver.ts, the batch handler, SQS redrive), with its table
 * unreachable so that every attempt to handle a message throws. What must hold: the message is retried, then
 * lands in the dead-letter queue byte for byte, with what a replay needs (webhook, message, attempt).
 */
let engines: LocalEngines;
let sqs: SQSClient;
let poller: Poller | undefined;

beforeAll(async () => {
  engines = await startEngines({ visibilityTimeoutSeconds: 1, maxReceiveCount: 2 });
  sqs = createSqsClient({ region: engines.region, sqsEndpoint: engines.sqsEndpoint });
  Object.assign(process.env, {
    TABLE_NAME: engines.tableName,
    AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${await closedPort()}`,
    AWS_ENDPOINT_URL_SQS: engines.sqsEndpoint,
    POLL_QUEUE_URL: engines.queueUrls.poll,
    MEMBER_REPORTS_QUEUE_URL: engines.queueUrls['member-reports'],
    RECONCILE_QUEUE_URL: engines.queueUrls.reconcile,
    DELIVERY_QUEUE_URL: engines.queueUrls.delivery,
    DELIVERY_DLQ_URL: engines.deadLetterQueueUrls.delivery,
    DELIVERY_SLOW_QUEUE_URL: engines.queueUrls['delivery-slow'],
    DELIVERY_SLOW_DLQ_URL: engines.deadLetterQueueUrls['delivery-slow'],
    MX_BASE_URL: 'http://127.0.0.1:1',
    MX_USE_CASES_ENABLED: 'true',
    MX_CLIENT_ID: 'client',
    MX_API_KEY: 'key',
    LOCAL_SECRETS_KEY: Buffer.alloc(32, 7).toString('base64'),
    LOG_LEVEL: 'ERROR',
  });
});
afterAll(async () => {
  await poller?.stop();
  sqs?.destroy();
  await engines?.stop();
});

async function receiveAll(queueUrl: string, waitMs: number, count = 1) {
  const deadline = Date.now() + waitMs;
  const bodies: string[] = [];
  while (Date.now() < deadline) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    bodies.push(...Messages.map((message) => message.Body!));
    if (bodies.length >= count) return bodies;
  }
  return bodies;
}

it('moves a message whose handling keeps failing to the DLQ unchanged (SQS redrive), and an unparseable one at once', async () => {
  const { handler: workerDeliver } = await import('../../../functions/worker-deliver.ts');
  const logError = vi.spyOn(RelayLogger.prototype, 'error').mockImplementation(() => {});
  const handler = async () => workerDeliver as unknown as SqsLambda;
  const poison = JSON.stringify({ webhook_id: 'wh_poison', msg_id: 'msg_poison', attempt: 3, due_at: 0 });
  const malformed = JSON.stringify({ webhook_id: 'wh_poison', attempt: 'three' });
  for (const body of [poison, malformed]) {
    await sqs.send(new SendMessageCommand({ QueueUrl: engines.queueUrls.delivery, MessageBody: body }));
  }

  poller = startPoller({ sqs, queueUrl: engines.queueUrls.delivery, functionName: 'worker-deliver', handler, concurrency: 1 });
  const deadLettered = await receiveAll(engines.deadLetterQueueUrls.delivery, 20_000, 2);
  await poller.stop();
  poller = undefined;

  expect(deadLettered.sort()).toEqual([poison, malformed].sort());
  expect(await receiveAll(engines.queueUrls.delivery, 1_500)).toEqual([]);
  // The worker sends the malformed one itself (it can never succeed); the other waits for SQS's redrive.
  expect(logError).toHaveBeenCalledWith(
    'malformed queue message sent to the dead-letter queue',
    expect.objectContaining({ body: malformed }),
  );
}, 40_000);
