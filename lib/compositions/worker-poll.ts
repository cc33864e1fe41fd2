import { JobOutcomeCounts } from '../aggregation/job-outcome-counts.ts';
import { JobOutcomesRepository } from '../aggregation/job-outcomes-repo.ts';
import { MemberStatesRepository } from '../aggregation/member-states-repo.ts';
import { MemberLedger } from '../aggregation/member-ledger.ts';
import { MemberWatch } from '../aggregation/member-watch.ts';
import { MxHintsRepository } from '../aggregation/mx-hints-repo.ts';
import { createPollQueueHandler } from '../aggregation/poll-queue-handler.ts';
import { PollService } from '../aggregation/poll-service.ts';
import { ReconcileRepository } from '../aggregation/reconcile-repo.ts';
import { RefreshService } from '../aggregation/refresh-service.ts';
import type { Config } from '../config.ts';
import { logKeysOf, pollQueueMessageSchema } from '../queue/poll-message.ts';
import { aggregationDepsOf } from './aggregation.ts';
import { sqsHandler } from './queue-handlers.ts';
import { nexusClientOf } from './mx.ts';
import { erasuresQueueOf, memberReportsQueueOf, reconcileQueueOf, sqsOf } from './queues.ts';
import { ErasuresRepository } from '../connect/erasures-repo.ts';
import { UserDataRepository } from '../connect/user-data-repo.ts';
import { WebhooksRepository } from '../notify/webhooks-repo.ts';
import { UserErasureSteps } from '../connect/user-erasure.ts';
import { digestKeysOf } from './digest-keys.ts';
import { mdxRealtimeOf } from './sso.ts';
import { hasFreshSession } from '../mx/sessions-repo.ts';
import { MX_WORK_QUEUES } from '../queue/queue-names.ts';
import { type Given, type Runtime, runtimeOf } from './runtime.ts';
import type { TableRef } from '../store/table.ts';
import type { EventSink } from '../notify/events.ts';
import { tableOf } from './storage.ts';
import { transactionsOf } from './transactions.ts';
import { SyncAnnouncer } from '../transactions/sync-announcer.ts';
import { deliveryStoreOf, eventPublisherOf } from './delivery-store.ts';

/** worker-poll: poll steps, member reports, reconcile turns and erasure steps, each kind from its own queue. */
export function composeWorkerPoll(config: Config, given?: Given) {
  const runtime = runtimeOf(config, given);
  const table = tableOf(config);
  const sqs = sqsOf(runtime);
  const reconcileSchedule = new ReconcileRepository(table);
  const nexus = nexusClientOf(runtime, table, { forApps: false, priority: 'queued' });
  const events = eventPublisherOf(runtime, deliveryStoreOf(runtime, table, sqs), table);
  const aggregation = aggregationDepsOf(runtime, { table, sqs, nexus, events });
  const states = new MemberStatesRepository(table);
  const refresh = new RefreshService({ ...aggregation, deadlineSeconds: config.aggregation.deadlineSeconds });
  const ledger = new MemberLedger({ ...aggregation, states });
  const outcomes = new JobOutcomeCounts({ outcomes: new JobOutcomesRepository(table), ...runtime });
  const { sync: transactions, forgetting } = transactionsOf(runtime, table, nexus);
  const ended = new SyncAnnouncer({ transactions, jobs: aggregation.jobs, histories: states, events, ...runtime });
  const poll = new PollService({ ...aggregation, ledger, outcomes, ended, histories: states });
  const { reconcileIntervalMinutes, backgroundAtTurn } = config.aggregation;
  const hintReads = memberReportsQueueOf(runtime, sqs);
  const watch = new MemberWatch({
    ...aggregation,
    states,
    refresh,
    ledger,
    poll,
    jobEnds: ended,
    transactions,
    forgetting,
    served: reconcileSchedule,
    hints: new MxHintsRepository(table),
    hintReads,
    ...(reconcileIntervalMinutes > 0
      ? { reconcileIntervalMs: reconcileIntervalMinutes * 60_000, userGuids: reconcileSchedule, reads: reconcileSchedule }
      : {}),
    ...(backgroundAtTurn
      ? { backgroundAtTurn: { hasFreshSession: (userId: string) => hasFreshSession(table, userId, runtime.clock.now()) } }
      : {}),
  });
  const erasure = erasureStepsOf(runtime, table, events);
  const records = sqsHandler(
    runtime,
    MX_WORK_QUEUES,
    sqs,
    pollQueueMessageSchema,
    createPollQueueHandler({
      poll,
      watch,
      erasure,
      queues: { memberReports: hintReads, reconcile: reconcileQueueOf(runtime, sqs), erasures: erasuresQueueOf(runtime, sqs) },
      ...runtime,
      firstWaitMs: config.aggregation.mxUnavailableFirstWaitMs,
    }),
    logKeysOf,
  );
  // The invocation's job ends are added to the hour's counters once, before it returns.
  const handler: typeof records = async (event, context) => {
    try {
      return await records(event, context);
    } finally {
      await outcomes.flush();
    }
  };
  return { handler, runtime, table, poll, watch, erasure, jobs: aggregation.jobs };
}

const erasureStepsOf = (runtime: Runtime, table: TableRef, events: EventSink) =>
  new UserErasureSteps({
    realtime: mdxRealtimeOf(runtime, table, undefined, 'queued'),
    erasures: new ErasuresRepository(table),
    data: new UserDataRepository(table, new WebhooksRepository(table, runtime.clock)),
    events,
    digests: digestKeysOf(runtime),
    ...runtime,
  });
