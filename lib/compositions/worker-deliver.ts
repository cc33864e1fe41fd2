import { jobIdOfEventId } from '../notify/events.ts';
import type { Config } from '../config.ts';
import { deliveryMessageSchema } from '../notify/delivery-message.ts';
import { sqsHandler } from './queue-handlers.ts';
import { sqsOf } from './queues.ts';
import { type Given, runtimeOf } from './runtime.ts';
import { tableOf } from './storage.ts';
import { deliveryStoreOf } from './delivery-store.ts';
import { notifierOf } from './notifier.ts';

/**
 * worker-deliver: one webhook attempt per message (see Deliverer). A record whose handling throws is reported as a
 * batch item failure: SQS redelivers it and, after the queue's maxReceiveCount, moves it unchanged to the dead-letter
 * queue.
 */
export function composeWorkerDeliver(config: Config, given?: Given) {
  const runtime = runtimeOf(config, given);
  const sqs = sqsOf(runtime);
  const notifier = notifierOf(runtime, deliveryStoreOf(runtime, tableOf(config), sqs));
  const handler = sqsHandler(
    runtime,
    ['delivery'],
    sqs,
    deliveryMessageSchema,
    (message) => notifier.deliverer.handle(message),
    (message) => ({ job_id: jobIdOfEventId(message.msg_id), delivery_id: `${message.webhook_id}/${message.msg_id}` }),
  );
  return { handler, runtime, notifier };
}
