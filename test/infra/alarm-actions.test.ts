import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import {
  ENVIRONMENTS,
  ENVIRONMENT_NAMES,
  MissingAlarmDestinationError,
  resourceName,
  withAlarmDestination,
  withUseCases,
} from '../../infra/environments.ts';
import { NexusRelayStack } from '../../infra/stack.ts';
import { DETECTORS } from '../../lib/aggregation/aggregation-metrics.ts';
import { synthesized } from './support/synth.ts';
import { type CfnResource, referencedId, resourcesOfType } from './support/template.ts';

type Statement = { Effect: string; Principal?: { Service?: string }; Action: string | string[]; Condition?: any };

/** `arn:${AWS::Partition}:cloudwatch:…:alarm:nexus-relay-prod-*` as the Fn::Join CDK renders: its literal tail. */
function sourceArnPattern(condition: any): RegExp | undefined {
  const arn = condition?.ArnLike?.['aws:SourceArn'];
  const text = typeof arn === 'string' ? arn : (arn?.['Fn::Join']?.[1] as unknown[] | undefined)?.at(-1);
  if (typeof text !== 'string') return undefined;
  const tail = text.slice(text.indexOf(':alarm:') + ':alarm:'.length);
  return new RegExp(`^${tail.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
}

/**
 * Follows each alarm's actions to their topic and that topic's policy, and names the alarms CloudWatch could not
 * publish for: a topic policy replaces SNS's default one, so the policy itself must allow cloudwatch.amazonaws.com.
 */
function mutedAlarms(template: Template): { checked: number; muted: string[] } {
  const policies = resourcesOfType(template, 'AWS::SNS::TopicPolicy').map(([, p]) => p.Properties);
  const topicIds = new Set(resourcesOfType(template, 'AWS::SNS::Topic').map(([id]) => id));
  const muted: string[] = [];
  let checked = 0;
  for (const [, alarm] of resourcesOfType(template, 'AWS::CloudWatch::Alarm') as [string, CfnResource][]) {
    const name = String(alarm.Properties.AlarmName);
    const actions: unknown[] = [...(alarm.Properties.AlarmActions ?? []), ...(alarm.Properties.OKActions ?? [])];
    if (actions.length === 0) muted.push(`${name}: no action`);
    for (const action of actions) {
      checked++;
      const topicId = referencedId(action);
      if (!topicId || !topicIds.has(topicId)) {
        muted.push(`${name}: action ${JSON.stringify(action)} is not a topic of this stack`);
        continue;
      }
      const statements: Statement[] = policies
        .filter((p) => (p.Topics as unknown[]).some((t) => referencedId(t) === topicId))
        .flatMap((p) => p.PolicyDocument.Statement);
      const allowed = statements.some((s) => {
        const actionList = ([] as string[]).concat(s.Action);
        return (
          s.Effect === 'Allow' &&
          s.Principal?.Service === 'cloudwatch.amazonaws.com' &&
          actionList.some((a) => a === 'sns:Publish' || a === 'sns:*') &&
          (sourceArnPattern(s.Condition)?.test(name) ?? true)
        );
      });
      // No policy at all keeps SNS's default (the account may publish); a policy without the grant mutes the alarm.
      if (statements.length > 0 && !allowed) muted.push(`${name}: the topic's policy does not let CloudWatch publish`);
    }
  }
  return { checked, muted };
}

describe.each(ENVIRONMENT_NAMES)('the %s stack', (env) => {
  const { template } = synthesized(env);

  it('lets CloudWatch publish every alarm action to its topic', () => {
    const { checked, muted } = mutedAlarms(template);
    expect(checked).toBeGreaterThan(0);
    expect(muted).toEqual([]);
  });

  it('scopes that grant to this account and to this stack’s alarms, keeping the TLS deny', () => {
    const [, policy] = resourcesOfType(template, 'AWS::SNS::TopicPolicy')[0]!;
    const statements: Statement[] = policy.Properties.PolicyDocument.Statement;
    const grant = statements.find((s) => s.Principal?.Service === 'cloudwatch.amazonaws.com')!;
    expect(grant.Condition.StringEquals).toEqual({ 'aws:SourceAccount': { Ref: 'AWS::AccountId' } });
    expect(sourceArnPattern(grant.Condition)!.test(`${resourceName(env)}-poll-dead-letters`)).toBe(true);
    expect(sourceArnPattern(grant.Condition)!.test('someone-elses-alarm')).toBe(false);
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });
});

describe('the alarm walk', () => {
  it('finds the mute alarms of a topic whose policy holds only the TLS deny (the template before the fix)', () => {
    const { template } = synthesized('dev');
    const json = structuredClone(template.toJSON());
    for (const resource of Object.values(json.Resources as Record<string, CfnResource>)) {
      if (resource.Type !== 'AWS::SNS::TopicPolicy') continue;
      resource.Properties.PolicyDocument.Statement = resource.Properties.PolicyDocument.Statement.filter(
        (s: Statement) => s.Effect === 'Deny',
      );
    }
    const { muted } = mutedAlarms(Template.fromJSON(json));
    expect(muted.length).toBe(resourcesOfType(template, 'AWS::CloudWatch::Alarm').length * 2);
  });
});

describe('alarm destinations', () => {
  it('prod refuses to synthesize without one, naming the flags', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    expect(() => new NexusRelayStack(app, 'p', { settings: ENVIRONMENTS.prod })).toThrow(MissingAlarmDestinationError);
    expect(() => withAlarmDestination(ENVIRONMENTS.prod, {})).toThrow(/-c alarmEmail=<address> or -c alarmTopicArn=/);
  });

  it('dev and staging may omit it; an e-mail subscribes to the stack’s topic', () => {
    expect(withAlarmDestination(ENVIRONMENTS.dev, {}).alarmDestination).toEqual({});
    expect(withAlarmDestination(ENVIRONMENTS.staging, { email: ' ops@example.com ' }).alarmDestination).toEqual({
      email: 'ops@example.com',
      topicArn: undefined,
    });
    const { template } = synthesized('prod');
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
  });

  it('a team’s own topic receives every alarm action instead (its policy is the team’s to keep)', () => {
    const topicArn = 'arn:aws:sns:us-east-1:123456789012:pager';
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const settings = withUseCases(withAlarmDestination(ENVIRONMENTS.prod, { topicArn }), true);
    const stack = new NexusRelayStack(app, 'p', { settings });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SNS::Topic', 0);
    for (const [, alarm] of resourcesOfType(template, 'AWS::CloudWatch::Alarm')) {
      expect(alarm.Properties.AlarmActions).toEqual([topicArn]);
    }
    expect(() => withAlarmDestination(ENVIRONMENTS.prod, { topicArn, email: 'a@example.com' })).toThrow(/not both/);
  });
});

describe.each(ENVIRONMENT_NAMES)('what the %s stack gives an operator', (env) => {
  const { template } = synthesized(env);
  const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties);
  const runbook = readFileSync(new URL('../../docs/runbook.md', import.meta.url), 'utf8');

  it('a dashboard built on the relay’s metrics', () => {
    const [[, dashboard]] = resourcesOfType(template, 'AWS::CloudWatch::Dashboard') as [[string, CfnResource]];
    expect(dashboard.Properties.DashboardName).toBe(resourceName(env));
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const metric of [
      'JobsEnded',
      'DetectionLag',
      'MxCallLatency',
      'MxThrottled',
      'WebhookAttempts',
      'WebhookDeliveryLatency',
      'ReconcileTurns',
      'ReconcileOverdue',
    ]) {
      expect(body).toContain(metric);
    }
    for (const aws of ['ApproximateNumberOfMessagesVisible', 'ApproximateAgeOfOldestMessage', 'Errors', 'Throttles', 'Duration'])
      expect(body).toContain(aws);
    // Detection lag by what found the end: the reconcile's, hours late by design, on the right axis; the others left.
    const widgets = body.replaceAll('\\"', '"');
    for (const detector of DETECTORS) {
      for (const statistic of ['p50', 'p95']) {
        const line = widgets.match(new RegExp(`\\{"label":"${detector} ${statistic}"[^}]*\\}`))?.[0];
        expect(line, `${detector} ${statistic}`).toBeDefined();
        expect(line!.includes('"yAxis":"right"'), `${detector} ${statistic}`).toBe(detector === 'reconcile');
      }
    }
  });

  it('alarms on detection lag, webhook success rate and MX 429s, built on the relay’s metrics', () => {
    const byName = (name: string) => alarms.find((a) => a.AlarmName === `${resourceName(env)}-${name}`);
    expect(byName('detection-lag')).toMatchObject({
      Namespace: 'NexusRelay',
      MetricName: 'DetectionLag',
      ExtendedStatistic: 'p95',
    });
    const rate = byName('webhook-success-rate')!;
    expect(rate.ComparisonOperator).toBe('LessThanThreshold');
    expect(rate.Metrics.filter((m: any) => m.MetricStat?.Metric.MetricName === 'WebhookAttempts')).toHaveLength(10);
    expect(byName('mx-throttled')!.Metrics.filter((m: any) => m.MetricStat?.Metric.MetricName === 'MxThrottled')).toHaveLength(3);
  });

  it("alarms on mx-events' 5xx answers at its function URL, counted by Lambda (MX's webhooks do not pass the API)", () => {
    const alarm = alarms.find((a) => a.AlarmName === `${resourceName(env)}-mx-webhooks-5xx`)!;
    expect(alarm).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Url5xxCount', Statistic: 'Sum' });
    const [dimension] = alarm.Dimensions as [{ Name: string; Value: unknown }];
    expect(dimension.Name).toBe('FunctionName');
    const mxEvents = resourcesOfType(template, 'AWS::Lambda::Function').find(
      ([, fn]) => fn.Properties.FunctionName === `${resourceName(env)}-mx-events`,
    )!;
    expect(referencedId(dimension.Value)).toBe(mxEvents[0]);
  });

  it('a runbook entry for every alarm: what it means, the metric, causes, what to check, how to recover', () => {
    expect(alarms.length).toBeGreaterThan(30);
    for (const alarm of alarms) {
      const name = String(alarm.AlarmName).replace(`${resourceName(env)}-`, '');
      expect(alarm.AlarmDescription).toContain(`docs/runbook.md#${name}`);
      const anchor = runbook.indexOf(`<a id="${name}"></a>`);
      expect(anchor, `docs/runbook.md has no entry for ${name}`).toBeGreaterThanOrEqual(0);
      const entry = runbook.slice(anchor, runbook.indexOf('\n## ', anchor) === -1 ? undefined : runbook.indexOf('\n## ', anchor));
      for (const part of ['**Means:**', '**Metric:**', '**Likely causes:**', '**Check first:**', '**Recover:**']) {
        expect(entry, `${name}: ${part}`).toContain(part);
      }
    }
  });
});
