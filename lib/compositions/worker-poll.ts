import { PollService } from '../aggregation/poll-service.ts';
import type { Config } from '../config.ts';
import { pollMessageSchema } from '../queue/poll-message.ts';
import { aggregationDepsOf } from './aggregation.ts';
import { sqsHandler } from './queue-handlers.ts';
import { nexusClientOf } from './mx.ts';
import { sqsOf } from './queues.ts';
import { type Given, runtimeOf } from './runtime.ts';
import { tableOf } from './storage.ts';
import { transactionSyncOf } from './transactions.ts';
import { deliveryStoreOf, eventPublisherOf } from './delivery-store.ts';

/** worker-poll: one poll step per message (see PollService); failed records are retried by SQS, the rest acknowledged. */
export function composeWorkerPoll(config: Config, given?: Given) {
  const runtime = runtimeOf(config, given);
  const table = tableOf(config);
  const sqs = sqsOf(runtime);
  const nexus = nexusClientOf(runtime, table);
  const events = eventPublisherOf(runtime, deliveryStoreOf(runtime, table, sqs));
  const aggregation = aggregationDepsOf(runtime, { table, sqs, nexus, events });
  const poll = new PollService({ ...aggregation, transactions: transactionSyncOf(runtime, table, nexus) });
  const handler = sqsHandler(
    runtime,
    'poll',
    sqs,
    pollMessageSchema,
    (message) => poll.handle(message),
    (message) => ({ job_id: message.job_id }),
  );
  return { handler, runtime, poll, jobs: aggregation.jobs };
}
