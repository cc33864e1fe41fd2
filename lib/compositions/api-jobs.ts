import { JOB_ROUTES, type JobRouteDeps } from '../aggregation/job-routes.ts';
import { CALLER_ROUTES } from '../http/caller-routes.ts';
import type { Config } from '../config.ts';
import { ConfigError } from '../errors.ts';
import { ActiveJobsRepository } from '../aggregation/active-jobs-repo.ts';
import { AttentionRepository } from '../aggregation/attention-repo.ts';
import { JobsAcrossUsers } from '../aggregation/jobs-across-users.ts';
import { JobsRepository } from '../aggregation/jobs-repo.ts';
import { JobOutcomesRepository } from '../aggregation/job-outcomes-repo.ts';
import { DeadLetterCounts } from '../queue/dead-letter-counts.ts';
import { deadLetterUrlVariable, QUEUE_NAMES, type QueueName } from '../queue/queue-names.ts';
import { QUEUE_ROUTES, type QueueRouteDeps } from '../queue/queue-routes.ts';
import { httpHandler } from './http-handler.ts';
import { sqsOf } from './queues.ts';
import { type Given, runtimeOf } from './runtime.ts';
import { apiKeyAccessOf } from './api-access.ts';
import { tableOf } from './storage.ts';

/** api-jobs: a job, a member's latest job, a user's jobs; across users, the jobs and the dead letters to watch. */
export function composeApiJobs(config: Config, given?: Given) {
  const runtime = runtimeOf(config, given);
  const table = tableOf(config);
  const jobs = new JobsRepository(table);
  const pointers = new ActiveJobsRepository(table);
  const acrossUsers = new JobsAcrossUsers({ jobs, pointers, attention: new AttentionRepository(table) });
  const deadLetters = new DeadLetterCounts(sqsOf(runtime), deadLetterQueuesOf(config));
  const handler = httpHandler<JobRouteDeps & QueueRouteDeps>(
    runtime,
    [...JOB_ROUTES, ...QUEUE_ROUTES, ...CALLER_ROUTES],
    { jobs, acrossUsers, clock: runtime.clock, outcomes: new JobOutcomesRepository(table), deadLetters },
    { keys: apiKeyAccessOf(runtime, table) },
  );
  return { handler, runtime, jobs, pointers };
}

/** Every queue's dead-letter queue URL: GET /queues counts them all, so a missing one stops the function at start. */
function deadLetterQueuesOf(config: Config): Record<QueueName, string> {
  const missing = QUEUE_NAMES.filter((queue) => !config.deadLetterQueues[queue]);
  if (missing.length > 0) {
    const variables = missing.map(deadLetterUrlVariable);
    throw new ConfigError(variables, `api-jobs counts every queue's dead letters: set ${variables.join(', ')}`);
  }
  return config.deadLetterQueues as Record<QueueName, string>;
}
