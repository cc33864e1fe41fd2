import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { z } from 'zod';
import { createSqsBatchHandler } from '../queue/sqs-batch-handler.ts';
import { createSqsRecordHandler, type QueueMessage } from '../queue/sqs-record-handler.ts';
import type { Services } from './container.ts';

/** An SQS handler applying `handle` to each record that parses with `schema`, reporting failures per record. */
export function sqsHandler<S extends z.ZodType>(services: Services, schema: S, handle: (message: z.output<S>) => Promise<void>) {
  return middy(createSqsBatchHandler(schema, handle, services.log)).use(injectLambdaContext(services.log));
}

/** An SQS handler giving `handle` each record's id and raw body, reporting failures per record. */
export function sqsRecordHandler(services: Services, handle: (message: QueueMessage) => Promise<void>) {
  return middy(createSqsRecordHandler(handle)).use(injectLambdaContext(services.log));
}
