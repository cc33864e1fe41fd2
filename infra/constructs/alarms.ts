import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IMetric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

const PERIOD = Duration.minutes(5);

/** 5xx answers in one period before the API alarm fires: a lone MX hiccup (502/504) is not worth a page. */
export const API_5XX_THRESHOLD = 5;

export interface RelayAlarmsProps {
  topicName: string;
  alarmNamePrefix: string;
  email?: string;
}

/** An SNS topic and the alarms that notify it (on alarm and on recovery). */
export class RelayAlarms extends Construct {
  readonly topic: Topic;
  readonly #action: SnsAction;
  readonly #prefix: string;

  constructor(scope: Construct, id: string, props: RelayAlarmsProps) {
    super(scope, id);
    this.topic = new Topic(this, 'Topic', { topicName: props.topicName, enforceSSL: true });
    if (props.email) this.topic.addSubscription(new EmailSubscription(props.email));
    this.#action = new SnsAction(this.topic);
    this.#prefix = props.alarmNamePrefix;
  }

  /** Any message in a dead-letter queue needs a human. `id` names the alarm (`<prefix>-<id>-dead-letters`). */
  onDeadLetters(id: string, deadLetterQueue: IQueue): void {
    this.#alarm(`${id}-dead-letters`, {
      description: `Messages are waiting in ${id}'s dead-letter queue`,
      metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' }),
      threshold: 1,
    });
  }

  /** Unhandled errors and throttles of a function. */
  onFunction(id: string, fn: IFunction): void {
    this.#alarm(`${id}-errors`, {
      description: `${id} failed an invocation`,
      metric: fn.metricErrors({ period: PERIOD, statistic: 'Sum' }),
      threshold: 1,
    });
    this.#alarm(`${id}-throttles`, {
      description: `${id} was throttled`,
      metric: fn.metricThrottles({ period: PERIOD, statistic: 'Sum' }),
      threshold: 1,
    });
  }

  onApiServerErrors(api: IHttpApi): void {
    this.#alarm('api-5xx', {
      description: `The API answered ${API_5XX_THRESHOLD} or more 5xx in ${PERIOD.toMinutes()} minutes`,
      metric: api.metricServerError({ period: PERIOD, statistic: 'Sum' }),
      threshold: API_5XX_THRESHOLD,
    });
  }

  #alarm(name: string, props: { description: string; metric: IMetric; threshold: number }): void {
    const alarm = new Alarm(this, name, {
      alarmName: `${this.#prefix}-${name}`,
      alarmDescription: props.description,
      metric: props.metric,
      threshold: props.threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(this.#action);
    alarm.addOkAction(this.#action);
  }
}
