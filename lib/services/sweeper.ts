import { Sweeper } from '../aggregation/sweeper.ts';
import type { Services } from './container.ts';
import { pollQueue } from './queues.ts';
import { jobsRepository } from './store.ts';

export function sweeper(services: Services): Sweeper {
  return services.once(
    'sweeper',
    () =>
      new Sweeper({
        jobs: jobsRepository(services),
        pollQueue: pollQueue(services),
        clock: services.clock,
        log: services.log,
        metrics: services.metrics,
      }),
  );
}
