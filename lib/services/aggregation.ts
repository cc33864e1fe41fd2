import type { Services } from './container.ts';
import { nexusClient } from './nexus.ts';
import { eventPublisher } from './publisher.ts';
import { pollQueue } from './queues.ts';
import { jobsRepository } from './store.ts';

/** What the refresh and poll services share. */
export function aggregationDeps(services: Services) {
  return {
    jobs: jobsRepository(services),
    nexus: nexusClient(services),
    pollQueue: pollQueue(services),
    events: eventPublisher(services),
    clock: services.clock,
    log: services.log,
    metrics: services.metrics,
  };
}
