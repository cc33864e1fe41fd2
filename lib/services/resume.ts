import { ResumeService } from '../aggregation/resume-service.ts';
import type { Services } from './container.ts';
import { nexusClient } from './nexus.ts';
import { pollQueue } from './queues.ts';
import { jobsRepository } from './store.ts';

export function resumeService(services: Services): ResumeService {
  return services.once(
    resumeService,
    () =>
      new ResumeService({
        jobs: jobsRepository(services),
        nexus: nexusClient(services),
        pollQueue: pollQueue(services),
        clock: services.clock,
        log: services.log,
        deadlineSeconds: services.config.aggregation.deadlineSeconds,
      }),
  );
}
