import { jobIdOfEventId } from '../lib/aggregation/job-events.ts';
import { deliveryMessageSchema } from '../lib/notify/delivery-message.ts';
import { getServices } from '../lib/services/container.ts';
import { notifier } from '../lib/services/notifier.ts';
import { sqsHandler } from '../lib/services/queue-handlers.ts';

const services = getServices();

/**
 * One webhook attempt per message (see Deliverer). A record whose handling throws is reported as a batch item
 * failure: SQS redelivers it and, after the queue's maxReceiveCount, moves it unchanged to the dead-letter queue.
 */
export const handler = sqsHandler(
  services,
  'delivery',
  deliveryMessageSchema,
  (message) => notifier(services).deliverer.handle(message),
  (message) => ({ job_id: jobIdOfEventId(message.msg_id), delivery_id: `${message.webhook_id}/${message.msg_id}` }),
);
