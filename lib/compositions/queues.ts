import type { SQSClient } from '@aws-sdk/client-sqs';
import { createSqsClient } from '../aws/sqs-client.ts';
import { DelayedQueue } from '../queue/delayed-queue.ts';
import type { MemberReport, PollMessage, ReconcileMessage } from '../queue/poll-message.ts';
import type { Runtime } from './runtime.ts';

/** The function's SQS client (unless given). */
export function sqsOf({ config, given }: Runtime): SQSClient {
  return given.sqs ?? createSqsClient(config.aws);
}

/** The aggregation poll loop's queue. */
export function pollQueueOf({ config, clock }: Runtime, sqs: SQSClient): DelayedQueue<PollMessage> {
  return new DelayedQueue<PollMessage>(sqs, config.queues.poll, clock);
}

/** The poll queue again, for member reports (mx-events → worker-poll: lib/aggregation/member-watch.ts). */
export function memberReportsOf({ config, clock }: Runtime, sqs: SQSClient): DelayedQueue<MemberReport> {
  return new DelayedQueue<MemberReport>(sqs, config.queues.poll, clock);
}

/** The poll queue again, for the reconcile's reads (sweeper → worker-poll). */
export function reconcileQueueOf({ config, clock }: Runtime, sqs: SQSClient): DelayedQueue<ReconcileMessage> {
  return new DelayedQueue<ReconcileMessage>(sqs, config.queues.poll, clock);
}
