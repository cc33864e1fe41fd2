import { Duration } from 'aws-cdk-lib';
import { MathExpression, Metric, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { type DimensionsOf, METRIC_NAMESPACE } from '../../lib/metrics.ts';
import { METRICS, type MetricName } from '../../lib/compositions/metric-catalogue.ts';
import { MX_UPSTREAMS, type MxUpstream } from '../../lib/mx/mx-metrics.ts';

/**
 * The relay's own metrics (each slice's catalogue, lib/compositions/metric-catalogue.ts) as CloudWatch sees them. Powertools writes each EMF line with one
 * dimension set — `service`, `environment` and the metric's own dimensions — and CloudWatch names a metric by all of
 * them, so a metric is always addressed with every one of its dimensions.
 */
export class RelayMetrics {
  constructor(private readonly environment: string) {}

  metric<N extends MetricName>(
    name: N,
    dimensions: DimensionsOf<typeof METRICS, N>,
    options: { statistic?: string; period?: Duration; label?: string } = {},
  ): Metric {
    return new Metric({
      namespace: METRIC_NAMESPACE,
      metricName: name,
      dimensionsMap: { service: 'nexus-relay', environment: this.environment, ...(dimensions as Record<string, string>) },
      statistic: options.statistic ?? (METRICS[name].sum ? 'Sum' : 'p95'),
      period: options.period ?? Duration.minutes(5),
      label: options.label,
    });
  }

  /** Every series of `name` in this environment, one line per dimension value (for graphs: alarms cannot SEARCH). */
  search(name: MetricName, statistic: string, label: string, period = Duration.minutes(5)): IMetric {
    const dimensionNames = ['service', 'environment', ...Object.keys(METRICS[name].dimensions)].join(',');
    return new MathExpression({
      expression: `SEARCH('{${METRIC_NAMESPACE},${dimensionNames}} MetricName="${name}" environment="${this.environment}"', '${statistic}', ${period.toSeconds()})`,
      label,
      period,
      usingMetrics: {},
    });
  }

  /**
   * Share of webhook attempts answered 2xx, in %, as a math expression over every attempt outcome; 100 while fewer
   * than `minimumAttempts` were made (a lone failure on a quiet night is not an outage).
   */
  webhookSuccessRate(period: Duration, minimumAttempts = 10): MathExpression {
    const outcomes = METRICS.WebhookAttempts.dimensions.outcome;
    const usingMetrics = Object.fromEntries(
      outcomes.map((outcome, i) => [`a${i}`, this.metric('WebhookAttempts', { outcome }, { period })]),
    );
    const total = outcomes.map((_, i) => `a${i}`).join(' + ');
    const delivered = `a${outcomes.indexOf('delivered')}`;
    return new MathExpression({
      expression: `IF((${total}) >= ${minimumAttempts}, 100 * ${delivered} / (${total}), 100)`,
      usingMetrics,
      label: 'webhook success rate %',
      period,
    });
  }

  /** MX user guid conflicts of either kind (lib/aggregation/member-watch.ts): a guid changed, or shared by two users. */
  mxUserGuidConflicts(period: Duration): MathExpression {
    return new MathExpression({
      // A series with no datapoint in a period would leave the sum without one: each counts as 0 there.
      expression: 'FILL(changed, 0) + FILL(shared, 0)',
      usingMetrics: {
        changed: this.metric('MxUserGuidConflicts', { kind: 'changed' }, { period }),
        shared: this.metric('MxUserGuidConflicts', { kind: 'shared' }, { period }),
      },
      label: 'MX user guid conflicts',
      period,
    });
  }

  /** Times a container's MX circuit breaker opened, every host. */
  mxCircuitOpens(period: Duration): MathExpression {
    return this.#everyHost('open', 'MX circuit opened', period, (upstream) =>
      this.metric('MxCircuitChanges', { upstream, state: 'open' }, { period }),
    );
  }

  /** MX calls refused because their host's budget was spent, every host. */
  mxBudgetRefusals(period: Duration): MathExpression {
    return this.#everyHost('over', 'MX calls over budget', period, (upstream) =>
      this.metric('MxBudgetRefusals', { upstream }, { period }),
    );
  }

  /** 429s from MX, every host. */
  mxThrottles(period: Duration): MathExpression {
    return this.#everyHost('throttled', 'MX 429s', period, (upstream) => this.metric('MxThrottled', { upstream }, { period }));
  }

  /** A metric summed over the MX hosts, its series' ids led by `id`: the dashboard graphs several side by side. */
  #everyHost(id: string, label: string, period: Duration, of: (upstream: MxUpstream) => Metric): MathExpression {
    const usingMetrics = Object.fromEntries(MX_UPSTREAMS.map((upstream, i) => [`${id}${i}`, of(upstream)]));
    return new MathExpression({
      // A series with no datapoint in a period would leave the sum without one: each counts as 0 there.
      expression: Object.keys(usingMetrics)
        .map((key) => `FILL(${key}, 0)`)
        .join(' + '),
      usingMetrics,
      label,
      period,
    });
  }
}
