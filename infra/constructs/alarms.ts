import { Duration, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IMetric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export const ALARM_PERIOD = Duration.minutes(5);

/** 5xx answers in one period before the API alarm fires: a lone MX hiccup (502/504) is not worth a page. */
export const API_5XX_THRESHOLD = 5;

/** Where alarms go: an e-mail address subscribed to the stack's topic, and/or a team's existing topic. */
export interface AlarmDestination {
  email?: string;
  /** An existing SNS topic (a paging tool's): alarms publish to it instead of a topic of this stack. */
  topicArn?: string;
}

export interface RelayAlarmsProps {
  topicName: string;
  alarmNamePrefix: string;
  destination: AlarmDestination;
  /** The stack's key, where it has one: the stack's own topic is encrypted under it (CloudWatch may use it). */
  topicKey?: IKey;
}

export interface AlarmProps {
  description: string;
  metric: IMetric;
  threshold: number;
  comparisonOperator?: ComparisonOperator;
  evaluationPeriods?: number;
  datapointsToAlarm?: number;
}

/**
 * The topic alarms notify (on alarm and on recovery) and the alarms themselves, each named `<prefix>-<name>` and
 * described in docs/runbook.md.
 */
export class RelayAlarms extends Construct {
  readonly topic: ITopic;
  readonly alarms: Alarm[] = [];
  readonly #action: SnsAction;
  readonly #prefix: string;

  constructor(scope: Construct, id: string, props: RelayAlarmsProps) {
    super(scope, id);
    this.#prefix = props.alarmNamePrefix;
    this.topic = props.destination.topicArn
      ? Topic.fromTopicArn(this, 'Topic', props.destination.topicArn)
      : this.#ownTopic(props.topicName, props.topicKey);
    if (props.destination.email) {
      if (!(this.topic instanceof Topic)) {
        throw new Error('Give an alarm e-mail or an alarm topic ARN, not both: subscribe the address to your topic yourself.');
      }
      this.topic.addSubscription(new EmailSubscription(props.destination.email));
    }
    this.#action = new SnsAction(this.topic);
  }

  /**
   * A topic policy replaces SNS's default one: with only enforceSSL's Deny in it, CloudWatch may not publish and
   * every alarm action fails. So the policy also allows CloudWatch, for this account's alarms of this stack only.
   */
  #ownTopic(topicName: string, masterKey: IKey | undefined): Topic {
    const topic = new Topic(this, 'Topic', { topicName, enforceSSL: true, masterKey });
    const { account, region, partition } = Stack.of(this);
    topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': account },
          ArnLike: { 'aws:SourceArn': `arn:${partition}:cloudwatch:${region}:${account}:alarm:${this.#prefix}-*` },
        },
      }),
    );
    return topic;
  }

  /** Any message in a dead-letter queue needs a human. `id` names the alarm (`<prefix>-<id>-dead-letters`). */
  onDeadLetters(id: string, deadLetterQueue: IQueue): void {
    this.alarm(`${id}-dead-letters`, {
      description: `Messages are waiting in ${id}'s dead-letter queue`,
      metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: ALARM_PERIOD, statistic: 'Maximum' }),
      threshold: 1,
    });
  }

  /**
   * A message older than the loop ever lets one get: the consumer is not taking its queue. `tenants`: its messages
   * name their tenant (SQS fair queues), and only the quiet tenants' oldest counts: one tenant's backlog waits its
   * turn by design.
   */
  onQueueAge(id: string, queue: IQueue, thresholdSeconds: number, options: { tenants?: boolean } = {}): void {
    const period = { period: Duration.minutes(1), statistic: 'Maximum' };
    this.alarm(`${id}-queue-age`, {
      description: `The oldest message of the ${id} queue${options.tenants ? ' (its quiet tenants)' : ''} waited ${thresholdSeconds} s or more`,
      metric: options.tenants
        ? queue.metric('ApproximateAgeOfOldestMessageInQuietGroups', period)
        : queue.metricApproximateAgeOfOldestMessage(period),
      threshold: thresholdSeconds,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
    });
  }

  /** Unhandled errors and throttles of a function. */
  onFunction(id: string, fn: IFunction): void {
    this.alarm(`${id}-errors`, {
      description: `${id} failed an invocation`,
      metric: fn.metricErrors({ period: ALARM_PERIOD, statistic: 'Sum' }),
      threshold: 1,
    });
    this.alarm(`${id}-throttles`, {
      description: `${id} was throttled`,
      metric: fn.metricThrottles({ period: ALARM_PERIOD, statistic: 'Sum' }),
      threshold: 1,
    });
  }

  onApiServerErrors(api: IHttpApi): void {
    this.alarm('api-5xx', {
      description: `The API answered ${API_5XX_THRESHOLD} or more 5xx in ${ALARM_PERIOD.toMinutes()} minutes`,
      metric: api.metricServerError({ period: ALARM_PERIOD, statistic: 'Sum' }),
      threshold: API_5XX_THRESHOLD,
    });
  }

  /** MX's webhooks come to mx-events' function URL, not the API: its 5xx answers, counted by Lambda. */
  onMxWebhookServerErrors(fn: IFunction): void {
    this.alarm('mx-webhooks-5xx', {
      description: `mx-events answered MX ${API_5XX_THRESHOLD} or more 5xx in ${ALARM_PERIOD.toMinutes()} minutes`,
      metric: fn.metric('Url5xxCount', { period: ALARM_PERIOD, statistic: 'Sum' }),
      threshold: API_5XX_THRESHOLD,
    });
  }

  /** An alarm named `<prefix>-<name>` that notifies the topic on alarm and on recovery. */
  alarm(name: string, props: AlarmProps): Alarm {
    const alarm = new Alarm(this, name, {
      alarmName: `${this.#prefix}-${name}`,
      alarmDescription: `${props.description}. Runbook: docs/runbook.md#${name}`,
      metric: props.metric,
      threshold: props.threshold,
      evaluationPeriods: props.evaluationPeriods ?? 1,
      datapointsToAlarm: props.datapointsToAlarm,
      comparisonOperator: props.comparisonOperator ?? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(this.#action);
    alarm.addOkAction(this.#action);
    this.alarms.push(alarm);
    return alarm;
  }
}
