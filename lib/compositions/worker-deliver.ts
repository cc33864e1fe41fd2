import { jobIdOfEventId } from '../notify/events.ts';
import type { Config } from '../config.ts';
import { deliveryMessageSchema } from '../notify/delivery-message.ts';
import { sqsHandler } from './queue-handlers.ts';
import { sqsOf } from './queues.ts';
import { type Given, runtimeOf } from './runtime.ts';
import { tableOf } from './storage.ts';
import { deliveryStoreOf } from './delivery-store.ts';
import { notifierOf } from './notifier.ts';
import { ConfigError } from '../errors.ts';

/** worker-deliver: one webhook attempt per message; a record that throws is redelivered, then dead-lettered unchanged. */
export function composeWorkerDeliver(config: Config, given?: Given) {
  if (!config.queues.deliverySlow) {
    throw new ConfigError(
      ['DELIVERY_SLOW_QUEUE_URL'],
      'DELIVERY_SLOW_QUEUE_URL is required: attempts to slow endpoints go there',
    );
  }
  const runtime = runtimeOf(config, given);
  const sqs = sqsOf(runtime);
  const notifier = notifierOf(runtime, deliveryStoreOf(runtime, tableOf(config), sqs));
  const handler = sqsHandler(
    runtime,
    ['delivery', 'delivery-slow'],
    sqs,
    deliveryMessageSchema,
    (message, queue) => notifier.deliverer.handle(message, queue === 'delivery-slow' ? 'delivery-slow' : 'delivery'),
    (message) => ({ job_id: jobIdOfEventId(message.msg_id), delivery_id: `${message.webhook_id}/${message.msg_id}` }),
  );
  return { handler, runtime, notifier };
}
