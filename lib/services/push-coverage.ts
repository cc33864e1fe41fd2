import { PushCoverage } from '../aggregation/push-coverage.ts';
import { MxPushRepository } from '../store/mx-push-repo.ts';
import type { Services } from './container.ts';
import { table } from './store.ts';

/** MX's pushes and the job ends they would announce, counted per hour (`MXPUSH/COUNTS#{hour}`). */
export function mxPushRepository(services: Services): MxPushRepository {
  return services.once(mxPushRepository, () => new MxPushRepository(table(services)));
}

/** Whether MX's pushes announce the job ends: mx-events counts pushes, worker-poll ends; the poll loop reads the ratio. */
export function pushCoverage(services: Services): PushCoverage {
  return services.once(
    pushCoverage,
    () => new PushCoverage({ pushes: mxPushRepository(services), clock: services.clock, log: services.log }),
  );
}
