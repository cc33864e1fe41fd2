import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Dispatcher } from 'undici';
import type { Clock } from '../clock.ts';
import type { Log } from '../logger.ts';
import { DelayedQueue } from '../queue/delayed-queue.ts';
import { DeliveriesRepository } from '../store/deliveries-repo.ts';
import type { TableRef } from '../store/table.ts';
import { WebhooksRepository } from '../store/webhooks-repo.ts';
import { WebhookSender } from './attempt.ts';
import { Deliverer, LEASE_MARGIN_MS } from './deliverer.ts';
import type { DeliveryMessage } from './delivery-message.ts';
import { EventPublisher } from './publisher.ts';

export interface NotifierDeps {
  table: TableRef;
  sqs: SQSClient;
  deliveryQueueUrl: string;
  clock: Clock;
  log: Log;
  /** Timeout of one webhook attempt. */
  timeoutMs: number;
  /** Where attempts are sent through (default: one shared undici Agent). */
  dispatcher?: Dispatcher;
  /** Jitter source for retry delays, in [0, 1) (default Math.random). */
  random?: () => number;
}

export interface Notifier {
  webhooks: WebhooksRepository;
  publisher: EventPublisher;
  deliverer: Deliverer;
}

/** The webhook product, wired: subscriptions, the event publisher and the delivery worker's logic. */
export function createNotifier(deps: NotifierDeps): Notifier {
  const webhooks = new WebhooksRepository(deps.table, deps.clock);
  const deliveries = new DeliveriesRepository(deps.table, deps.clock);
  const queue = new DelayedQueue<DeliveryMessage>(deps.sqs, deps.deliveryQueueUrl, deps.clock);
  const sender = new WebhookSender({ timeoutMs: deps.timeoutMs, clock: deps.clock, dispatcher: deps.dispatcher });
  return {
    webhooks,
    publisher: new EventPublisher({ webhooks, deliveries, queue, log: deps.log }),
    deliverer: new Deliverer({
      webhooks,
      deliveries,
      queue,
      sender,
      clock: deps.clock,
      log: deps.log,
      leaseMs: deps.timeoutMs + LEASE_MARGIN_MS,
      random: deps.random,
    }),
  };
}
