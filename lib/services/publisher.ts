import { DelayedQueue } from '../queue/delayed-queue.ts';
import type { DeliveryMessage } from '../notify/delivery-message.ts';
import { EventPublisher } from '../notify/publisher.ts';
import { DeliveriesRepository } from '../store/deliveries-repo.ts';
import { WebhooksRepository } from '../store/webhooks-repo.ts';
import type { Services } from './container.ts';
import { sqsClient } from './queues.ts';
import { table } from './store.ts';

/**
 * The event publisher alone, for functions that raise events but deliver none: without the notifier's delivery
 * side (its HTTP agent, address guard, signing).
 */
export function eventPublisher(services: Services): EventPublisher {
  return services.once(eventPublisher, () => {
    const { clock, log } = services;
    return new EventPublisher({
      webhooks: new WebhooksRepository(table(services), clock),
      deliveries: new DeliveriesRepository(table(services), clock),
      queue: new DelayedQueue<DeliveryMessage>(sqsClient(services), services.config.queues.delivery, clock),
      log,
    });
  });
}
