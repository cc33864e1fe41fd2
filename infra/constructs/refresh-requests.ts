import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import { WorkQueue } from './work-queue.ts';

/** The EventBridge detail-type upstream systems put on the default bus to ask for a member refresh. */
export const REFRESH_REQUESTED_DETAIL_TYPE = 'nexus-relay.refresh.requested';

/** The `source` refresh-requested events carry unless a deployment names its own (`-c refreshRequestSources`). */
export const DEFAULT_REFRESH_REQUEST_SOURCE = 'nexus-relay.upstream';

export interface RefreshRequestsProps {
  queueName: string;
  ruleName: string;
  /** The EventBridge sources heard: nothing else that may put events on the bus can start a refresh. */
  sources: readonly string[];
  consumerTimeoutSeconds: number;
  removalPolicy: RemovalPolicy;
}

/** EventBridge's retries of one event it could not put on the queue (it backs off for up to `maxEventAge`). */
export const RULE_RETRY_ATTEMPTS = 8;

/**
 * `refresh-requests`: a work queue (with its DLQ) fed by an EventBridge rule on the default bus. Events the rule
 * could not deliver to the queue (after EventBridge's retries) go to their own dead-letter queue, with EventBridge's
 * error attributes: they never reached the worker, so they do not mix with the worker's dead letters.
 */
export class RefreshRequests extends Construct {
  readonly queues: WorkQueue;
  readonly rule: Rule;
  readonly ruleDeadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: RefreshRequestsProps) {
    super(scope, id);
    this.queues = new WorkQueue(this, 'Queues', {
      queueName: props.queueName,
      consumerTimeoutSeconds: props.consumerTimeoutSeconds,
      removalPolicy: props.removalPolicy,
    });
    this.ruleDeadLetterQueue = new Queue(this, 'RuleDeadLetterQueue', {
      queueName: `${props.ruleName}-dlq`,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    this.rule = new Rule(this, 'Rule', {
      ruleName: props.ruleName,
      description: `Routes ${REFRESH_REQUESTED_DETAIL_TYPE} events to ${props.queueName}`,
      eventPattern: {
        source: [...props.sources],
        detailType: [REFRESH_REQUESTED_DETAIL_TYPE],
        account: [Stack.of(this).account],
      },
      targets: [
        new SqsQueue(this.queues.queue, {
          deadLetterQueue: this.ruleDeadLetterQueue,
          retryAttempts: RULE_RETRY_ATTEMPTS,
          maxEventAge: Duration.hours(2),
        }),
      ],
    });
  }
}
