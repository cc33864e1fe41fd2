import { Sweeper } from '../aggregation/sweeper.ts';
import type { Services } from './container.ts';
import type { DeliveryMessage } from '../notify/delivery-message.ts';
import { DelayedQueue } from '../queue/delayed-queue.ts';
import { DeliveriesRepository } from '../store/deliveries-repo.ts';
import { SweepCheckpointsRepository } from '../store/sweep-checkpoints-repo.ts';
import { WebhooksRepository } from '../store/webhooks-repo.ts';
import { pollQueue, sqsClient } from './queues.ts';
import { jobsRepository, table } from './store.ts';

export function sweeper(services: Services): Sweeper {
  return services.once(
    sweeper,
    () =>
      new Sweeper({
        jobs: jobsRepository(services),
        pollQueue: pollQueue(services),
        clock: services.clock,
        log: services.log,
        metrics: services.metrics,
        stalledAfterMs: services.config.aggregation.stalledAfterMs,
        deliveries: {
          deliveries: new DeliveriesRepository(table(services), services.clock),
          webhooks: new WebhooksRepository(table(services), services.clock),
          checkpoints: new SweepCheckpointsRepository(table(services)),
          queue: new DelayedQueue<DeliveryMessage>(sqsClient(services), services.config.queues.delivery, services.clock),
          stalledAfterMs: services.config.webhooks.stalledAfterMs,
        },
      }),
  );
}
