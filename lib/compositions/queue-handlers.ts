import type { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { LogContext } from '../log-context.ts';
import { DeadLetterQueue } from '../queue/dead-letter-queue.ts';
import { deadLetterUrlVariable, type QueueName } from '../queue/queue-names.ts';
import { ConfigError } from '../errors.ts';
import { createSqsBatchHandler } from '../queue/sqs-batch-handler.ts';
import { createSqsRecordHandler, type QueueMessage } from '../queue/sqs-record-handler.ts';
import type * as z from '../zod.ts';
import { inLogContext, observability } from './observability.ts';
import type { Runtime } from './runtime.ts';

/**
 * An SQS handler for `queues` (one function may consume several). Records that do not parse go to their queue's
 * dead-letter queue, whose URL is required: a composition without it fails at start.
 */
export function sqsHandler<S extends z.ZodMiniType>(
  runtime: Runtime,
  queues: readonly QueueName[],
  sqs: SQSClient,
  schema: S,
  handle: (message: z.output<S>, queue: QueueName) => Promise<void>,
  contextOf?: (message: z.output<S>) => LogContext,
) {
  const deadLetters = Object.fromEntries(
    queues.map((queue) => {
      const deadLetterQueueUrl = runtime.config.deadLetterQueues[queue];
      if (!deadLetterQueueUrl) {
        const variable = deadLetterUrlVariable(queue);
        throw new ConfigError([variable], `${variable} is required: ${queue} messages that do not parse go to that queue`);
      }
      return [queue, new DeadLetterQueue(sqs, deadLetterQueueUrl)];
    }),
  );
  const poison = { deadLetters, metrics: runtime.metrics };
  return inLogContext(
    middy(createSqsBatchHandler(schema, handle, { log: runtime.log, poison, contextOf })).use(observability(runtime)),
  );
}

/** An SQS handler giving `handle` each record's id and raw body, reporting failures per record. */
export function sqsRecordHandler(runtime: Runtime, handle: (message: QueueMessage) => Promise<void>) {
  return inLogContext(middy(createSqsRecordHandler(handle)).use(observability(runtime)));
}
