import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { App, RemovalPolicy } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import {
  ConcurrencyQuotaError,
  ENVIRONMENTS,
  ENVIRONMENT_NAMES,
  environmentSettings,
  resourceName,
  withRefreshRequestSources,
  withRegion,
  UnstatedUseCasesError,
  withAlarmDestination,
  withUseCases,
} from '../../infra/environments.ts';
import { NexusRelayStack } from '../../infra/stack.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs infra/app.ts as the CDK CLI does: context in CDK_CONTEXT_JSON, output to a scratch directory. */
async function runApp(context: Record<string, unknown>): Promise<{ code: number; stderr: string }> {
  try {
    await promisify(execFile)(`${ROOT}node_modules/.bin/tsx`, ['infra/app.ts'], {
      cwd: ROOT,
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: '/nonexistent-cdk-out' },
    });
    return { code: 0, stderr: '' };
  } catch (error) {
    const failure = error as { code: number; stderr: string };
    return { code: failure.code, stderr: failure.stderr };
  }
}

describe('environments', () => {
  it('are dev, staging and prod', () => {
    expect(ENVIRONMENT_NAMES).toEqual(['dev', 'staging', 'prod']);
  });

  it('are chosen by name, and anything else is refused with the valid names', () => {
    expect(environmentSettings('staging')).toBe(ENVIRONMENTS.staging);
    expect(() => environmentSettings(undefined)).toThrow('one of: dev, staging, prod (none was given)');
    expect(() => environmentSettings('qa')).toThrow('one of: dev, staging, prod (got "qa")');
    expect(() => environmentSettings('toString')).toThrow('one of: dev, staging, prod');
  });

  it('protect data in prod only', () => {
    for (const env of ENVIRONMENT_NAMES) {
      const { data } = ENVIRONMENTS[env];
      const prod = env === 'prod';
      expect(data).toMatchObject({
        deletionProtection: prod,
        pointInTimeRecovery: prod,
        customerManagedKey: prod,
        removalPolicy: prod ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      });
    }
  });

  it('provision the table in prod only, each range sound and the target within what auto scaling takes', () => {
    for (const env of ENVIRONMENT_NAMES) {
      const { throughput } = ENVIRONMENTS[env].data;
      if (env !== 'prod') {
        expect(throughput).toEqual({ mode: 'on-demand' });
        continue;
      }
      if (throughput.mode !== 'provisioned') throw new Error('prod is provisioned');
      // Application Auto Scaling takes a target utilization of 20–90 % for DynamoDB.
      expect(throughput.targetUtilizationPercent).toBeGreaterThanOrEqual(20);
      expect(throughput.targetUtilizationPercent).toBeLessThanOrEqual(90);
      for (const part of [throughput.table, throughput.gsi1, throughput.gsi2]) {
        for (const { min, max } of [part.read, part.write]) {
          expect(min).toBeGreaterThanOrEqual(1);
          // DynamoDB's default quota: 40,000 units a second each way per table.
          expect(max).toBeLessThanOrEqual(40_000);
          expect(max).toBeGreaterThan(min);
        }
      }
    }
  });

  it('state whether MX opted the client in to use cases: no default, unstated or anything else refused', () => {
    // MX: "only set the use_cases field if you've opted in" (docs.mx.com/nexus/member-use-cases).
    for (const name of ENVIRONMENT_NAMES) {
      expect(ENVIRONMENTS[name].mx.useCasesEnabled).toBeUndefined();
      expect(() => withUseCases(ENVIRONMENTS[name], undefined)).toThrow(UnstatedUseCasesError);
    }
    expect(() => withUseCases(ENVIRONMENTS.prod, undefined)).toThrow('prod needs -c mxUseCasesEnabled=true or false');
    expect(withUseCases(ENVIRONMENTS.dev, 'true').mx.useCasesEnabled).toBe(true);
    expect(withUseCases(ENVIRONMENTS.dev, 'false').mx.useCasesEnabled).toBe(false);
    expect(withUseCases(ENVIRONMENTS.dev, false).mx.useCasesEnabled).toBe(false);
    expect(() => withUseCases(ENVIRONMENTS.dev, 'no')).toThrow(/mxUseCasesEnabled must be true or false/);
    const app = new App();
    const unstated = withAlarmDestination(ENVIRONMENTS.prod, { email: 'oncall@example.com' });
    expect(() => new NexusRelayStack(app, 'p', { settings: unstated })).toThrow(UnstatedUseCasesError);
  });

  it('reserve no more concurrency than their Lambda quota holds with 100 left free: prod at the default is refused', () => {
    // Each environment's own settings synthesize in the stack tests; prod's reservations need a raised quota.
    const app = new App();
    const atDefault = withUseCases(
      withAlarmDestination({ ...ENVIRONMENTS.prod, lambdaConcurrencyQuota: 1_000 }, { email: 'oncall@example.com' }),
      'true',
    );
    expect(() => new NexusRelayStack(app, 'over', { settings: atDefault })).toThrow(ConcurrencyQuotaError);
    expect(() => new NexusRelayStack(app, 'over-again', { settings: atDefault })).toThrow(
      /prod reserves \d+ concurrent executions: ask AWS for a Lambda concurrency quota of at least \d+ in us-east-1/,
    );
  });

  it('hear refresh requests from nexus-relay.upstream unless -c refreshRequestSources names others', () => {
    for (const name of ENVIRONMENT_NAMES) expect(ENVIRONMENTS[name].refreshRequestSources).toEqual(['nexus-relay.upstream']);
    expect(withRefreshRequestSources(ENVIRONMENTS.prod, 'com.acme.billing, com.acme.crm').refreshRequestSources).toEqual([
      'com.acme.billing',
      'com.acme.crm',
    ]);
    for (const bad of ['', 'aws.events', 'a b', true]) {
      expect(() => withRefreshRequestSources(ENVIRONMENTS.prod, bad)).toThrow(/refreshRequestSources must list/);
    }
  });

  it('deploy to us-east-1 unless -c region names another', () => {
    for (const name of ENVIRONMENT_NAMES) expect(ENVIRONMENTS[name].region).toBe('us-east-1');
    expect(withRegion(ENVIRONMENTS.prod, 'eu-west-1').region).toBe('eu-west-1');
    expect(withRegion(ENVIRONMENTS.prod, undefined).region).toBe('us-east-1');
    for (const bad of ['Europe', 'eu-west', '', 1]) expect(() => withRegion(ENVIRONMENTS.prod, bad)).toThrow(/-c region must be/);
  });

  it('name resources after the environment', () => {
    expect(resourceName('prod')).toBe('nexus-relay-prod');
    expect(resourceName('dev', 'poll')).toBe('nexus-relay-dev-poll');
  });

  it('infra/app.ts stops with the valid names when -c env is missing or unknown', async () => {
    const [missing, unknown] = await Promise.all([runApp({}), runApp({ env: 'production' })]);
    expect(missing).toEqual({
      code: 1,
      stderr: expect.stringContaining('Choose the environment with -c env=<name>, one of: dev, staging, prod'),
    });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('(got "production")');
  });

  it('infra/app.ts stops prod without an alarm destination, naming the flags', async () => {
    const result = await runApp({ env: 'prod' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('prod needs an alarm destination: add -c alarmEmail=<address> or -c alarmTopicArn=');
    expect(result.stderr).not.toMatch(/\n\s+at /); // one line, no stack trace
  });

  it('infra/app.ts stops without -c mxUseCasesEnabled, naming it', async () => {
    const result = await runApp({ env: 'dev' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('dev needs -c mxUseCasesEnabled=true or false');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
