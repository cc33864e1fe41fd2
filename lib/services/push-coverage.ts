import { PushCoverage } from '../aggregation/push-coverage.ts';
import { MxPushRepository } from '../store/mx-push-repo.ts';
import type { Services } from './container.ts';
import { table } from './store.ts';

/** When MX last pushed a webhook here (`MXPUSH/LAST`): written by mx-events, read by the poll loop. */
export function mxPushRepository(services: Services): MxPushRepository {
  return services.once(mxPushRepository, () => new MxPushRepository(table(services)));
}

/** Whether MX is pushing its webhooks here: mx-events records pushes, the poll loop polls sparsely while they come. */
export function pushCoverage(services: Services): PushCoverage {
  return services.once(
    pushCoverage,
    () => new PushCoverage({ pushes: mxPushRepository(services), clock: services.clock, log: services.log }),
  );
}
