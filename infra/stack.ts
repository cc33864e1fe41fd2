import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { AccountRootPrincipal, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Key } from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';
import { grantAccess } from './constructs/access.ts';
import { ComparisonOperator } from 'aws-cdk-lib/aws-cloudwatch';
import { ALARM_PERIOD, RelayAlarms } from './constructs/alarms.ts';
import { RelayDashboard } from './constructs/dashboard.ts';
import { RelayMetrics } from './constructs/relay-metrics.ts';
import { DataTable, TABLE_THROTTLES_THRESHOLD } from './constructs/data-table.ts';
import { consumerOf, FUNCTION_NAMES, FUNCTION_SPECS, type FunctionName } from './constructs/function-specs.ts';
import { RelayHttpApi } from './constructs/http-api.ts';
import { acknowledgeAcceptedFindings } from './constructs/nag-suppressions.ts';
import { MxEgress } from './constructs/mx-egress.ts';
import { RefreshRequests } from './constructs/refresh-requests.ts';
import { type EnvironmentResources, functionEnvironment, perQueue } from './constructs/function-environment.ts';
import { RelayFunction } from './constructs/relay-function.ts';
import { relayKey } from './constructs/relay-key.ts';
import { RelaySecrets } from './constructs/secrets.ts';
import { queueAgeThresholdSeconds, WorkQueue } from './constructs/work-queue.ts';
import { MAX_SQS_DELAY_SECONDS } from '../lib/queue/delayed-queue.ts';
import { DELIVERY_QUEUES, MX_WORK_QUEUES, QUEUE_NAMES, type QueueName } from '../lib/queue/queue-names.ts';
import {
  assertWithinConcurrencyQuota,
  type EnvironmentSettings,
  resourceName,
  withAlarmDestination,
  withUseCases,
} from './environments.ts';
import { STACK_OUTPUTS } from './stack-outputs.ts';

/** p95 detection lag of poll-found job ends past which someone should look (the no-push target is 6 s). */
export const DETECTION_LAG_ALARM_MS = 60_000;
/** Share of webhook attempts answered 2xx (over 10 attempts or more per 5 minutes) below which someone should look. */
export const WEBHOOK_SUCCESS_ALARM_PERCENT = 90;
/** How late a user's reconcile turn may be before someone should look (turns are hours apart; a run every 2 minutes). */
export const RECONCILE_OVERDUE_ALARM_MS = 3_600_000;
/** An endpoint whose breaker has stayed open this long pages (each sweep reports the longest). */
export const WEBHOOK_BREAKER_ALARM_MS = 6 * 3_600_000;
/** An erasure not ended this long after its request pages (each sweep reports the oldest under way). */
export const ERASURE_ALARM_MS = 3_600_000;
/** The stack output listing the addresses the functions that call MX leave from (the CLI reads it). */
export const MX_EGRESS_OUTPUT = 'MxEgressAddresses';
/** MX 429s in 5 minutes: MX is asking the relay to slow down. */
export const MX_THROTTLE_ALARM_COUNT = 20;

export interface NexusRelayStackProps extends StackProps {
  settings: EnvironmentSettings;
}

/**
 * The stack's own key (where the environment has one) and who may use it: the account's principals only through the
 * services that hold data under it — DynamoDB, Secrets Manager, SNS (the services' own access rules apply) — never
 * directly; CloudWatch Logs for this stack's log groups; CloudWatch to publish alarms to the encrypted topic.
 */
function dataKeyOf(key: Key, env: EnvironmentSettings['name']): Key {
  const { account, region, partition } = Stack.of(key);
  key.addToResourcePolicy(
    new PolicyStatement({
      sid: 'UseThroughServices',
      principals: [new AccountRootPrincipal()],
      actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:CreateGrant', 'kms:DescribeKey'],
      resources: ['*'],
      conditions: {
        StringEquals: {
          'kms:ViaService': ['dynamodb', 'secretsmanager', 'sns'].map((service) => `${service}.${region}.amazonaws.com`),
          'kms:CallerAccount': account,
        },
      },
    }),
  );
  const logGroup = (name: string) => `arn:${partition}:logs:${region}:${account}:log-group:${name}`;
  key.addToResourcePolicy(
    new PolicyStatement({
      sid: 'StackLogGroups',
      principals: [new ServicePrincipal(`logs.${region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': [
            logGroup(`/aws/lambda/${resourceName(env)}-*`),
            logGroup(`/aws/apigateway/${resourceName(env)}-*`),
            logGroup(`/aws/vpc/${resourceName(env)}-*`),
          ],
        },
      },
    }),
  );
  key.addToResourcePolicy(
    new PolicyStatement({
      sid: 'AlarmsToEncryptedTopic',
      principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
    }),
  );
  return key;
}

/** nexus-relay in one environment: table, queues, functions, HttpApi, secrets and alarms. */
export class NexusRelayStack extends Stack {
  readonly table: Table;
  readonly queues: Readonly<Record<QueueName, WorkQueue>>;
  /** Fed by EventBridge; `events-refresh` consumes it (its queues are also `queues['refresh-requests']`). */
  readonly refreshRequests: RefreshRequests;
  readonly secrets: RelaySecrets;
  readonly functions: Readonly<Record<FunctionName, NodejsFunction>>;
  readonly httpApi: RelayHttpApi;
  readonly alarms: RelayAlarms;
  /** Where the functions that call MX leave from: the addresses MX allow-lists. */
  readonly mxEgress: MxEgress;
  readonly dashboard: RelayDashboard;

  constructor(scope: Construct, id: string, props: NexusRelayStackProps) {
    super(scope, id, props);
    // Checked here too, so no code path builds a stack whose alarms reach nobody where one is required.
    const settings = withUseCases(withAlarmDestination(props.settings, {}), props.settings.mx.useCasesEnabled);
    const name = (part?: string) => resourceName(settings.name, part);
    const { removalPolicy } = settings.data;

    const dataKey = settings.data.customerManagedKey
      ? dataKeyOf(
          relayKey(this, 'DataKey', {
            alias: `alias/${name()}`,
            description: `Encrypts the ${name()} table, secrets, log groups and alarm topic`,
            removalPolicy,
          }),
          settings.name,
        )
      : undefined;

    // Every environment: webhook signing secrets and MX session tokens are never stored in clear (envelope
    // encryption, lib/secret-box.ts), each under a key of its own: only the functions that call MX may use the second.
    // Their policies name the roles that may use them (infra/constructs/access.ts).
    const webhookSecretsKey = relayKey(this, 'WebhookSecretsKey', {
      alias: `alias/${name('webhook-secrets')}`,
      description: `Encrypts the webhook signing secrets of ${name()} (data keys)`,
      removalPolicy,
    });
    const sessionTokensKey = relayKey(this, 'SessionTokensKey', {
      alias: `alias/${name('session-tokens')}`,
      description: `Encrypts the MX session tokens of ${name()} (data keys)`,
      removalPolicy,
    });

    const data = new DataTable(this, 'Data', {
      tableName: name(),
      deletionProtection: settings.data.deletionProtection,
      pointInTimeRecovery: settings.data.pointInTimeRecovery,
      throughput: settings.data.throughput,
      encryptionKey: dataKey,
      removalPolicy,
    });
    this.table = data.table;

    this.refreshRequests = new RefreshRequests(this, 'RefreshRequests', {
      queueName: name('refresh-requests'),
      ruleName: name('refresh-requested'),
      sources: settings.refreshRequestSources,
      consumerTimeoutSeconds: consumerOf('refresh-requests').timeoutSeconds,
      removalPolicy,
    });
    this.queues = {
      poll: new WorkQueue(this, 'PollQueues', {
        queueName: name('poll'),
        consumerTimeoutSeconds: consumerOf('poll').timeoutSeconds,
        removalPolicy,
      }),
      'member-reports': new WorkQueue(this, 'MemberReportsQueues', {
        queueName: name('member-reports'),
        consumerTimeoutSeconds: consumerOf('member-reports').timeoutSeconds,
        removalPolicy,
      }),
      reconcile: new WorkQueue(this, 'ReconcileQueues', {
        queueName: name('reconcile'),
        consumerTimeoutSeconds: consumerOf('reconcile').timeoutSeconds,
        removalPolicy,
      }),
      erasures: new WorkQueue(this, 'ErasuresQueues', {
        queueName: name('erasures'),
        consumerTimeoutSeconds: consumerOf('erasures').timeoutSeconds,
        removalPolicy,
      }),
      delivery: new WorkQueue(this, 'DeliveryQueues', {
        queueName: name('delivery'),
        consumerTimeoutSeconds: consumerOf('delivery').timeoutSeconds,
        removalPolicy,
      }),
      'delivery-slow': new WorkQueue(this, 'DeliverySlowQueues', {
        queueName: name('delivery-slow'),
        consumerTimeoutSeconds: consumerOf('delivery-slow').timeoutSeconds,
        removalPolicy,
      }),
      'refresh-requests': this.refreshRequests.queues,
    };

    this.secrets = new RelaySecrets(this, 'Secrets', {
      namePrefix: `nexus-relay/${settings.name}`,
      encryptionKey: dataKey,
      removalPolicy,
    });

    const resources: EnvironmentResources = {
      tableName: this.table.tableName,
      queueUrls: perQueue((queue) => this.queues[queue].queue.queueUrl),
      deadLetterQueueUrls: perQueue((queue) => this.queues[queue].deadLetterQueue.queueUrl),
      secretArns: {
        mxCredentials: this.secrets.mxCredentials.secretArn,
        mxWebhookCredentials: this.secrets.mxWebhookCredentials.secretArn,
        syncCursorKey: this.secrets.syncCursorKey.secretArn,
        digestKey: this.secrets.digestKey.secretArn,
      },
      keyArns: { sessionTokens: sessionTokensKey.keyArn, webhookSecrets: webhookSecretsKey.keyArn },
    };

    this.alarms = new RelayAlarms(this, 'Alarms', {
      topicName: name('alarms'),
      alarmNamePrefix: name(),
      destination: settings.alarmDestination,
      topicKey: dataKey,
    });

    const accessible = {
      table: this.table,
      queues: perQueue((queue) => this.queues[queue].queue),
      deadLetterQueues: perQueue((queue) => this.queues[queue].deadLetterQueue),
      mxCredentials: this.secrets.mxCredentials,
      mxWebhookCredentials: this.secrets.mxWebhookCredentials,
      syncCursorKey: this.secrets.syncCursorKey,
      digestKey: this.secrets.digestKey,
      dataKey,
      webhookSecretsKey,
      sessionTokensKey,
    };
    // Every function that calls MX leaves from the addresses MX allow-lists; the others stay on Lambda's network.
    this.mxEgress = new MxEgress(this, 'MxEgress', {
      name: name(),
      natGateways: settings.mxEgressNatGateways,
      addressesPerGateway: settings.mxEgressAddressesPerGateway,
      spareAddresses: settings.mxEgressSpareAddresses,
      logRetention: settings.logRetention,
      logsKey: dataKey,
      removalPolicy,
    });
    const reservations = Object.fromEntries(
      FUNCTION_NAMES.map((fnName) => {
        const consumed = FUNCTION_SPECS[fnName].consumes ?? [];
        return [
          fnName,
          consumed.length > 0
            ? consumed.reduce((sum, queue) => sum + settings.queueConcurrency[queue], 0)
            : settings.reservedConcurrency[fnName as keyof EnvironmentSettings['reservedConcurrency']],
        ];
      }),
    ) as Record<FunctionName, number | undefined>;
    assertWithinConcurrencyQuota(
      settings,
      Object.values(reservations).reduce<number>((sum, n) => sum + (n ?? 0), 0),
    );
    const functions = {} as Record<FunctionName, NodejsFunction>;
    for (const fnName of FUNCTION_NAMES) {
      const spec = FUNCTION_SPECS[fnName];
      const consumed = spec.consumes ?? [];
      const fn = new RelayFunction(this, fnName, {
        name: fnName,
        functionName: name(fnName),
        spec,
        environment: functionEnvironment(fnName, settings, resources),
        logRetention: settings.logRetention,
        logsKey: dataKey,
        removalPolicy,
        logLevel: settings.logLevel,
        ...(spec.callsMx ? { network: this.mxEgress.network } : {}),
        reservedConcurrency: reservations[fnName],
      }).function;
      grantAccess(fn, spec, accessible);
      for (const queue of consumed) {
        // At most the function's share for this queue: SQS's pollers never invoke more than may run.
        fn.addEventSource(
          new SqsEventSource(this.queues[queue].queue, {
            batchSize: 10,
            reportBatchItemFailures: true,
            maxConcurrency: settings.queueConcurrency[queue],
          }),
        );
      }
      if (spec.everyMinutes) {
        new Rule(this, `${fnName}Schedule`, {
          ruleName: name(`${fnName}-schedule`),
          schedule: Schedule.rate(Duration.minutes(spec.everyMinutes)),
          targets: [new LambdaFunction(fn, { retryAttempts: 0 })],
        });
      }
      this.alarms.onFunction(fnName, fn);
      functions[fnName] = fn;
    }
    this.functions = functions;

    this.httpApi = new RelayHttpApi(this, 'Http', {
      apiName: name('api'),
      handlers: functions,
      throttle: settings.apiThrottle,
      routeThrottles: settings.routeThrottles,
      logRetention: settings.logRetention,
      logsKey: dataKey,
      removalPolicy,
    });

    this.alarms.onApiServerErrors(this.httpApi.api);
    this.alarms.onMxWebhookServerErrors(functions['mx-events']);
    this.alarms.alarm('table-throttled', {
      description: `DynamoDB throttled ${TABLE_THROTTLES_THRESHOLD} or more of the relay's requests in ${ALARM_PERIOD.toMinutes()} minutes`,
      metric: data.throttledRequests(ALARM_PERIOD),
      threshold: TABLE_THROTTLES_THRESHOLD,
    });
    for (const queue of QUEUE_NAMES) this.alarms.onDeadLetters(queue, this.queues[queue].deadLetterQueue);
    this.alarms.onDeadLetters('refresh-requested-events', this.refreshRequests.ruleDeadLetterQueue);
    for (const queueName of [...MX_WORK_QUEUES, ...DELIVERY_QUEUES]) {
      const work = this.queues[queueName];
      this.alarms.onQueueAge(queueName, work.queue, queueAgeThresholdSeconds(MAX_SQS_DELAY_SECONDS, work), {
        tenants: (DELIVERY_QUEUES as readonly string[]).includes(queueName),
      });
    }

    const metrics = new RelayMetrics(settings.name);
    this.alarms.alarm('detection-lag', {
      description: `Jobs whose end the poll loop found took over ${DETECTION_LAG_ALARM_MS / 1000} s (p95) to be seen`,
      metric: metrics.metric('DetectionLag', { detected_by: 'poll' }, { statistic: 'p95', period: ALARM_PERIOD }),
      threshold: DETECTION_LAG_ALARM_MS,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
    });
    this.alarms.alarm('reconcile-overdue', {
      description: `The reconcile is behind: users due ${RECONCILE_OVERDUE_ALARM_MS / 3_600_000} h ago or more still wait for their turn`,
      metric: metrics.metric('ReconcileOverdue', {}, { statistic: 'Maximum', period: ALARM_PERIOD }),
      threshold: RECONCILE_OVERDUE_ALARM_MS,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
    });
    this.alarms.alarm('webhook-endpoint-held', {
      description: `A webhook endpoint has failed for ${WEBHOOK_BREAKER_ALARM_MS / 3_600_000} h or more: its breaker holds its deliveries`,
      metric: metrics.metric('WebhookBreakerOpenAge', {}, { statistic: 'Maximum', period: ALARM_PERIOD }),
      threshold: WEBHOOK_BREAKER_ALARM_MS,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
    });
    this.alarms.alarm('erasure-overdue', {
      description: `A user's erasure has been under way for ${ERASURE_ALARM_MS / 3_600_000} h or more: user.deleted not sent`,
      metric: metrics.metric('ErasureAge', {}, { statistic: 'Maximum', period: ALARM_PERIOD }),
      threshold: ERASURE_ALARM_MS,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
    });
    this.alarms.alarm('webhook-success-rate', {
      description: `Under ${WEBHOOK_SUCCESS_ALARM_PERCENT} % of webhook attempts were answered 2xx for 15 minutes`,
      metric: metrics.webhookSuccessRate(ALARM_PERIOD),
      threshold: WEBHOOK_SUCCESS_ALARM_PERCENT,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
    });
    this.alarms.alarm('mx-throttled', {
      description: `MX answered ${MX_THROTTLE_ALARM_COUNT} or more 429s in ${ALARM_PERIOD.toMinutes()} minutes`,
      metric: metrics.mxThrottles(ALARM_PERIOD),
      threshold: MX_THROTTLE_ALARM_COUNT,
    });
    this.alarms.alarm('mx-circuit-open', {
      description: "MX kept failing: a container's circuit breaker opened and holds calls to MX",
      metric: metrics.mxCircuitOpens(ALARM_PERIOD),
      threshold: 1,
    });
    this.alarms.alarm('mx-budget-spent', {
      description:
        "MX calls were refused for 15 minutes: an MX host's call budget (MX_CALLS_PER_SECOND) is too small for the load",
      metric: metrics.mxBudgetRefusals(ALARM_PERIOD),
      threshold: 1,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
    });
    this.alarms.alarm('mx-user-guid-conflict', {
      description: "MX's guid of a user changed, or two users were recorded under one guid",
      metric: metrics.mxUserGuidConflicts(ALARM_PERIOD),
      threshold: 1,
    });

    this.dashboard = new RelayDashboard(this, 'Dashboard', {
      dashboardName: name(),
      metrics,
      functions,
      queues: perQueue((queue) => this.queues[queue].queue),
      deadLetterQueues: {
        ...perQueue((queue) => this.queues[queue].deadLetterQueue),
        'refresh-requested': this.refreshRequests.ruleDeadLetterQueue,
      },
      api: this.httpApi.api,
    });

    acknowledgeAcceptedFindings(
      {
        ...this,
        mxCallers: FUNCTION_NAMES.filter((fnName) => FUNCTION_SPECS[fnName].callsMx).map((fnName) => functions[fnName].role!),
      },
      settings,
    );

    const output = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    output('ApiUrl', this.httpApi.stage.url, 'Base URL of the API');
    output(
      STACK_OUTPUTS.mxWebhooksUrl,
      `${this.httpApi.functionUrls['mx-events']!.url}mx/webhooks`,
      'The URL to give MX for its webhooks',
    );
    output('TableName', this.table.tableName, 'The DynamoDB table');
    output('PollQueueUrl', this.queues.poll.queue.queueUrl, 'Aggregation poll steps');
    output('MemberReportsQueueUrl', this.queues['member-reports'].queue.queueUrl, "Members MX's webhooks reported on");
    output('ReconcileQueueUrl', this.queues.reconcile.queue.queueUrl, "Users' reconcile turns");
    output('DeliveryQueueUrl', this.queues.delivery.queue.queueUrl, 'Webhook delivery attempts');
    output('RefreshRequestsQueueUrl', this.refreshRequests.queues.queue.queueUrl, 'Refresh requests from EventBridge');
    output('MxCredentialsSecretName', this.secrets.mxCredentials.secretName, 'Put {"client_id","api_key"} here');
    output('MxWebhookCredentialsSecretName', this.secrets.mxWebhookCredentials.secretName, 'Basic credentials for MX webhooks');
    output('AlarmTopicArn', this.alarms.topic.topicArn, 'Subscribe on-call here');
    output(MX_EGRESS_OUTPUT, this.mxEgress.addressList, 'The addresses MX must allow-list (nexus-relay mx egress)');
  }
}
