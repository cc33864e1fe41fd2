import middy from '@middy/core';
import type * as z from '../zod.ts';
import type { LogContext } from '../log-context.ts';
import { DeadLetterQueue } from '../queue/dead-letter-queue.ts';
import { createSqsBatchHandler } from '../queue/sqs-batch-handler.ts';
import { createSqsRecordHandler, type QueueMessage } from '../queue/sqs-record-handler.ts';
import type { Services } from './container.ts';
import { inLogContext, observability } from './observability.ts';
import { sqsClient } from './queues.ts';

/**
 * An SQS handler for `queue` applying `handle` to each record that parses with `schema`, reporting failures per
 * record; records that do not parse go to the queue's dead-letter queue with their reason. Every line logged while
 * a record is handled carries its message id and what `contextOf` names (the job it is about).
 */
export function sqsHandler<S extends z.ZodMiniType>(
  services: Services,
  queue: 'poll' | 'delivery',
  schema: S,
  handle: (message: z.output<S>) => Promise<void>,
  contextOf?: (message: z.output<S>) => LogContext,
) {
  const deadLetterQueueUrl = services.config.deadLetterQueues[queue];
  const poison = deadLetterQueueUrl
    ? { queue, deadLetters: new DeadLetterQueue(sqsClient(services), deadLetterQueueUrl), metrics: services.metrics }
    : undefined;
  return inLogContext(middy(createSqsBatchHandler(schema, handle, services.log, contextOf, poison)).use(observability(services)));
}

/** An SQS handler giving `handle` each record's id and raw body, reporting failures per record. */
export function sqsRecordHandler(services: Services, handle: (message: QueueMessage) => Promise<void>) {
  return inLogContext(middy(createSqsRecordHandler(handle)).use(observability(services)));
}
