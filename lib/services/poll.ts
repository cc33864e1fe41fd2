import { PollService } from '../aggregation/poll-service.ts';
import { aggregationDeps } from './aggregation.ts';
import type { Services } from './container.ts';
import { transactionSync } from './transactions.ts';

export function pollService(services: Services): PollService {
  return services.once(
    pollService,
    () =>
      new PollService({
        ...aggregationDeps(services),
        transactions: transactionSync(services),
      }),
  );
}
