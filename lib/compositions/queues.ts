import type { SQSClient } from '@aws-sdk/client-sqs';
import { createSqsClient } from '../aws/sqs-client.ts';
import { DelayedQueue } from '../queue/delayed-queue.ts';
import type { PollMessage, PollQueueMessage } from '../queue/poll-message.ts';
import type { Runtime } from './runtime.ts';

/** The function's SQS client (unless given). */
export function sqsOf({ config, given }: Runtime): SQSClient {
  return given.sqs ?? createSqsClient(config.aws);
}

/**
 * The aggregation poll loop's queue: poll steps, and (as `M`) the member reports mx-events sends and the reconcile's
 * reads the sweeper sends, all read by worker-poll (lib/queue/poll-message.ts → pollQueueMessageSchema).
 */
export function pollQueueOf<M extends PollQueueMessage = PollMessage>(
  { config, clock }: Runtime,
  sqs: SQSClient,
): DelayedQueue<M> {
  return new DelayedQueue<M>(sqs, config.queues.poll, clock);
}
