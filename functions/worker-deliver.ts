import { deliveryMessageSchema } from '../lib/notify/delivery-message.ts';
import { getServices } from '../lib/services.ts';

const services = getServices();

/** One webhook attempt per message (see Deliverer); failed records are retried by SQS, the rest acknowledged. */
export const handler = services.sqsHandler(deliveryMessageSchema, (message) => services.notifier.deliverer.handle(message));
