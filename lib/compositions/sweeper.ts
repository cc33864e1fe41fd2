import { Sweeper } from '../aggregation/sweeper.ts';
import type { Config } from '../config.ts';
import { ActiveJobsRepository } from '../aggregation/active-jobs-repo.ts';
import { JobsRepository } from '../aggregation/jobs-repo.ts';
import { ReconcileRepository } from '../aggregation/reconcile-repo.ts';
import { SweepCheckpointsRepository } from '../notify/sweep-checkpoints-repo.ts';
import { DeliverySweep } from '../notify/delivery-sweep.ts';
import { jobIdOfEventId } from '../notify/events.ts';
import middy from '@middy/core';
import { inLogContext, observability } from './observability.ts';
import type { PollQueueMessage } from '../queue/poll-message.ts';
import { pollQueueOf, sqsOf } from './queues.ts';
import { type Given, runtimeOf } from './runtime.ts';
import { tableOf } from './storage.ts';
import { deliveryStoreOf } from './delivery-store.ts';

/** The reconcile spreads each sweep's reads over a minute: no longer than the sweep's period (2 min in AWS, 1 locally). */
const RECONCILE_SPREAD_MS = 60_000;

/**
 * sweeper: on a schedule, puts stalled jobs back on the poll loop and stalled deliveries back on theirs, and sends
 * the users due for the reconcile to worker-poll.
 */
export function composeSweeper(config: Config, given?: Given) {
  const runtime = runtimeOf(config, given);
  const { clock, log, metrics } = runtime;
  const table = tableOf(config);
  const sqs = sqsOf(runtime);
  // One queue for both: the poll steps of stalled jobs and the reconcile's users go to worker-poll alike.
  const pollQueue = pollQueueOf<PollQueueMessage>(runtime, sqs);
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
    ...(config.aggregation.reconcileIntervalMinutes > 0
      ? {
          reconcile: {
            schedule: new ReconcileRepository(table),
            queue: pollQueue,
            intervalMs: config.aggregation.reconcileIntervalMinutes * 60_000,
            maxPerSweep: config.aggregation.reconcileUsersPerSweep,
            spreadMs: RECONCILE_SPREAD_MS,
          },
        }
      : {}),
  });
  return { handler: inLogContext(middy(() => sweeper.sweep()).use(observability(runtime))), runtime, sweeper };
}
