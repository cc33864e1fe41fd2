import { InstitutionTiming } from '../aggregation/institution-timing.ts';
import { InstitutionStatsRepository } from '../store/institution-stats-repo.ts';
import type { Services } from './container.ts';
import { pushCoverage } from './push-coverage.ts';
import { nexusClient } from './nexus.ts';
import { eventPublisher } from './publisher.ts';
import { pollQueue } from './queues.ts';
import { jobsRepository, table } from './store.ts';

/** What the refresh and poll services share: the poll schedule's inputs among them (both plan polls). */
export function aggregationDeps(services: Services) {
  return {
    jobs: jobsRepository(services),
    nexus: nexusClient(services),
    pollQueue: pollQueue(services),
    events: eventPublisher(services),
    clock: services.clock,
    log: services.log,
    metrics: services.metrics,
    timing: institutionTiming(services),
    coverage: pushCoverage(services),
    maxPollDelaySeconds: services.config.aggregation.maxPollDelaySeconds,
  };
}

/** What aggregations take per institution, learned from finished jobs (one model cache per container). */
export function institutionTiming(services: Services): InstitutionTiming {
  return services.once(
    institutionTiming,
    () => new InstitutionTiming(new InstitutionStatsRepository(table(services)), services.clock, services.log),
  );
}
