import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DeliveryMessage } from '../notify/delivery-message.ts';
import type { DeliveryStore } from '../notify/notifier.ts';
import { EventPublisher } from '../notify/publisher.ts';
import { DelayedQueue } from '../queue/delayed-queue.ts';
import { DeliveriesRepository } from '../notify/deliveries-repo.ts';
import { DeliveryLogReader } from '../notify/delivery-log.ts';
import { WaitingDeliveries } from '../notify/waiting-deliveries.ts';
import type { TableRef } from '../store/table.ts';
import { RateLimitRepository } from '../store/rate-limit-repo.ts';
import { UserEventsRepository } from '../notify/user-events-repo.ts';
import { WebhooksRepository } from '../notify/webhooks-repo.ts';
import type { Runtime } from './runtime.ts';

/** Each webhook a tenant of the delivery queues: SQS serves the others first while one has a backlog. */
const byWebhook = { tenantOf: (message: DeliveryMessage) => message.webhook_id };

/** Webhooks, deliveries and the delivery queue: what publishing, delivering and sweeping deliveries share. */
export function deliveryStoreOf({ config, clock }: Runtime, table: TableRef, sqs: SQSClient): DeliveryStore {
  return {
    webhooks: new WebhooksRepository(table, clock),
    deliveries: new DeliveriesRepository(table, clock),
    deliveryLog: new DeliveryLogReader(table, clock),
    waiting: new WaitingDeliveries(table, clock),
    windows: new RateLimitRepository(table),
    queue: new DelayedQueue<DeliveryMessage>(sqs, config.queues.delivery, clock, byWebhook),
    ...(config.queues.deliverySlow
      ? { slowQueue: new DelayedQueue<DeliveryMessage>(sqs, config.queues.deliverySlow, clock, byWebhook) }
      : {}),
  };
}

/** Raises events: one delivery per webhook that selects it, queued (without the notifier's delivery side). */
export function eventPublisherOf({ log, clock }: Runtime, store: DeliveryStore, table: TableRef): EventPublisher {
  return new EventPublisher({ ...store, userEvents: new UserEventsRepository(table), clock, log });
}
