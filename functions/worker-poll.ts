import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { pollMessageSchema } from '../lib/queue/poll-message.ts';
import { createSqsBatchHandler } from '../lib/queue/sqs-batch-handler.ts';
import { getServices } from '../lib/services.ts';

const services = getServices();

/** One poll step per message (see PollService); failed records are retried by SQS, the rest acknowledged. */
export const handler = middy(createSqsBatchHandler(pollMessageSchema, (message) => services.poll.handle(message), services.log)).use(
  injectLambdaContext(services.log),
);
