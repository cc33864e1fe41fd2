import { JOB_ROUTES } from '../aggregation/job-routes.ts';
import type { Config } from '../config.ts';
import { operationsOf } from '../http/route.ts';
import { JobsRepository } from '../aggregation/jobs-repo.ts';
import { httpHandler } from './http-handler.ts';
import { type Given, runtimeOf } from './runtime.ts';
import { apiKeyAccessOf, tableOf } from './storage.ts';

/** api-jobs: a job, a member's latest job, a user's jobs. */
export function composeApiJobs(config: Config, given?: Given) {
  const runtime = runtimeOf(config, given);
  const table = tableOf(config);
  const jobs = new JobsRepository(table);
  const handler = httpHandler(runtime, operationsOf(JOB_ROUTES, { jobs, clock: runtime.clock }), apiKeyAccessOf(runtime, table));
  return { handler, runtime, jobs };
}
