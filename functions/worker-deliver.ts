import { deliveryMessageSchema } from '../lib/notify/delivery-message.ts';
import { getServices } from '../lib/services.ts';

const services = getServices();

/**
 * One webhook attempt per message (see Deliverer). A record whose handling throws is reported as a batch item
 * failure: SQS redelivers it and, after the queue's maxReceiveCount, moves it unchanged to the dead-letter queue.
 */
export const handler = services.sqsHandler(deliveryMessageSchema, (message) => services.notifier.deliverer.handle(message));
