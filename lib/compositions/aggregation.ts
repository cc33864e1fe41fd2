import type { SQSClient } from '@aws-sdk/client-sqs';
import type { EventSink } from '../notify/events.ts';
import { InstitutionTiming } from '../aggregation/institution-timing.ts';
import { PushCoverage } from '../aggregation/push-coverage.ts';
import type { NexusClient } from '../mx/nexus-client.ts';
import { InstitutionStatsRepository } from '../aggregation/institution-stats-repo.ts';
import { ActiveJobsRepository } from '../aggregation/active-jobs-repo.ts';
import { AttentionRepository } from '../aggregation/attention-repo.ts';
import { JobsRepository } from '../aggregation/jobs-repo.ts';
import { JobSupport } from '../aggregation/job-support.ts';
import { PfmRefusalsRepository } from '../aggregation/pfm-refusals-repo.ts';
import { MxPushRepository } from '../aggregation/mx-push-repo.ts';
import type { TableRef } from '../store/table.ts';
import { pollQueueOf } from './queues.ts';
import type { Runtime } from './runtime.ts';

/** Whether MX's pushes announce the job ends: mx-events counts pushes, worker-poll ends. */
export function pushCoverageOf({ clock, log }: Runtime, table: TableRef): PushCoverage {
  return new PushCoverage({ pushes: new MxPushRepository(table), clock, log });
}

/** What the refresh and poll services share, the poll schedule's inputs among them. */
export function aggregationDepsOf(
  runtime: Runtime,
  parts: { table: TableRef; sqs: SQSClient; nexus: NexusClient; events: EventSink },
) {
  const { config, clock, log, metrics } = runtime;
  return {
    jobs: new JobsRepository(parts.table),
    pointers: new ActiveJobsRepository(parts.table),
    attention: new AttentionRepository(parts.table),
    nexus: parts.nexus,
    support: new JobSupport(parts.nexus, clock),
    refusals: new PfmRefusalsRepository(parts.table),
    pollQueue: pollQueueOf(runtime, parts.sqs),
    events: parts.events,
    clock,
    log,
    metrics,
    timing: new InstitutionTiming(new InstitutionStatsRepository(parts.table), clock, log),
    coverage: pushCoverageOf(runtime, parts.table),
    maxPollDelaySeconds: config.aggregation.maxPollDelaySeconds,
  };
}
