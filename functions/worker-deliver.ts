import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { deliveryMessageSchema } from '../lib/notify/delivery-message.ts';
import { createSqsBatchHandler } from '../lib/queue/sqs-batch-handler.ts';
import { getServices } from '../lib/services.ts';

const services = getServices();

/** One webhook attempt per message (see Deliverer); failed records are retried by SQS, the rest acknowledged. */
export const handler = middy(
  createSqsBatchHandler(deliveryMessageSchema, (message) => services.notifier.deliverer.handle(message), services.log),
).use(injectLambdaContext(services.log));
