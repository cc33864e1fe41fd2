import type { RemovalPolicy } from 'aws-cdk-lib';
import { Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import { WorkQueue } from './work-queue.ts';

/** The EventBridge detail-type upstream systems put on the default bus to ask for a member refresh. */
export const REFRESH_REQUESTED_DETAIL_TYPE = 'nexus-relay.refresh.requested';

export interface RefreshRequestsProps {
  queueName: string;
  ruleName: string;
  consumerTimeoutSeconds: number;
  removalPolicy: RemovalPolicy;
}

/** `refresh-requests`: a work queue (with its DLQ) fed by an EventBridge rule on the default bus. */
export class RefreshRequests extends Construct {
  readonly queues: WorkQueue;
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: RefreshRequestsProps) {
    super(scope, id);
    this.queues = new WorkQueue(this, 'Queues', {
      queueName: props.queueName,
      consumerTimeoutSeconds: props.consumerTimeoutSeconds,
      removalPolicy: props.removalPolicy,
    });
    this.rule = new Rule(this, 'Rule', {
      ruleName: props.ruleName,
      description: `Routes ${REFRESH_REQUESTED_DETAIL_TYPE} events to ${props.queueName}`,
      eventPattern: { detailType: [REFRESH_REQUESTED_DETAIL_TYPE] },
      targets: [new SqsQueue(this.queues.queue)],
    });
  }
}
