import { Sweeper } from '../aggregation/sweeper.ts';
import type { Config } from '../config.ts';
import { ActiveJobsRepository } from '../aggregation/active-jobs-repo.ts';
import { JobsRepository } from '../aggregation/jobs-repo.ts';
import { SweepCheckpointsRepository } from '../notify/sweep-checkpoints-repo.ts';
import { DeliverySweep } from '../notify/delivery-sweep.ts';
import { jobIdOfEventId } from '../notify/events.ts';
import middy from '@middy/core';
import { inLogContext, observability } from './observability.ts';
import { pollQueueOf, sqsOf } from './queues.ts';
import { type Given, runtimeOf } from './runtime.ts';
import { tableOf } from './storage.ts';
import { deliveryStoreOf } from './delivery-store.ts';
import { ErasuresRepository } from '../connect/erasures-repo.ts';

/** sweeper: puts stalled jobs and deliveries back on their queues; measures the erasures under way. */
export function composeSweeper(config: Config, given?: Given) {
  const runtime = runtimeOf(config, given);
  const { clock, log, metrics } = runtime;
  const table = tableOf(config);
  const sqs = sqsOf(runtime);
  const pollQueue = pollQueueOf(runtime, sqs);
  const sweeper = new Sweeper({
    jobs: new JobsRepository(table),
    pointers: new ActiveJobsRepository(table),
    pollQueue,
    clock,
    log,
    metrics,
    stalledAfterMs: config.aggregation.stalledAfterMs,
    deliveries: new DeliverySweep({
      ...deliveryStoreOf(runtime, table, sqs),
      checkpoints: new SweepCheckpointsRepository(table),
      stalledAfterMs: config.webhooks.stalledAfterMs,
      clock,
      log,
      metrics,
      jobIdOf: jobIdOfEventId,
    }),
    erasures: new ErasuresRepository(table),
  });
  return { handler: inLogContext(middy(() => sweeper.sweep()).use(observability(runtime))), runtime, sweeper };
}
