import { JOB_ROUTES } from '../lib/aggregation/job-routes.ts';
import { operationsOf } from '../lib/http/route.ts';
import { getServices } from '../lib/services/container.ts';
import { httpHandler } from '../lib/services/http.ts';
import { apiKeyAccess, jobsRepository } from '../lib/services/store.ts';

const services = getServices();

export const handler = httpHandler(
  services,
  operationsOf(JOB_ROUTES, { jobs: jobsRepository(services), clock: services.clock }),
  apiKeyAccess(services),
);
