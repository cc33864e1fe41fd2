import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DimensionsOf,
  EmfMetrics,
  METRIC_NAMESPACE,
  METRICS,
  type MetricName,
  mxRouteClass,
  statusClass,
} from '../../../lib/metrics.ts';

/** Records through EmfMetrics and hands back the EMF lines it writes, parsed. */
function capture(record: (metrics: EmfMetrics) => void): Record<string, any>[] {
  const lines: string[] = [];
  const metrics = new EmfMetrics({ environment: 'prod', write: (line) => lines.push(line) });
  record(metrics);
  metrics.flush();
  return lines.map((line) => JSON.parse(line) as Record<string, any>);
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
        const lines = capture((metrics) => metrics.add(name, 1, dimensions as DimensionsOf<typeof name>));
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
        metrics.add('JobsEnded', 1, { outcome: id as 'failed', detected_by: id as 'poll' });
        metrics.add('JobsStarted', 1, { trigger: id as 'api' });
      }
      metrics.add('JobsEnded', 1, { outcome: 'succeeded', detected_by: 'push' });
      metrics.add('JobDuration', 12_345, { outcome: 'timed_out' });
      metrics.add('DetectionLag', 2_250, { detected_by: 'poll' });
      metrics.add('PollsPerJob', 4, { outcome: 'action_required' });
    });
    assertLowCardinality(lines);
  });

  it('MX calls: the route class of concrete paths and route patterns, never the path itself', () => {
    const routes = [
      '/members/{member_guid}/aggregate',
      '/members/MBR-123/aggregate',
      '/users/{user_guid}/members/{member_guid}/transactions',
      '/users/USR-1/accounts/ACT-2',
      '/{client_id}/users/{user_id}/api_token',
      '/sessions',
    ];
    const lines = capture((metrics) => {
      for (const route of routes) {
        for (const status of [200, 401, 429, 503, undefined]) {
          metrics.add('MxCalls', 1, { route: mxRouteClass(route), status_class: statusClass(status, 'MX_TIMEOUT') });
          metrics.add('MxRetries', 1, { route: mxRouteClass(route), status_class: statusClass(status) });
        }
      }
      metrics.add('MxThrottled', 1, { upstream: 'int-data.moneydesktop.com' as 'mx-data' });
      metrics.add('MxRetryAfter', 30, { upstream: 'mx-sso' });
      metrics.add('MxCallLatency', 120, { upstream: 'mx-data' });
      metrics.add('MxSessionsCreated', 1, {});
      metrics.add('MxSessionRecoveries', 1, {});
    });
    assertLowCardinality(lines);
    expect(routes.map(mxRouteClass)).toEqual(['aggregate', 'aggregate', 'read', 'read', 'sso', 'session']);
  });

  it('webhooks: attempt outcomes by class, no endpoint or subscription', () => {
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
      metrics.coldStart('nexus-relay-prod-worker-poll');
      metrics.coldStart('Not A Function/123');
    });
    assertLowCardinality(lines);
  });
});

describe('EMF lines', () => {
  it('sum counts within an invocation, keep each duration, and write one directive per dimension set', () => {
    const lines = capture((metrics) => {
      metrics.add('JobsEnded', 1, { outcome: 'succeeded', detected_by: 'poll' });
      metrics.add('JobsEnded', 1, { outcome: 'succeeded', detected_by: 'poll' });
      metrics.add('JobDuration', 1_000, { outcome: 'succeeded' });
      metrics.add('JobDuration', 3_000, { outcome: 'succeeded' });
      metrics.add('PollsPerJob', 2, { outcome: 'succeeded' });
    });
    // The two dimension sets agree on every member they share (outcome, environment): one line, two directives.
    expect(lines).toHaveLength(1);
    const [line] = lines;
    const [ended, durations] = line!._aws.CloudWatchMetrics as { Namespace: string; Dimensions: string[][]; Metrics: object[] }[];
    expect(ended!.Namespace).toBe(METRIC_NAMESPACE);
    expect(ended!.Dimensions[0]).toEqual(expect.arrayContaining(['environment', 'outcome', 'detected_by']));
    expect(ended!.Metrics).toEqual([{ Name: 'JobsEnded', Unit: 'Count' }]);
    expect(durations!.Dimensions[0]).toEqual(expect.arrayContaining(['environment', 'outcome']));
    expect(durations!.Dimensions[0]).not.toContain('detected_by');
    expect(durations!.Metrics).toContainEqual({ Name: 'JobDuration', Unit: 'Milliseconds' });
    expect(line).toMatchObject({
      JobsEnded: 2,
      JobDuration: [1_000, 3_000],
      PollsPerJob: 2,
      outcome: 'succeeded',
      detected_by: 'poll',
      environment: 'prod',
    });
  });

  it('write dimension sets whose values disagree on separate lines', () => {
    const lines = capture((metrics) => {
      metrics.add('MxCalls', 1, { route: 'read', status_class: '2xx' });
      metrics.add('MxCalls', 1, { route: 'read', status_class: '5xx' });
      metrics.add('MxCallLatency', 40, { upstream: 'mx-data' });
    });
    expect(lines).toHaveLength(2);
    expect(lines.map((line) => line.status_class).sort()).toEqual(['2xx', '5xx']);
    // Each line's members are exactly what its directives name, each with its own value.
    expect(dimensionValuesOf(lines)).toEqual(
      expect.arrayContaining([
        { metric: 'MxCalls', dimensions: expect.objectContaining({ route: 'read', status_class: '2xx' }) },
        { metric: 'MxCalls', dimensions: expect.objectContaining({ route: 'read', status_class: '5xx' }) },
        { metric: 'MxCallLatency', dimensions: expect.objectContaining({ upstream: 'mx-data' }) },
      ]),
    );
    expect(dimensionValuesOf(lines)).toHaveLength(3);
  });

  it('are written once: a second flush writes nothing new', () => {
    const lines: string[] = [];
    const metrics = new EmfMetrics({ environment: 'dev', write: (line) => lines.push(line) });
    metrics.add('MxSessionsCreated', 1, {});
    metrics.flush();
    metrics.flush();
    expect(lines).toHaveLength(1);
  });

  it('a cold start is counted once per function and container', () => {
    const lines = capture((metrics) => {
      metrics.coldStart('api-read');
      metrics.coldStart('api-read');
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ ColdStart: 1, function_name: 'api-read' });
  });
});
