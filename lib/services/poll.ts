import { InstitutionTiming } from '../aggregation/institution-timing.ts';
import { PollService } from '../aggregation/poll-service.ts';
import { InstitutionStatsRepository } from '../store/institution-stats-repo.ts';
import { aggregationDeps } from './aggregation.ts';
import type { Services } from './container.ts';
import { pushCoverage } from './push-coverage.ts';
import { table } from './store.ts';
import { transactionSync } from './transactions.ts';

export function pollService(services: Services): PollService {
  return services.once(
    pollService,
    () =>
      new PollService({
        ...aggregationDeps(services),
        timing: new InstitutionTiming(new InstitutionStatsRepository(table(services)), services.clock, services.log),
        coverage: pushCoverage(services),
        transactions: transactionSync(services),
        maxPollDelaySeconds: services.config.aggregation.maxPollDelaySeconds,
      }),
  );
}
