import { ROUTES } from '../../lib/route-table.ts';
import { readdirSync } from 'node:fs';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { FUNCTION_NAMES, FUNCTION_SPECS, type FunctionName, consumerOf } from '../../infra/constructs/function-specs.ts';
import { ENVIRONMENTS, ENVIRONMENT_NAMES, resourceName, withUseCases } from '../../infra/environments.ts';
import { parseConfig } from '../../lib/config.ts';
import { QUEUE_NAMES } from '../../lib/queue/queue-names.ts';
import type { CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTable, TABLE_KEYS, tableKeySchema } from '../../lib/store/table.ts';
import { MX_ANSWER_PURPOSE, SESSION_TOKEN_PURPOSE, WEBHOOK_SECRET_PURPOSE } from '../../lib/secret-box.ts';
import { synthesized } from './support/synth.ts';
import {
  asArray,
  functionsByName,
  onlyResourceOfType,
  queuesByName,
  referencedId,
  resourceById,
  resolvedEnvironment,
  resourcesOfType,
} from './support/template.ts';

interface KeyStatement {
  Principal: { AWS?: unknown; Service?: unknown };
  Action: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}
/** What uses a key, as opposed to administering it. */
const CRYPTO_ACTION = /^kms:(\*|Encrypt|Decrypt|ReEncrypt|GenerateDataKey|GenerateMac|VerifyMac|Sign|Verify)/;
/** `arn:<partition>:iam::<account>:root`, as CDK writes it. */
const isAccountRoot = (principal: KeyStatement['Principal']): boolean => JSON.stringify(principal.AWS ?? '').includes(':root');

describe.each(ENVIRONMENT_NAMES)('the %s stack', (env) => {
  const settings = withUseCases(ENVIRONMENTS[env], true);
  const { template } = synthesized(env);
  const functions = functionsByName(template, env);
  const queues = queuesByName(template, env);
  const isProd = env === 'prod';
  /** The stack's own key (prod): table, secrets, log groups, alarm topic. */
  const dataKeyId = resourcesOfType(template, 'AWS::KMS::Key').find(([, key]) =>
    String(key.Properties.Description).includes('table, secrets'),
  )?.[0];

  describe('functions', () => {
    it('deploys every entry of functions/ and nothing else', () => {
      const entries = readdirSync(new URL('../../functions/', import.meta.url)).map((file) => file.replace(/\.ts$/, ''));
      expect([...functions.keys()].sort()).toEqual(entries.sort());
    });

    it('has only nodejs24.x Lambdas, none put there by CDK on a runtime of its choosing', () => {
      const runtimes = resourcesOfType(template, 'AWS::Lambda::Function').map(([, resource]) => resource.Properties?.Runtime);
      expect(runtimes).toHaveLength(FUNCTION_NAMES.length);
      expect(new Set(runtimes)).toEqual(new Set(['nodejs24.x']));
    });

    it.each(FUNCTION_NAMES)('%s runs nodejs24.x on arm64 as an ESM bundle with its memory, timeout and own log group', (name) => {
      const { properties } = functions.get(name)!;
      expect(properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: FUNCTION_SPECS[name].memorySize,
        Timeout: FUNCTION_SPECS[name].timeoutSeconds,
        LoggingConfig: { LogFormat: 'JSON' },
      });
      const logGroup = resourceById(template, referencedId(properties.LoggingConfig.LogGroup)!);
      expect(logGroup.Properties).toEqual({
        LogGroupName: `/aws/lambda/${resourceName(env, name)}`,
        RetentionInDays: settings.logRetention,
        ...(dataKeyId ? { KmsKeyId: { 'Fn::GetAtt': [dataKeyId, 'Arn'] } } : {}),
      });
    });

    it.each(FUNCTION_NAMES)('%s gets an environment lib/config.ts accepts, with no secret value in it', (name) => {
      const variables = functions.get(name)!.properties.Environment.Variables as Record<string, unknown>;
      expect(variables).not.toHaveProperty('MX_CLIENT_ID');
      expect(variables).not.toHaveProperty('MX_API_KEY');
      expect(variables.MX_CREDENTIALS_SECRET_ARN !== undefined).toBe(FUNCTION_SPECS[name].callsMx !== false);
      // No --enable-source-maps: it parses the bundle's map at every cold start; logged errors map lazily instead.
      expect(variables).not.toHaveProperty('NODE_OPTIONS');

      expect(variables.MX_WEBHOOK_CREDENTIALS_SECRET_ARN !== undefined).toBe(FUNCTION_SPECS[name].verifiesMxWebhooks === true);

      // The loopback allowance for webhook URLs is the local stack's alone: no synthesized function has it.
      expect(variables).not.toHaveProperty('WEBHOOK_ALLOW_LOOPBACK');
      const config = parseConfig(resolvedEnvironment(variables));
      expect(config.env).toBe(env);
      // Per key: half the stage's rate a minute; a key bound to a user 1 % of it (at least 60); erasure by server keys.
      if (ROUTES.some((route) => route.fn === name && route.auth === 'api_key')) {
        expect(config.apiKeys).toEqual({
          requestsPerMinute: settings.apiThrottle.rateLimit * 30,
          userRequestsPerMinute: Math.max(60, Math.round(settings.apiThrottle.rateLimit * 0.6)),
          userKeysMayErase: false,
        });
      }
      expect(config.webhooks.allowInsecureUrls).toBe(false);
      expect(config.logLevel).toBe(settings.logLevel);
      expect(config.mx).toMatchObject({
        baseUrl: settings.mx.baseUrl,
        ssoBaseUrl: settings.mx.ssoBaseUrl,
        useCasesEnabled: settings.mx.useCasesEnabled,
      });
      expect(config.webhooks.allowInsecureUrls).toBe(false);
    });

    it('points MX at the integration hosts outside prod and at production in prod', () => {
      const hosts = isProd
        ? ['https://data.moneydesktop.com', 'https://sso.moneydesktop.com']
        : ['https://int-data.moneydesktop.com', 'https://int-sso.moneydesktop.com'];
      for (const { properties } of functions.values()) {
        const { MX_BASE_URL, MX_SSO_BASE_URL } = properties.Environment.Variables;
        expect([MX_BASE_URL, MX_SSO_BASE_URL]).toEqual(hosts);
      }
    });

    it('lets only the queue consumers, which re-send to their own queue, loop through SQS', () => {
      const reschedulers = ['worker-poll', 'worker-deliver', 'events-refresh'];
      for (const [name, { properties }] of functions) {
        expect([name, properties.RecursiveLoop]).toEqual([name, reschedulers.includes(name) ? 'Allow' : 'Terminate']);
      }
    });

    it("reserves each consumer the sum of its queues' concurrency, and the API functions the environment's", () => {
      for (const [name, { properties }] of functions) {
        const consumed = FUNCTION_SPECS[name as FunctionName].consumes ?? [];
        const expected =
          consumed.length > 0
            ? consumed.reduce((sum, queue) => sum + settings.queueConcurrency[queue], 0)
            : settings.reservedConcurrency[name as keyof typeof settings.reservedConcurrency];
        expect([name, properties.ReservedConcurrentExecutions]).toEqual([name, expected]);
      }
      expect(functions.get('worker-poll')!.properties.ReservedConcurrentExecutions).toBeGreaterThan(0);
    });
  });

  describe('egress to MX', () => {
    const eips = resourcesOfType(template, 'AWS::EC2::EIP');
    const [securityGroupId, securityGroup] = onlyResourceOfType(template, 'AWS::EC2::SecurityGroup');

    it('puts every function that calls MX, and only those, in the VPC behind its one security group', () => {
      for (const [name, { properties }] of functions) {
        const inVpc = properties.VpcConfig !== undefined;
        expect([name, inVpc]).toEqual([name, Boolean(FUNCTION_SPECS[name as FunctionName].callsMx)]);
        if (inVpc) {
          expect(properties.VpcConfig.SecurityGroupIds.map(referencedId)).toEqual([securityGroupId]);
          expect(properties.VpcConfig.SubnetIds).toHaveLength(2);
        }
      }
      // worker-deliver posts to the apps' hosts: it never leaves from the addresses MX trusts.
      expect(functions.get('worker-deliver')!.properties.VpcConfig).toBeUndefined();
    });

    it('leaves through NAT gateways holding the Elastic IPs it outputs, each its own (one gateway per AZ in prod)', () => {
      const nats = resourcesOfType(template, 'AWS::EC2::NatGateway');
      expect(nats).toHaveLength(settings.mxEgressNatGateways);
      const used = settings.mxEgressNatGateways * settings.mxEgressAddressesPerGateway;
      expect(eips).toHaveLength(used + settings.mxEgressSpareAddresses);
      const held = nats.map(([, nat]) =>
        [nat.Properties.AllocationId, ...(nat.Properties.SecondaryAllocationIds ?? [])].map(referencedId),
      );
      for (const addresses of held) expect(addresses).toHaveLength(settings.mxEgressAddressesPerGateway);
      // The gateways hold the first addresses; spares, listed below too, none.
      const numbered = (id: string) => Number(/Address(\d+)[0-9A-F]{8}$/.exec(id)![1]);
      expect(
        held
          .flat()
          .map((id) => numbered(id!))
          .sort((a, b) => a - b),
      ).toEqual(Array.from({ length: used }, (_, i) => i + 1));
      // The first address of each gateway keeps its name: MX allow-listed it before any were added.
      expect(held.map(([primary]) => numbered(primary!)).sort((a, b) => a - b)).toEqual(
        Array.from({ length: settings.mxEgressNatGateways }, (_, i) => i + 1),
      );
      // Comma-separated (one address alone is its EIP's Ref).
      const output = template.toJSON().Outputs.MxEgressAddresses.Value;
      const join = output['Fn::Join'];
      if (join) expect(join[0]).toBe(',');
      const refs = join ? join[1] : [output];
      expect(refs.map(referencedId).sort()).toEqual(eips.map(([id]) => id).sort());
      if (isProd) {
        for (const [, eip] of eips) expect(eip.DeletionPolicy).toBe('Retain');
      }
    });

    it('lets out HTTPS only, reaches DynamoDB through a gateway endpoint, and logs rejected flows', () => {
      expect(securityGroup.Properties.SecurityGroupEgress).toEqual([
        expect.objectContaining({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }),
      ]);
      const endpoints = resourcesOfType(template, 'AWS::EC2::VPCEndpoint');
      expect(endpoints.map(([, endpoint]) => endpoint.Properties.VpcEndpointType)).toEqual(['Gateway']);
      expect(JSON.stringify(endpoints[0]![1].Properties.ServiceName)).toContain('dynamodb');
      const [, flowLog] = onlyResourceOfType(template, 'AWS::EC2::FlowLog');
      expect(flowLog.Properties.TrafficType).toBe('REJECT');
    });
  });

  describe('queues', () => {
    it('has each work queue, each with a dead-letter queue', () => {
      expect([...queues.keys()].sort()).toEqual(
        [...QUEUE_NAMES.flatMap((queue) => [queue, `${queue}-dlq`]), 'refresh-requested-dlq'].sort(),
      );
    });

    it.each(QUEUE_NAMES)('%s redrives to its DLQ after 5 receives', (name) => {
      const { properties } = queues.get(name)!;
      expect(properties.RedrivePolicy.maxReceiveCount).toBe(5);
      expect(referencedId(properties.RedrivePolicy.deadLetterTargetArn)).toBe(queues.get(`${name}-dlq`)!.logicalId);
    });

    it('keeps a message invisible for at least six times its consumer timeout', () => {
      for (const queue of QUEUE_NAMES) {
        expect(queues.get(queue)!.properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * consumerOf(queue).timeoutSeconds);
      }
    });

    it('encrypts every queue and refuses requests without TLS', () => {
      const policies = resourcesOfType(template, 'AWS::SQS::QueuePolicy');
      for (const [name, { logicalId, properties }] of queues) {
        expect([name, properties.SqsManagedSseEnabled]).toEqual([name, true]);
        const policy = policies.find(([, p]) => referencedId(p.Properties.Queues[0]) === logicalId);
        expect(policy?.[1].Properties.PolicyDocument.Statement).toContainEqual(
          expect.objectContaining({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        );
      }
    });

    it('feeds the queue consumers with batch item failures reported', () => {
      const mappings = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping').map(([, m]) => m.Properties);
      expect(mappings).toHaveLength(QUEUE_NAMES.length);
      for (const [queue, consumer] of [
        ['poll', 'worker-poll'],
        ['member-reports', 'worker-poll'],
        ['reconcile', 'worker-poll'],
        ['delivery', 'worker-deliver'],
        ['refresh-requests', 'events-refresh'],
      ] as const) {
        const mapping = mappings.find((m) => referencedId(m.EventSourceArn) === queues.get(queue)!.logicalId);
        expect(referencedId(mapping.FunctionName)).toBe(functions.get(consumer)!.logicalId);
        expect(mapping).toMatchObject({ FunctionResponseTypes: ['ReportBatchItemFailures'], BatchSize: 10 });
        expect(mapping.ScalingConfig).toEqual({ MaximumConcurrency: settings.queueConcurrency[queue] });
        expect(settings.queueConcurrency[queue]).toBeGreaterThanOrEqual(2);
      }
    });

    it('gives events-refresh the refresh-requests queue and DLQ URLs, api-jobs (which counts dead letters) the DLQ’s, no other either', () => {
      for (const [name, { properties }] of functions) {
        const variables = properties.Environment.Variables;
        const urls = [variables.REFRESH_REQUESTS_QUEUE_URL, variables.REFRESH_REQUESTS_DLQ_URL].map(referencedId);
        const expected =
          name === 'events-refresh'
            ? [queues.get('refresh-requests')!.logicalId, queues.get('refresh-requests-dlq')!.logicalId]
            : name === 'api-jobs'
              ? [undefined, queues.get('refresh-requests-dlq')!.logicalId]
              : [undefined, undefined];
        expect([name, urls]).toEqual([name, expected]);
      }
    });

    it('runs the sweeper and the reconcile dispatcher every 2 minutes, each on its own rule', () => {
      const schedules = resourcesOfType(template, 'AWS::Events::Rule').filter(([, r]) => r.Properties.ScheduleExpression);
      expect(schedules.map(([, r]) => r.Properties.ScheduleExpression)).toEqual(['rate(2 minutes)', 'rate(2 minutes)']);
      for (const [, rule] of schedules) expect(rule.Properties.Targets).toHaveLength(1);
    });

    it('routes nexus-relay.refresh.requested events of the allowed sources to the refresh-requests queue', () => {
      const eventRules = resourcesOfType(template, 'AWS::Events::Rule').filter(([, r]) => r.Properties.EventPattern);
      expect(eventRules).toHaveLength(1);
      const [ruleId, rule] = eventRules[0]!;
      // Only the sources named at deploy, from this account: not anything else that may put events on the bus.
      expect(rule.Properties.EventPattern).toEqual({
        source: ['nexus-relay.upstream'],
        'detail-type': ['nexus-relay.refresh.requested'],
        account: [{ Ref: 'AWS::AccountId' }],
      });
      expect(rule.Properties.Targets.map((t: { Arn: unknown }) => referencedId(t.Arn))).toEqual([
        queues.get('refresh-requests')!.logicalId,
      ]);
      // Events EventBridge could not put on the queue land in a dead-letter queue of their own, which is alarmed.
      const [target] = rule.Properties.Targets;
      expect(referencedId(target.DeadLetterConfig.Arn)).toBe(queues.get('refresh-requested-dlq')!.logicalId);
      expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 });
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: Match.arrayWith(['sqs:SendMessage']),
              Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } },
            }),
          ]),
        },
      });
    });
  });

  describe('table', () => {
    it('is one table keyed as lib/store/table.ts, with gsi1, gsi2 and ttl', () => {
      template.resourceCountIs('AWS::DynamoDB::Table', 1);
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        TableName: resourceName(env),
        ...tableKeySchema(),
        TimeToLiveSpecification: { AttributeName: TABLE_KEYS.ttl, Enabled: true },
      });
    });

    const { throughput } = settings.data;
    it(
      throughput.mode === 'provisioned'
        ? 'is provisioned, the table and each index auto scaled each way to its target utilization'
        : 'is on-demand, nothing to scale',
      () => {
        const [, table] = onlyResourceOfType(template, 'AWS::DynamoDB::Table');
        const targets = resourcesOfType(template, 'AWS::ApplicationAutoScaling::ScalableTarget').map(([id, t]) => ({
          id,
          ...t.Properties,
        }));
        if (throughput.mode === 'on-demand') {
          expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
          expect(targets).toHaveLength(0);
          return;
        }
        expect(table.Properties.BillingMode ?? 'PROVISIONED').toBe('PROVISIONED');
        const scaled = targets.map((t) => [
          String(JSON.stringify(t.ResourceId)).includes('/index/')
            ? JSON.stringify(t.ResourceId).match(/index\/(gsi\d)/)![1]
            : 'table',
          t.ScalableDimension.split(':').pop(),
          t.MinCapacity,
          t.MaxCapacity,
        ]);
        const expected = (['table', 'gsi1', 'gsi2'] as const).flatMap((part) => [
          [part, 'ReadCapacityUnits', throughput[part].read.min, throughput[part].read.max],
          [part, 'WriteCapacityUnits', throughput[part].write.min, throughput[part].write.max],
        ]);
        expect(scaled.sort()).toEqual(expected.sort());
        const policies = resourcesOfType(template, 'AWS::ApplicationAutoScaling::ScalingPolicy').map(([, p]) => p.Properties);
        expect(policies).toHaveLength(6);
        for (const policy of policies) {
          expect(policy.TargetTrackingScalingPolicyConfiguration.TargetValue).toBe(throughput.targetUtilizationPercent);
        }
        // Each starts at its minimum: the scaling moves it from there.
        expect(table.Properties.ProvisionedThroughput).toEqual({
          ReadCapacityUnits: throughput.table.read.min,
          WriteCapacityUnits: throughput.table.write.min,
        });
      },
    );

    it('has exactly the keys and indexes that createTable makes locally', async () => {
      let input: CreateTableCommandInput | undefined;
      const client = { send: async (command: { input: CreateTableCommandInput }) => void (input = command.input) };
      await createTable(client as unknown as DynamoDBClient, 'local');
      const [, table] = onlyResourceOfType(template, 'AWS::DynamoDB::Table');
      const byName = <T extends { AttributeName?: string; IndexName?: string }>(list: T[] = []) =>
        [...list].sort((a, b) => String(a.AttributeName ?? a.IndexName).localeCompare(String(b.AttributeName ?? b.IndexName)));
      expect(byName(table.Properties.AttributeDefinitions)).toEqual(byName(input!.AttributeDefinitions));
      expect(table.Properties.KeySchema).toEqual(input!.KeySchema);
      // Their capacity is the environment's (below); their keys and projection the code's.
      const indexes = (table.Properties.GlobalSecondaryIndexes as Record<string, unknown>[]).map(
        ({ ProvisionedThroughput: _, ...index }) => index,
      );
      expect(byName(indexes)).toEqual(byName(input!.GlobalSecondaryIndexes));
    });

    it(
      isProd
        ? 'has PITR, deletion protection, a rotated customer key and is retained'
        : 'is disposable: no PITR, no deletion protection, no customer key',
      () => {
        const [, table] = onlyResourceOfType(template, 'AWS::DynamoDB::Table');
        expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: isProd });
        expect(table.Properties.DeletionProtectionEnabled).toBe(isProd);
        expect(table.DeletionPolicy).toBe(isProd ? 'Retain' : 'Delete');
        const keys = resourcesOfType(template, 'AWS::KMS::Key').filter(
          ([, key]) => !/webhook signing secrets|MX session tokens/.test(String(key.Properties.Description)),
        );
        if (isProd) {
          expect(keys).toHaveLength(1);
          expect(keys[0]![1].Properties.EnableKeyRotation).toBe(true);
          expect(table.Properties.SSESpecification).toMatchObject({ SSEEnabled: true, SSEType: 'KMS' });
          expect(referencedId(table.Properties.SSESpecification.KMSMasterKeyId)).toBe(keys[0]![0]);
        } else {
          expect(keys).toHaveLength(0);
          expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: false }); // DynamoDB's AWS-owned key
        }
      },
    );
  });

  it(
    isProd
      ? "encrypts every log group and the alarm topic under the stack's own key"
      : "leaves every log group and the alarm topic to AWS's own encryption",
    () => {
      const keyArn = isProd ? { 'Fn::GetAtt': [dataKeyId, 'Arn'] } : undefined;
      const logGroups = resourcesOfType(template, 'AWS::Logs::LogGroup');
      // Each function's, the API's access log, the MX egress VPC's rejected flows.
      expect(logGroups.length).toBe(FUNCTION_NAMES.length + 2);
      for (const [, logGroup] of logGroups) expect(logGroup.Properties.KmsKeyId).toEqual(keyArn);
      const [, topic] = onlyResourceOfType(template, 'AWS::SNS::Topic');
      expect(topic.Properties.KmsMasterKeyId).toEqual(keyArn);
    },
  );

  // Only prod has a key of its own (the table's test above): nothing to hold elsewhere.
  if (isProd)
    describe("the stack's own key", () => {
      it('is used by the account only through DynamoDB, Secrets Manager and SNS; by services only for this stack', () => {
        const [, key] = resourcesOfType(template, 'AWS::KMS::Key').find(([id]) => id === dataKeyId)!;
        for (const statement of key.Properties.KeyPolicy.Statement as KeyStatement[]) {
          const crypto = (asArray(statement.Action) as string[]).filter((action) => CRYPTO_ACTION.test(action));
          if (crypto.length === 0) continue;
          if (isAccountRoot(statement.Principal)) {
            const services = ['dynamodb', 'secretsmanager', 'sns'].map(
              (service) => `${service}.${settings.region}.amazonaws.com`,
            );
            const via = asArray(statement.Condition?.StringEquals?.['kms:ViaService']) as string[];
            expect(via.length, JSON.stringify(statement)).toBeGreaterThan(0);
            expect(services).toEqual(expect.arrayContaining(via));
          } else if (statement.Principal.Service === `logs.${settings.region}.amazonaws.com`) {
            const arns = statement.Condition?.ArnLike?.['kms:EncryptionContext:aws:logs:arn'] as unknown[];
            expect(JSON.stringify(arns)).toContain(`log-group:/aws/lambda/${resourceName(env)}-*`);
          } else {
            expect(statement.Principal.Service).toBe('cloudwatch.amazonaws.com');
          }
        }
      });
    });

  describe.each([
    {
      what: 'webhook signing secrets',
      variable: 'WEBHOOK_SECRETS_KEY_ARN',
      purpose: WEBHOOK_SECRET_PURPOSE,
      users: 'the functions that sign or rotate',
      uses: (name: FunctionName) => FUNCTION_SPECS[name].webhookSecrets !== undefined,
      otherPurposes: {},
    },
    {
      what: 'MX session tokens',
      variable: 'SESSION_TOKENS_KEY_ARN',
      purpose: SESSION_TOKEN_PURPOSE,
      users: 'the functions that make MX sessions',
      uses: (name: FunctionName) => FUNCTION_SPECS[name].callsMx === true,
      // The same key seals MX's stored answers, under a purpose of its own: only the functions that store them.
      otherPurposes: { [MX_ANSWER_PURPOSE]: (name: FunctionName) => FUNCTION_SPECS[name].sealsMxAnswers === true },
    },
  ])('$what', ({ what, variable, purpose, users, uses, otherPurposes }) => {
    it(`are sealed under a rotated key of their own; only ${users} get it`, () => {
      const [keyId, key] = resourcesOfType(template, 'AWS::KMS::Key').find(([, k]) =>
        String(k.Properties.Description).includes(what),
      )!;
      expect(key.Properties.EnableKeyRotation).toBe(true);
      for (const [name, { properties }] of functions) {
        const arn = referencedId(properties.Environment.Variables[variable]);
        expect([name, arn]).toEqual([name, uses(name as FunctionName) ? keyId : undefined]);
      }
    });

    it(`has a key policy of its own: the account administers the key, only ${users} use it, for its purpose`, () => {
      const [, key] = resourcesOfType(template, 'AWS::KMS::Key').find(([, k]) =>
        String(k.Properties.Description).includes(what),
      )!;
      const statements = key.Properties.KeyPolicy.Statement as KeyStatement[];
      const usersOf = new Map<string, Set<string>>();
      for (const statement of statements) {
        const actions = asArray(statement.Action) as string[];
        const crypto = actions.filter((action) => CRYPTO_ACTION.test(action));
        if (isAccountRoot(statement.Principal)) {
          expect(crypto, 'the account administers, never uses').toEqual([]);
          continue;
        }
        expect(crypto.length, JSON.stringify(statement)).toBeGreaterThan(0);
        const given = String(statement.Condition?.StringEquals?.['kms:EncryptionContext:purpose']);
        expect([purpose, ...Object.keys(otherPurposes)], JSON.stringify(statement)).toContain(given);
        if (!usersOf.has(given)) usersOf.set(given, new Set());
        for (const principal of asArray(statement.Principal.AWS)) usersOf.get(given)!.add(referencedId(principal)!);
      }
      const rolesOf = (using: (name: FunctionName) => boolean) =>
        [...functions]
          .filter(([name]) => using(name as FunctionName))
          .map(([, { properties }]) => referencedId(properties.Role)!);
      for (const [each, using] of [[purpose, uses] as const, ...Object.entries(otherPurposes)]) {
        expect([...(usersOf.get(each) ?? [])].sort(), each).toEqual(rolesOf(using).sort());
      }
    });
  });

  describe('secrets', () => {
    it('holds the MX credentials, the MX webhook credentials, the sync cursor key and the digest key, named by environment', () => {
      const secrets = resourcesOfType(template, 'AWS::SecretsManager::Secret').map(([, s]) => s.Properties);
      expect(secrets.map((s) => s.Name).sort()).toEqual([
        `nexus-relay/${env}/digest-key`,
        `nexus-relay/${env}/mx-credentials`,
        `nexus-relay/${env}/mx-webhook-credentials`,
        `nexus-relay/${env}/sync-cursor-key`,
      ]);
      for (const name of ['/sync-cursor-key', '/digest-key']) {
        expect(secrets.find((s) => s.Name.endsWith(name)).GenerateSecretString).toMatchObject({
          GenerateStringKey: 'key',
          PasswordLength: 44,
        });
      }
      expect(secrets.find((s) => s.Name.endsWith('/mx-credentials')).GenerateSecretString).toMatchObject({
        SecretStringTemplate: JSON.stringify({ client_id: '' }),
        GenerateStringKey: 'api_key',
      });
      for (const secret of secrets) expect(secret.KmsKeyId !== undefined).toBe(isProd);
    });
  });

  describe('api', () => {
    it('has one $default stage with access logs and the environment throttling', () => {
      template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: {
          ThrottlingRateLimit: settings.apiThrottle.rateLimit,
          ThrottlingBurstLimit: settings.apiThrottle.burstLimit,
        },
        AccessLogSettings: {
          DestinationArn: Match.anyValue(),
          Format: Match.stringLikeRegexp('"requestId":"\\$context.requestId"'),
        },
      });
    });

    it('gives the routes with limits of their own (a refresh) those limits, set once the routes exist', () => {
      const [, stage] = resourcesOfType(template, 'AWS::ApiGatewayV2::Stage')[0]!;
      const expected = Object.fromEntries(
        Object.entries(settings.routeThrottles).map(([key, { rateLimit, burstLimit }]) => [
          key,
          { ThrottlingRateLimit: rateLimit, ThrottlingBurstLimit: burstLimit },
        ]),
      );
      expect(stage.Properties.RouteSettings).toEqual(Object.keys(expected).length > 0 ? expected : undefined);
      if (env !== 'prod') return;
      expect(Object.keys(expected)).toContain('POST /users/{user_id}/members/{member_guid}/refresh');
      const throttled = resourcesOfType(template, 'AWS::ApiGatewayV2::Route')
        .filter(([, route]) => route.Properties.RouteKey in expected)
        .map(([logicalId]) => logicalId);
      expect(throttled).toHaveLength(Object.keys(expected).length);
      expect(stage.DependsOn).toEqual(expect.arrayContaining(throttled));
    });

    it('has no gateway authorizer: functions authenticate (problem+json 401)', () => {
      template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
      for (const [, route] of resourcesOfType(template, 'AWS::ApiGatewayV2::Route')) {
        expect(route.Properties.AuthorizationType ?? 'NONE').toBe('NONE');
      }
    });
  });

  describe('alarms', () => {
    const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    const [topicId, topic] = onlyResourceOfType(template, 'AWS::SNS::Topic');

    it('has an alarm topic that requires TLS', () => {
      expect(topic.Properties.TopicName).toBe(resourceName(env, 'alarms'));
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });

    it('alarms on every DLQ holding a message', () => {
      const watched = alarms
        .filter((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible')
        .map((a) => a.Dimensions[0].Value)
        .map(referencedId)
        .sort();
      const dlqs = [...queues].filter(([name]) => name.endsWith('-dlq')).map(([, q]) => q.logicalId);
      expect(watched).toEqual(dlqs.sort());
    });

    it('alarms on errors and throttles of every function, and on API 5xx', () => {
      for (const metric of ['Errors', 'Throttles']) {
        const watched = alarms.filter((a) => a.MetricName === metric).map((a) => referencedId(a.Dimensions[0].Value));
        expect(watched.sort()).toEqual([...functions.values()].map((f) => f.logicalId).sort());
      }
      expect(alarms.filter((a) => a.MetricName === '5xx' && a.Namespace === 'AWS/ApiGateway')).toHaveLength(1);
    });

    it("alarms on DynamoDB throttling any of the relay's operations on its table, a quiet one counting 0", () => {
      const throttled = alarms.find((a) => a.AlarmName === `${resourceName(env)}-table-throttled`)!;
      type Query = {
        Id: string;
        Expression?: string;
        MetricStat?: { Metric: { MetricName: string; Dimensions: { Name: string; Value: unknown }[] } };
      };
      const queries = throttled.Metrics as Query[];
      const metrics = queries.filter((q) => q.MetricStat);
      expect(new Set(metrics.map((q) => q.MetricStat!.Metric.MetricName))).toEqual(new Set(['ThrottledRequests']));
      const operations = metrics.map((q) => q.MetricStat!.Metric.Dimensions.find((d) => d.Name === 'Operation')!.Value).sort();
      expect(operations).toEqual(['BatchGetItem', 'BatchWriteItem', 'DeleteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem']);
      const sum = queries.find((q) => q.Expression)!.Expression!;
      expect(sum.split(' + ').sort()).toEqual(metrics.map((q) => `FILL(${q.Id}, 0)`).sort());
    });

    it('alarms when the oldest message of a worker queue is older than its loop allows', () => {
      const ages = alarms.filter((a) => a.MetricName?.startsWith('ApproximateAgeOfOldestMessage'));
      const watched = ages.map((a) => [referencedId(a.Dimensions[0].Value), a.MetricName]).sort();
      // The delivery lanes' messages name their subscription (SQS fair queues): one subscription's backlog is not theirs.
      const metricOf = (queue: string) =>
        queue.startsWith('delivery') ? 'ApproximateAgeOfOldestMessageInQuietGroups' : 'ApproximateAgeOfOldestMessage';
      const workQueues = ['poll', 'member-reports', 'reconcile', 'erasures', 'delivery', 'delivery-slow'];
      expect(watched).toEqual(workQueues.map((queue) => [queues.get(queue)!.logicalId, metricOf(queue)]).sort());
      for (const alarm of ages) {
        const queue = [...queues.values()].find((q) => q.logicalId === referencedId(alarm.Dimensions[0].Value))!;
        // Past the longest SQS hop (900 s) and a visibility timeout: a message that old is not being consumed.
        expect(alarm.Threshold).toBe(900 + queue.properties.VisibilityTimeout + 60);
      }
    });

    it("sets Lambda's application log level to the environment's LOG_LEVEL", () => {
      for (const [name, { properties }] of functions) {
        expect([name, properties.LoggingConfig.ApplicationLogLevel]).toEqual([name, settings.logLevel]);
        expect(properties.Environment.Variables.LOG_LEVEL).toBe(settings.logLevel);
      }
    });

    it('notifies the topic on alarm and on recovery', () => {
      for (const alarm of alarms) {
        expect(alarm.AlarmActions.map(referencedId)).toEqual([topicId]);
        expect(alarm.OKActions.map(referencedId)).toEqual([topicId]);
      }
    });
  });

  it("fits CloudFormation's 500 resources a stack: past them no deploy starts", () => {
    // prod holds the most (its alarms, the MX egress VPC): 483 when this was written.
    expect(Object.keys(template.toJSON().Resources).length).toBeLessThanOrEqual(500);
  });

  it('names every named resource after the environment', () => {
    const resources = Object.values(template.toJSON().Resources as Record<string, { Properties?: Record<string, unknown> }>);
    const nameKeys = ['TableName', 'QueueName', 'FunctionName', 'TopicName', 'AlarmName', 'LogGroupName', 'RoleName'];
    const names = resources.flatMap((r) =>
      Object.entries(r.Properties ?? {})
        .filter(([key, value]) => (nameKeys.includes(key) || key === 'Name') && typeof value === 'string')
        .map(([, value]) => value as string),
    );
    expect(names.length).toBeGreaterThan(30);
    for (const name of names) expect(name).toMatch(new RegExp(`nexus-relay[-/]${env}\\b`));
  });

  it('outputs what an operator needs', () => {
    expect(Object.keys(template.toJSON().Outputs).sort()).toEqual(
      [
        'AlarmTopicArn',
        'ApiUrl',
        'DeliveryQueueUrl',
        'MemberReportsQueueUrl',
        'ReconcileQueueUrl',
        'MxCredentialsSecretName',
        'MxEgressAddresses',
        'MxWebhookCredentialsSecretName',
        'MxWebhooksUrl',
        'PollQueueUrl',
        'RefreshRequestsQueueUrl',
        'TableName',
      ].sort(),
    );
  });
});
