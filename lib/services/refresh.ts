import { RefreshService } from '../aggregation/refresh-service.ts';
import { aggregationDeps } from './aggregation.ts';
import type { Services } from './container.ts';

export function refreshService(services: Services): RefreshService {
  return services.once(
    refreshService,
    () => new RefreshService({ ...aggregationDeps(services), deadlineSeconds: services.config.aggregation.deadlineSeconds }),
  );
}
