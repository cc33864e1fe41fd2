import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Receives after which a message moves to the dead-letter queue. */
export const MAX_RECEIVE_COUNT = 5;

/** AWS's rule for Lambda event sources: the visibility timeout is at least six times the function timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

/**
 * The age of its oldest message past which a work queue's consumer is stuck: the longest hop the loop schedules
 * (a delayed message may count from its send), plus one visibility timeout for a failed receive, plus a minute.
 * The poll loop chains its waits in hops of at most `longestHopSeconds`; delivery retries are sent at most that
 * long before they fall due.
 */
export const queueAgeThresholdSeconds = (longestHopSeconds: number, queue: WorkQueue): number =>
  longestHopSeconds + queue.visibilityTimeoutSeconds + 60;

export interface WorkQueueProps {
  queueName: string;
  consumerTimeoutSeconds: number;
  removalPolicy: RemovalPolicy;
}

/** A queue and its dead-letter queue, both encrypted at rest and refusing plain-HTTP requests. */
export class WorkQueue extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly visibilityTimeoutSeconds: number;

  constructor(scope: Construct, id: string, props: WorkQueueProps) {
    super(scope, id);
    this.visibilityTimeoutSeconds = VISIBILITY_TIMEOUT_FACTOR * props.consumerTimeoutSeconds;
    const hardening = { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, removalPolicy: props.removalPolicy };

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      ...hardening,
      queueName: `${props.queueName}-dlq`,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'Queue', {
      ...hardening,
      queueName: props.queueName,
      visibilityTimeout: Duration.seconds(this.visibilityTimeoutSeconds),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
  }
}
