import { JobOutcomeCounts } from '../aggregation/job-outcome-counts.ts';
import { JobOutcomesRepository } from '../aggregation/job-outcomes-repo.ts';
import { MemberStatesRepository } from '../aggregation/member-states-repo.ts';
import { MemberWatch } from '../aggregation/member-watch.ts';
import { createPollQueueHandler } from '../aggregation/poll-queue-handler.ts';
import { PollService } from '../aggregation/poll-service.ts';
import { ReconcileRepository } from '../aggregation/reconcile-repo.ts';
import { RefreshService } from '../aggregation/refresh-service.ts';
import type { Config } from '../config.ts';
import { pollQueueMessageSchema } from '../queue/poll-message.ts';
import { aggregationDepsOf } from './aggregation.ts';
import { sqsHandler } from './queue-handlers.ts';
import { nexusClientOf } from './mx.ts';
import { pollQueueOf, sqsOf } from './queues.ts';
import { type Given, runtimeOf } from './runtime.ts';
import { tableOf } from './storage.ts';
import { transactionSyncOf } from './transactions.ts';
import { deliveryStoreOf, eventPublisherOf } from './delivery-store.ts';

/**
 * worker-poll: one poll step per message (see PollService), or one member MX reported on (MemberWatch: the member
 * read, a job opened for an aggregation MX ran on its own, a status change announced); failed records are retried by
 * SQS, the rest acknowledged.
 */
export function composeWorkerPoll(config: Config, given?: Given) {
  const runtime = runtimeOf(config, given);
  const { clock } = runtime;
  const table = tableOf(config);
  const sqs = sqsOf(runtime);
  const reconcileSchedule = new ReconcileRepository(table);
  const nexus = nexusClientOf(runtime, table, { reconcileSchedule });
  const events = eventPublisherOf(runtime, deliveryStoreOf(runtime, table, sqs));
  const aggregation = aggregationDepsOf(runtime, { table, sqs, nexus, events });
  const states = new MemberStatesRepository(table);
  const refresh = new RefreshService({ ...aggregation, deadlineSeconds: config.aggregation.deadlineSeconds });
  // The watch and the poll loop need each other: the watch ends a job MX already finished with a poll step now,
  // and every job's end is recorded in the member's state.
  let poll: PollService | undefined;
  const { reconcileIntervalMinutes } = config.aggregation;
  const watch = new MemberWatch({
    ...aggregation,
    states,
    refresh,
    ...(reconcileIntervalMinutes > 0
      ? { reconcileIntervalMs: reconcileIntervalMinutes * 60_000, userGuids: reconcileSchedule }
      : {}),
    pollNow: (job, detectedBy, read) =>
      poll!.handle({ job_id: job.id, step: job.step, due_at: clock.now(), detected_by: detectedBy }, read),
  });
  const outcomes = new JobOutcomeCounts({ outcomes: new JobOutcomesRepository(table), ...runtime });
  poll = new PollService({ ...aggregation, watch, outcomes, transactions: transactionSyncOf(runtime, table, nexus) });
  const records = sqsHandler(
    runtime,
    'poll',
    sqs,
    pollQueueMessageSchema,
    createPollQueueHandler({
      poll,
      watch,
      queue: pollQueueOf(runtime, sqs),
      ...runtime,
      firstWaitMs: config.aggregation.mxUnavailableFirstWaitMs,
    }),
    (message) =>
      'member_report' in message
        ? { member_guid: message.member_report.member_guid }
        : 'reconcile' in message
          ? { user_id: message.reconcile.user_id }
          : { job_id: message.job_id },
  );
  // The invocation's job ends are added to the hour's counters before it returns (once, however many it ended).
  const handler: typeof records = async (event, context) => {
    try {
      return await records(event, context);
    } finally {
      await outcomes.flush();
    }
  };
  return { handler, runtime, poll, watch, jobs: aggregation.jobs };
}
