import middy from '@middy/core';
import type { z } from 'zod';
import type { LogContext } from '../log-context.ts';
import { createSqsBatchHandler } from '../queue/sqs-batch-handler.ts';
import { createSqsRecordHandler, type QueueMessage } from '../queue/sqs-record-handler.ts';
import type { Services } from './container.ts';
import { observability } from './observability.ts';

/**
 * An SQS handler applying `handle` to each record that parses with `schema`, reporting failures per record. Every
 * line logged while a record is handled carries its message id and what `contextOf` names (the job it is about).
 */
export function sqsHandler<S extends z.ZodType>(
  services: Services,
  schema: S,
  handle: (message: z.output<S>) => Promise<void>,
  contextOf?: (message: z.output<S>) => LogContext,
) {
  return middy(createSqsBatchHandler(schema, handle, services.log, contextOf)).use(observability(services));
}

/** An SQS handler giving `handle` each record's id and raw body, reporting failures per record. */
export function sqsRecordHandler(services: Services, handle: (message: QueueMessage) => Promise<void>) {
  return middy(createSqsRecordHandler(handle)).use(observability(services));
}
