import type { SQSClient } from '@aws-sdk/client-sqs';
import { createSqsClient } from '../aws/sqs-client.ts';
import { DelayedQueue } from '../queue/delayed-queue.ts';
import type { PollMessage } from '../queue/poll-message.ts';
import type { Services } from './container.ts';

/** One SQS client per container. */
export function sqsClient(services: Services): SQSClient {
  return services.once(sqsClient, () => services.overrides.sqs ?? createSqsClient(services.config.aws));
}

/** The aggregation poll loop's queue. */
export function pollQueue(services: Services): DelayedQueue<PollMessage> {
  return services.once(
    pollQueue,
    () => new DelayedQueue<PollMessage>(sqsClient(services), services.config.queues.poll, services.clock),
  );
}
