import fc from 'fast-check';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it, vi } from 'vitest';
import { type DimensionsOf, EmfMetrics, METRIC_NAMESPACE } from '../../../lib/metrics.ts';
import { METRICS, type MetricName, type RelayMetrics } from '../../../lib/compositions/metric-catalogue.ts';
import { MX_ROUTE_CLASSES, statusClass } from '../../../lib/mx/mx-metrics.ts';

/** The EMF lines Powertools writes to stdout while `run` runs, parsed. */
function emfLinesOf(run: () => void): Record<string, any>[] {
  const lines: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n'));
    return true;
  });
  try {
    run();
  } finally {
    write.mockRestore();
  }
  return lines.filter((line) => line.startsWith('{"_aws"')).map((line) => JSON.parse(line) as Record<string, any>);
}

/** Records through EmfMetrics and hands back the EMF lines it writes, parsed. */
function capture(record: (metrics: RelayMetrics) => void): Record<string, any>[] {
  const metrics = new EmfMetrics(METRICS, { environment: 'prod' });
  return emfLinesOf(() => {
    record(metrics);
    metrics.flush();
  });
}

/** Every (metric, dimension values) pair in EMF lines. */
function dimensionValuesOf(lines: Record<string, any>[]): { metric: string; dimensions: Record<string, string> }[] {
  return lines.flatMap((line) =>
    (line._aws.CloudWatchMetrics as { Dimensions: string[][]; Metrics: { Name: string }[] }[]).flatMap((directive) =>
      directive.Metrics.map(({ Name }) => ({
        metric: Name,
        dimensions: Object.fromEntries(directive.Dimensions.flat().map((name) => [name, line[name] as string])),
      })),
    ),
  );
}

/** What ids look like in this system: user ids, MX guids, job, event and webhook ids, URLs, request ids. */
const ID_LIKE = /(USR|MBR|ACT|TRN|INS)-|job_|msg_|wh_|https?:|\/|[0-9a-f]{8}-[0-9a-f]{4}|\d{4,}/;

/** Every value a metric's dimensions may take, plus the fixed default dimensions. */
function assertLowCardinality(lines: Record<string, any>[]): void {
  expect(lines.length).toBeGreaterThan(0);
  for (const { metric, dimensions } of dimensionValuesOf(lines)) {
    const spec = METRICS[metric as MetricName].dimensions as Record<string, readonly string[]>;
    for (const [name, value] of Object.entries(dimensions)) {
      expect(value, `${metric}.${name}`).not.toMatch(ID_LIKE);
      if (name === 'service') expect(value).toBe('nexus-relay');
      else if (name === 'environment') expect(value).toBe('prod');
      else if (name === 'function_name') expect(value).toMatch(/^[a-z][a-z0-9-]*$/);
      else expect([...spec[name]!, 'other'], `${metric}.${name}`).toContain(value);
    }
  }
}

const ids = ['USR-7f3a9', 'MBR-0c2b7e41-9d', 'job_0mwrqip9oc140c5fd3e5ba454', 'wh_2I2-CUFk', 'https://example.com/hooks/1'];

describe('metric dimensions stay low-cardinality', () => {
  it('any value outside a dimension’s list is recorded as `other` (property)', () => {
    const names = Object.keys(METRICS) as MetricName[];
    fc.assert(
      fc.property(fc.constantFrom(...names), fc.dictionary(fc.string(), fc.string()), (name, given) => {
        const spec = METRICS[name].dimensions as Record<string, readonly string[]>;
        const dimensions = Object.fromEntries(Object.keys(spec).map((d) => [d, given[d] ?? fc.sample(fc.string(), 1)[0]]));
        const lines = capture((metrics) => metrics.add(name, 1, dimensions as DimensionsOf<typeof METRICS, typeof name>));
        for (const { dimensions: recorded } of dimensionValuesOf(lines)) {
          for (const [d, value] of Object.entries(recorded)) {
            if (d in spec && d !== 'function_name') expect([...spec[d]!, 'other']).toContain(value);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('aggregation jobs: outcomes, detectors and triggers only', () => {
    const lines = capture((metrics) => {
      for (const id of ids) {
        metrics.add('JobsEnded', 1, { outcome: id as 'failed', detected_by: id as 'poll', kind: id as 'aggregation' });
        metrics.add('JobsStarted', 1, { trigger: id as 'refresh', kind: id as 'aggregation' });
      }
      metrics.add('JobsEnded', 1, { outcome: 'succeeded', detected_by: 'push', kind: 'verification' });
      metrics.add('JobDuration', 12_345, { outcome: 'timed_out' });
      metrics.add('DetectionLag', 2_250, { detected_by: 'poll' });
      metrics.add('PollsPerJob', 4, { outcome: 'action_required' });
    });
    assertLowCardinality(lines);
  });

  it('MX calls: the kind of call each states, never a path', () => {
    const routes = [
      ...MX_ROUTE_CLASSES,
      '/members/MBR-123/aggregate',
      '/users/USR-1/accounts/ACT-2',
    ] as (typeof MX_ROUTE_CLASSES)[number][];
    const lines = capture((metrics) => {
      for (const route of routes) {
        for (const status of [200, 401, 429, 503, undefined]) {
          metrics.add('MxCallLatency', 120, { route, status_class: statusClass(status, 'MX_TIMEOUT') });
          metrics.add('MxRetries', 1, { route, status_class: statusClass(status) });
        }
      }
      metrics.add('MxThrottled', 1, { upstream: 'int-data.moneydesktop.com' as 'mx-data' });
      metrics.add('MxRetryAfter', 30, { upstream: 'mx-sso' });
      metrics.add('MxCallLatency', 120, { route: 'read', status_class: '2xx' });
      metrics.add('MxSessionsCreated', 1, {});
      metrics.add('MxSessionRecoveries', 1, {});
    });
    assertLowCardinality(lines);
    expect(new Set(lines.map((line) => line.route).filter(Boolean))).toEqual(new Set([...MX_ROUTE_CLASSES, 'other']));
  });

  it('webhooks: attempt outcomes by class, no endpoint or webhook', () => {
    const lines = capture((metrics) => {
      for (const outcome of ['delivered', 'http_4xx', 'timeout', ...ids]) {
        metrics.add('WebhookAttempts', 1, { outcome: outcome as 'delivered' });
      }
      metrics.add('WebhookDeliveryLatency', 840, {});
      metrics.add('WebhookEndpointsDisabled', 1, {});
    });
    assertLowCardinality(lines);
  });

  it('queues and recovery: queue names, reasons and sweep actions', () => {
    const lines = capture((metrics) => {
      metrics.add('MessagesDeadLettered', 1, { queue: 'refresh-requests', reason: 'invalid_request' });
      metrics.add('MessagesDeadLettered', 1, { queue: ids[4] as 'poll', reason: ids[0] as 'malformed' });
      metrics.add('SweeperRecoveries', 2, { action: 'repolled' });
      metrics.add('RefreshRequestsDeferred', 1, { reason: 'rate_capped' });
    });
    assertLowCardinality(lines);
  });
});

describe('EMF lines', () => {
  it('sum counts within an invocation, keep each duration, and write one line per set of dimension values', () => {
    const lines = capture((metrics) => {
      metrics.add('JobsEnded', 1, { outcome: 'succeeded', detected_by: 'poll', kind: 'aggregation' });
      metrics.add('JobsEnded', 1, { outcome: 'succeeded', detected_by: 'poll', kind: 'aggregation' });
      metrics.add('JobDuration', 1_000, { outcome: 'succeeded' });
      metrics.add('JobDuration', 3_000, { outcome: 'succeeded' });
      metrics.add('PollsPerJob', 2, { outcome: 'succeeded' });
    });
    expect(lines).toHaveLength(2);
    const [endedLine, durationsLine] = lines;
    const [ended] = endedLine!._aws.CloudWatchMetrics as { Namespace: string; Dimensions: string[][]; Metrics: object[] }[];
    const [durations] = durationsLine!._aws.CloudWatchMetrics as { Dimensions: string[][]; Metrics: object[] }[];
    expect(ended!.Namespace).toBe(METRIC_NAMESPACE);
    expect(ended!.Dimensions).toEqual([['service', 'environment', 'outcome', 'detected_by', 'kind']]);
    expect(ended!.Metrics).toEqual([{ Name: 'JobsEnded', Unit: 'Count' }]);
    expect(endedLine).toMatchObject({ JobsEnded: 2, outcome: 'succeeded', detected_by: 'poll', environment: 'prod' });
    expect(durations!.Dimensions).toEqual([['service', 'environment', 'outcome']]);
    expect(durations!.Metrics).toEqual([
      { Name: 'JobDuration', Unit: 'Milliseconds' },
      { Name: 'PollsPerJob', Unit: 'Count' },
    ]);
    expect(durationsLine).toMatchObject({ JobDuration: [1_000, 3_000], PollsPerJob: 2, outcome: 'succeeded' });
  });

  it('write dimension sets whose values disagree on separate lines', () => {
    const lines = capture((metrics) => {
      metrics.add('MxRetries', 1, { route: 'read', status_class: '2xx' });
      metrics.add('MxRetries', 1, { route: 'read', status_class: '5xx' });
      metrics.add('MxThrottled', 1, { upstream: 'mx-data' });
    });
    expect(lines).toHaveLength(3);
    expect(lines.map((line) => line.status_class ?? '-').sort()).toEqual(['-', '2xx', '5xx']);
    // Each line's members are exactly what its directives name, each with its own value.
    expect(dimensionValuesOf(lines)).toEqual(
      expect.arrayContaining([
        { metric: 'MxRetries', dimensions: expect.objectContaining({ route: 'read', status_class: '2xx' }) },
        { metric: 'MxRetries', dimensions: expect.objectContaining({ route: 'read', status_class: '5xx' }) },
        { metric: 'MxThrottled', dimensions: expect.objectContaining({ upstream: 'mx-data' }) },
      ]),
    );
    expect(dimensionValuesOf(lines)).toHaveLength(3);
  });

  it('metrics of the same dimension values share one line', () => {
    const lines = capture((metrics) => {
      metrics.add('MxRetries', 1, { route: 'read', status_class: '5xx' });
      metrics.add('MxCallLatency', 42, { route: 'read', status_class: '5xx' });
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ MxRetries: 1, MxCallLatency: 42, route: 'read', status_class: '5xx' });
  });

  it('a group of more values than a line holds is written as several lines, each with its dimensions', () => {
    for (const count of [99, 100, 250]) {
      const lines = capture((metrics) => {
        for (let i = 0; i < count; i++) metrics.add('MxCallLatency', i, { route: 'read', status_class: '2xx' });
        metrics.add('MxRetries', count, { route: 'read', status_class: '2xx' });
      });
      expect(lines.length).toBeGreaterThanOrEqual(Math.ceil((count + 1) / 100));
      for (const line of lines) {
        expect(line).toMatchObject({ route: 'read', status_class: '2xx', environment: 'prod' });
        expect(line._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service', 'environment', 'route', 'status_class']]);
      }
      const latencies = lines.flatMap((line) => [line.MxCallLatency ?? []].flat());
      expect(latencies.sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i));
      expect(lines.map((line) => line.MxRetries).filter((value) => value !== undefined)).toEqual([count]);
    }
  });

  it('a group Powertools refuses is dropped whole: nothing of it joins the next line', () => {
    const { addMetric } = Metrics.prototype;
    let calls = 0;
    const refuse = vi.spyOn(Metrics.prototype, 'addMetric').mockImplementation(function (this: Metrics, ...args) {
      calls += 1;
      if (calls === 2) throw new RangeError('refused');
      return addMetric.apply(this, args);
    });
    try {
      const lines = capture((metrics) => {
        // One group (the same dimension values): its first metric is stored, its second refused.
        metrics.add('MxRetries', 1, { route: 'read', status_class: '5xx' });
        metrics.add('MxCallLatency', 90, { route: 'read', status_class: '5xx' });
        metrics.add('MxThrottled', 1, { upstream: 'mx-data' });
      });
      expect(calls).toBe(3);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ MxThrottled: 1, upstream: 'mx-data' });
      expect(lines[0]).not.toHaveProperty('MxRetries');
      expect(lines[0]).not.toHaveProperty('route');
    } finally {
      refuse.mockRestore();
    }
  });

  it('are written once: a second flush writes nothing new', () => {
    const metrics = new EmfMetrics(METRICS, { environment: 'dev' });
    const lines = emfLinesOf(() => {
      metrics.add('MxSessionsCreated', 1, {});
      metrics.flush();
      metrics.flush();
    });
    expect(lines).toHaveLength(1);
  });

  it('a cold start is counted once per container, by Powertools, on an on-demand start only', () => {
    vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand');
    try {
      const lines = capture((metrics) => {
        metrics.coldStart('api-read');
        metrics.coldStart('api-read');
      });
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ ColdStart: 1, function_name: 'api-read', environment: 'prod' });
      vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'provisioned-concurrency');
      expect(capture((metrics) => metrics.coldStart('api-read'))).toEqual([]);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
