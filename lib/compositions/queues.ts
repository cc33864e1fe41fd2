import type { SQSClient } from '@aws-sdk/client-sqs';
import { createSqsClient } from '../aws/sqs-client.ts';
import { DelayedQueue } from '../queue/delayed-queue.ts';
import type { ErasureMessage, MemberReport, MxHintsMessage, PollMessage, ReconcileMessage } from '../queue/poll-message.ts';
import { ConfigError } from '../errors.ts';
import type { Runtime } from './runtime.ts';

/** The function's SQS client (unless given). */
export function sqsOf({ config, given }: Runtime): SQSClient {
  return given.sqs ?? createSqsClient(config.aws);
}

/** The aggregation poll loop's queue. */
export function pollQueueOf({ config, clock }: Runtime, sqs: SQSClient): DelayedQueue<PollMessage> {
  return new DelayedQueue<PollMessage>(sqs, config.queues.poll, clock);
}

/** The members MX reported on; one that waits for MX waits here too. */
export function memberReportsQueueOf({ config, clock }: Runtime, sqs: SQSClient): DelayedQueue<MemberReport | MxHintsMessage> {
  return new DelayedQueue<MemberReport | MxHintsMessage>(sqs, config.queues.memberReports, clock);
}

/** Users' reconcile turns; one that waits for MX waits here too. */
export function reconcileQueueOf({ config, clock }: Runtime, sqs: SQSClient): DelayedQueue<ReconcileMessage> {
  return new DelayedQueue<ReconcileMessage>(sqs, config.queues.reconcile, clock);
}

/** Users' erasure steps: required where it is used. */
export function erasuresQueueOf({ config, clock }: Runtime, sqs: SQSClient): DelayedQueue<ErasureMessage> {
  if (!config.queues.erasures) {
    throw new ConfigError(['ERASURES_QUEUE_URL'], 'ERASURES_QUEUE_URL is required: erasures take their steps from it');
  }
  return new DelayedQueue<ErasureMessage>(sqs, config.queues.erasures, clock);
}
