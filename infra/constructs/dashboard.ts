import { DELIVERY_QUEUES } from '../../lib/queue/queue-names.ts';
import { Duration } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Dashboard, GraphWidget, type IMetric, TextWidget, type IWidget } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DETECTORS, type Detector } from '../../lib/aggregation/aggregation-metrics.ts';
import type { RelayMetrics } from './relay-metrics.ts';

export interface RelayDashboardProps {
  dashboardName: string;
  metrics: RelayMetrics;
  functions: Readonly<Record<string, IFunction>>;
  /** The work queues, whose oldest message's age shows a backlog. */
  queues: Readonly<Record<string, IQueue>>;
  deadLetterQueues: Readonly<Record<string, IQueue>>;
  api: IHttpApi;
}

const PERIOD = Duration.minutes(5);
const graph = (title: string, left: IMetric[], options: { right?: IMetric[]; width?: number } = {}): GraphWidget =>
  new GraphWidget({ title, left, right: options.right, width: options.width ?? 8, height: 6 });

/** One CloudWatch dashboard per environment: the aggregation loop, MX, webhooks, queues and the functions. */
export class RelayDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: RelayDashboardProps) {
    super(scope, id);
    const { metrics } = props;
    const functions = Object.entries(props.functions);
    const perFunction = (make: (fn: IFunction) => IMetric) => functions.map(([name, fn]) => withLabel(make(fn), name));
    const detectionLag = (detectedBy: Detector) =>
      (['p50', 'p95'] as const).map((statistic) =>
        metrics.metric('DetectionLag', { detected_by: detectedBy }, { statistic, label: `${detectedBy} ${statistic}` }),
      );

    const rows: IWidget[][] = [
      [
        new TextWidget({
          markdown: `## ${props.dashboardName}\nAggregation jobs, MX, webhooks, queues and functions. Each alarm's entry: docs/runbook.md.`,
          width: 24,
          height: 2,
        }),
      ],
      [
        graph('Jobs by outcome (per 5 min)', [metrics.search('JobsEnded', 'Sum', 'ended')], {
          right: [metrics.search('JobsStarted', 'Sum', 'started')],
        }),
        graph(
          'Detection lag p50 / p95 (ms; the reconcile, hours late by design, on the right)',
          DETECTORS.filter((detectedBy) => detectedBy !== 'reconcile').flatMap(detectionLag),
          { right: detectionLag('reconcile') },
        ),
        graph('Job duration p50 / p95 (ms) and polls per job', [metrics.search('JobDuration', 'p95', 'duration p95')], {
          right: [metrics.search('PollsPerJob', 'Average', 'polls')],
        }),
      ],
      [
        graph(
          'MX calls by route class and status class, and their latency p95 (ms)',
          [metrics.search('MxCallLatency', 'SampleCount', 'calls')],
          {
            right: [metrics.search('MxCallLatency', 'p95', 'latency p95')],
          },
        ),
        graph(
          'MX 429s, circuit opened; retries, calls held and calls over budget (right)',
          [metrics.mxThrottles(PERIOD), metrics.mxCircuitOpens(PERIOD)],
          {
            right: [
              metrics.search('MxRetries', 'Sum', 'retries'),
              metrics.search('MxCircuitRefusals', 'Sum', 'held'),
              metrics.search('MxBudgetRefusals', 'Sum', 'over budget'),
            ],
          },
        ),
        graph('MX sessions created and 401 recoveries', [
          metrics.metric('MxSessionsCreated', {}, { label: 'created' }),
          metrics.metric('MxSessionRecoveries', {}, { label: 'recovered after 401' }),
        ]),
      ],
      [
        graph('Webhook success rate (%)', [metrics.webhookSuccessRate(PERIOD)]),
        graph('Webhook delivery latency p50 / p95 (ms)', [
          metrics.metric('WebhookDeliveryLatency', {}, { statistic: 'p50', label: 'p50' }),
          metrics.metric('WebhookDeliveryLatency', {}, { statistic: 'p95', label: 'p95' }),
        ]),
        graph('Webhook attempts by outcome', [metrics.search('WebhookAttempts', 'Sum', 'attempts')], {
          right: [metrics.metric('WebhookEndpointsDisabled', {}, { label: 'endpoints disabled' })],
        }),
      ],
      [
        graph(
          'Webhook endpoints: breaker changes, deliveries held; moves to the slow lane (right)',
          [
            metrics.search('WebhookBreakerChanges', 'Sum', 'breaker'),
            metrics.metric('WebhookDeliveriesHeld', {}, { label: 'held' }),
          ],
          { right: [metrics.search('WebhookSlowLaneMoves', 'Sum', 'to the slow lane')], width: 12 },
        ),
        graph(
          'Delivery lanes: subscriptions with a backlog (SQS noisy groups); the others’ oldest message (s, right)',
          DELIVERY_QUEUES.map((name) =>
            withLabel(
              props.queues[name]!.metric('ApproximateNumberOfNoisyGroups', { period: PERIOD, statistic: 'Maximum' }),
              name,
            ),
          ),
          {
            right: DELIVERY_QUEUES.map((name) =>
              withLabel(
                props.queues[name]!.metric('ApproximateAgeOfOldestMessageInQuietGroups', {
                  period: PERIOD,
                  statistic: 'Maximum',
                }),
                `${name} quiet oldest`,
              ),
            ),
            width: 12,
          },
        ),
      ],
      [
        graph(
          'Dead-letter queue depth',
          Object.entries(props.deadLetterQueues).map(([name, queue]) =>
            withLabel(queue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' }), name),
          ),
        ),
        graph(
          'Age of the oldest message per queue (s)',
          Object.entries(props.queues).map(([name, queue]) =>
            withLabel(queue.metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: 'Maximum' }), name),
          ),
        ),
        graph(
          'Reconcile turns (read, skipped) and how overdue (ms, right)',
          [metrics.search('ReconcileTurns', 'Sum', 'turns'), metrics.metric('ReconcileDispatched', {}, { label: 'dispatched' })],
          { right: [metrics.metric('ReconcileOverdue', {}, { statistic: 'Maximum', label: 'overdue' })] },
        ),
        graph('Dead-lettered, sweeper recoveries, deferred refresh requests', [
          metrics.search('MessagesDeadLettered', 'Sum', 'dead-lettered'),
          metrics.search('SweeperRecoveries', 'Sum', 'sweeper'),
          metrics.search('RefreshRequestsDeferred', 'Sum', 'deferred'),
        ]),
        graph('API requests and 5xx', [props.api.metricCount({ period: PERIOD, statistic: 'Sum' })], {
          right: [props.api.metricServerError({ period: PERIOD, statistic: 'Sum' })],
        }),
      ],
      [
        graph(
          'Lambda errors',
          perFunction((fn) => fn.metricErrors({ period: PERIOD, statistic: 'Sum' })),
        ),
        graph(
          'Lambda throttles',
          perFunction((fn) => fn.metricThrottles({ period: PERIOD, statistic: 'Sum' })),
        ),
        graph(
          'Lambda duration p95 (ms)',
          perFunction((fn) => fn.metricDuration({ period: PERIOD, statistic: 'p95' })),
        ),
      ],
    ];

    this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName: props.dashboardName, widgets: rows });
  }
}

const withLabel = (metric: IMetric, label: string): IMetric =>
  'with' in metric && typeof metric.with === 'function' ? (metric.with({ label }) as IMetric) : metric;
