import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ConfigValues } from '../lib/config/variables.ts';
import type { AlarmDestination } from './constructs/alarms.ts';
import type { TableThroughput } from './constructs/data-table.ts';
import { DEFAULT_REFRESH_REQUEST_SOURCE } from './constructs/refresh-requests.ts';
import type { QueueName } from '../lib/queue/queue-names.ts';

/**
 * The deployed environments, one stack each (`npx cdk deploy -c env=<name>`). `local` is not one of them, so no
 * deployed function ever runs with NEXUS_RELAY_ENV=local: lib/config.ts then accepts only https webhook endpoints.
 */
export type EnvironmentName = Exclude<ConfigValues['NEXUS_RELAY_ENV'], 'local'>;

export interface EnvironmentSettings {
  name: EnvironmentName;
  region: string;
  /**
   * MX's hosts — Nexus data, SSO (API tokens, widget URLs), MDX Real Time (users); the MX calls per second all functions
   * share (MX_CALLS_PER_SECOND: MX publishes no Nexus limit, so agree one with MX and set it below); whether MX opted
   * this client in to use cases (MX_USE_CASES_ENABLED): no default, MX decides it, so each deploy states it.
   */
  mx: { baseUrl: string; ssoBaseUrl: string; realtimeBaseUrl: string; useCasesEnabled?: boolean; callsPerSecond: number };
  /**
   * NAT gateways the functions that call MX leave through, each with the Elastic IP MX allow-lists
   * (infra/constructs/mx-egress.ts): 2, one per AZ, keeps MX reachable when an AZ fails; 1 costs half (docs/operations.md
   * → Cost notes).
   */
  mxEgressNatGateways: 1 | 2;
  /**
   * Elastic IPs on each of those gateways, all allow-listed by MX: MX counts a caller's connections per address
   * (BENCHMARKS.md → Capacity, MX connections an address). AWS allows 2 a gateway and 5 a region by default.
   */
  mxEgressAddressesPerGateway: number;
  /**
   * Elastic IPs made and listed for MX to allow-list but on no gateway yet, the next ones a raised
   * `mxEgressAddressesPerGateway` takes: a gateway sends from an address as soon as it holds it, so addresses are added
   * spare first (docs/operations.md → MX's allow-list).
   */
  mxEgressSpareAddresses: number;
  logLevel: ConfigValues['LOG_LEVEL'];
  logRetention: RetentionDays;
  /** API Gateway's limits of each route without its own: requests per second (steady) and burst. */
  apiThrottle: { rateLimit: number; burstLimit: number };
  /** Routes with limits of their own, by route key: MX's webhooks apart from the apps' calls. */
  routeThrottles: Readonly<Record<string, { rateLimit: number; burstLimit: number }>>;
  /**
   * Most batches of each queue handled at once (its event source's maximum concurrency, 2 at least). A consumer's
   * reserved concurrency is the sum over its queues, so SQS never invokes more than may run and no message is throttled
   * back towards its dead-letter queue. Each kind of MX-bound work has its own: a user's poll steps never wait behind
   * MX's nightly wave of member reports; a burst of webhook events waits in its queue instead of taking the account's
   * concurrency from the API.
   */
  queueConcurrency: Readonly<Record<QueueName, number>>;
  /**
   * Reserved concurrency of the API functions that have one: what each may take of the account, and what it keeps.
   * mx-events' always: its function URL is public, bound only by 10 requests a second per reserved execution.
   */
  reservedConcurrency: Readonly<Partial<Record<'api-refresh' | 'api-read' | 'api-connect', number>> & { 'mx-events': number }>;
  /**
   * Lambda's concurrent executions in the account and region, as this environment expects them: 1,000 unless AWS raised
   * the quota on request. Every reservation (the API functions' and the consumers' sums) must leave AWS's 100 free.
   */
  lambdaConcurrencyQuota: number;
  /**
   * RECONCILE_TURNS_PER_MINUTE: users given their reconcile turn per minute at most. Users × 4 turns a day (the 6 h
   * interval) need users × 4 ÷ 1440 a minute: prod's 6,000 is twice what 1M users need.
   */
  reconcileTurnsPerMinute: number;
  /**
   * MX_BACKGROUND_AT_TURN: MX's background aggregations of users nobody is using are read together, with the night's
   * last (their nightly events as MX ends the user's last member; a member MX skips, at the user's reconcile turn):
   * about half the MX calls the relay makes on its own (decision 0037). Off in dev, where events should come at once.
   */
  mxBackgroundAtTurn: boolean;
  /**
   * The EventBridge `source`s whose `nexus-relay.refresh.requested` events start refreshes (`-c
   * refreshRequestSources=a,b`): anything else in the account that may put events is not heard. Pair it with IAM's
   * `events:source` condition on who may put events with these sources.
   */
  refreshRequestSources: readonly string[];
  data: {
    deletionProtection: boolean;
    pointInTimeRecovery: boolean;
    /** Encrypts the table and the secrets with a key of this stack (rotated yearly) instead of AWS-owned keys. */
    customerManagedKey: boolean;
    /** What `cdk destroy` does with the table, key, secrets and log groups. */
    removalPolicy: RemovalPolicy;
    /** On-demand, or provisioned and auto scaled (docs/decisions/0035-provisioned-table-at-scale.md). */
    throughput: TableThroughput;
  };
  /** Where alarms go (`-c alarmEmail=…`, `-c alarmTopicArn=…`). */
  alarmDestination: AlarmDestination;
  /** Synthesis fails without an alarm destination: nobody would be told when this environment breaks. */
  requiresAlarmDestination: boolean;
}

const mxIntegration = {
  baseUrl: 'https://int-data.moneydesktop.com',
  ssoBaseUrl: 'https://int-sso.moneydesktop.com',
  realtimeBaseUrl: 'https://int-live.moneydesktop.com',
  callsPerSecond: 50,
};
const mxProduction = {
  baseUrl: 'https://data.moneydesktop.com',
  ssoBaseUrl: 'https://sso.moneydesktop.com',
  realtimeBaseUrl: 'https://live.moneydesktop.com',
  callsPerSecond: 2_500,
};

const disposableData = {
  deletionProtection: false,
  pointInTimeRecovery: false,
  customerManagedKey: false,
  removalPolicy: RemovalPolicy.DESTROY,
  throughput: { mode: 'on-demand' },
} as const;

export const ENVIRONMENTS: Readonly<Record<EnvironmentName, EnvironmentSettings>> = {
  dev: {
    name: 'dev',
    region: 'us-east-1',
    mx: mxIntegration,
    mxEgressNatGateways: 1,
    mxEgressAddressesPerGateway: 1,
    mxEgressSpareAddresses: 0,
    logLevel: 'DEBUG',
    logRetention: RetentionDays.ONE_WEEK,
    apiThrottle: { rateLimit: 20, burstLimit: 40 },
    routeThrottles: {},
    queueConcurrency: {
      poll: 2,
      'member-reports': 2,
      reconcile: 2,
      erasures: 2,
      delivery: 2,
      'delivery-slow': 2,
      'refresh-requests': 5,
    },
    reservedConcurrency: { 'mx-events': 5 },
    lambdaConcurrencyQuota: 1_000,
    reconcileTurnsPerMinute: 500,
    mxBackgroundAtTurn: false,
    refreshRequestSources: [DEFAULT_REFRESH_REQUEST_SOURCE],
    data: disposableData,
    alarmDestination: {},
    requiresAlarmDestination: false,
  },
  staging: {
    name: 'staging',
    region: 'us-east-1',
    mx: mxIntegration,
    mxEgressNatGateways: 1,
    mxEgressAddressesPerGateway: 1,
    mxEgressSpareAddresses: 0,
    logLevel: 'INFO',
    logRetention: RetentionDays.TWO_WEEKS,
    apiThrottle: { rateLimit: 50, burstLimit: 100 },
    routeThrottles: {},
    queueConcurrency: {
      poll: 5,
      'member-reports': 3,
      reconcile: 2,
      erasures: 2,
      delivery: 5,
      'delivery-slow': 2,
      'refresh-requests': 5,
    },
    reservedConcurrency: { 'mx-events': 10 },
    lambdaConcurrencyQuota: 1_000,
    reconcileTurnsPerMinute: 500,
    mxBackgroundAtTurn: true,
    refreshRequestSources: [DEFAULT_REFRESH_REQUEST_SOURCE],
    data: disposableData,
    alarmDestination: {},
    requiresAlarmDestination: false,
  },
  prod: {
    name: 'prod',
    region: 'us-east-1',
    mx: mxProduction,
    mxEgressNatGateways: 2,
    mxEgressAddressesPerGateway: 3,
    mxEgressSpareAddresses: 0,
    logLevel: 'INFO',
    logRetention: RetentionDays.THREE_MONTHS,
    // Twice the syncs and reads at the peak, as if on one route: MX's budget, not the route, bounds their MX calls.
    apiThrottle: { rateLimit: 1_700, burstLimit: 3_400 },
    routeThrottles: {
      'POST /users/{user_id}/members/{member_guid}/refresh': { rateLimit: 300, burstLimit: 600 },
    },
    // Sized for 1M users and 3M members: docs/operations.md → Sizing.
    queueConcurrency: {
      poll: 140,
      'member-reports': 200,
      reconcile: 10,
      erasures: 2,
      delivery: 60,
      'delivery-slow': 5,
      'refresh-requests': 5,
    },
    // api-read and api-refresh: more than twice their executions at the peak, and more than all of them with MX at its
    // slow day's pace (BENCHMARKS.md section 8), within the quota asked.
    // mx-events: its function URL takes 10 requests a second per reserved execution (AWS: "Configuring function URLs",
    // throttling): 1,500 a second, twice MX's webhooks at the peak.
    reservedConcurrency: { 'api-refresh': 500, 'api-read': 2_200, 'api-connect': 50, 'mx-events': 150 },
    lambdaConcurrencyQuota: 3_500,
    reconcileTurnsPerMinute: 6_000,
    mxBackgroundAtTurn: true,
    refreshRequestSources: [DEFAULT_REFRESH_REQUEST_SOURCE],
    data: {
      deletionProtection: true,
      pointInTimeRecovery: true,
      customerManagedKey: true,
      removalPolicy: RemovalPolicy.RETAIN,
      // Auto scaled at 70 %: about half on-demand's price for the workload's day. Each maximum is over twice the table's
      // or index's need where the nightly wave meets the peak hour (BENCHMARKS.md section 8).
      throughput: {
        mode: 'provisioned',
        targetUtilizationPercent: 70,
        table: { read: { min: 500, max: 24_000 }, write: { min: 500, max: 20_000 } },
        gsi1: { read: { min: 50, max: 2_000 }, write: { min: 50, max: 4_000 } },
        gsi2: { read: { min: 50, max: 2_000 }, write: { min: 50, max: 2_000 } },
      },
    },
    alarmDestination: {},
    requiresAlarmDestination: true,
  },
};

export const ENVIRONMENT_NAMES = Object.keys(ENVIRONMENTS) as EnvironmentName[];

export class UnknownEnvironmentError extends Error {
  readonly code = 'unknown_environment';
}

/** The settings named by the `env` context value; anything else is an error that lists the valid names. */
export function environmentSettings(name: unknown): EnvironmentSettings {
  if (typeof name === 'string' && Object.hasOwn(ENVIRONMENTS, name)) return ENVIRONMENTS[name as EnvironmentName];
  const valid = ENVIRONMENT_NAMES.join(', ');
  const given = name === undefined ? 'none was given' : `got ${JSON.stringify(name)}`;
  throw new UnknownEnvironmentError(`Choose the environment with -c env=<name>, one of: ${valid} (${given}).`);
}

export class ConcurrencyQuotaError extends Error {
  readonly code = 'concurrency_over_quota';
}

/** AWS keeps this much of the account's concurrency unreserved. */
export const UNRESERVED_CONCURRENCY = 100;

/** Refuses reservations that the account's quota cannot hold: CloudFormation would fail on the first function over it. */
export function assertWithinConcurrencyQuota(settings: EnvironmentSettings, reserved: number): void {
  if (reserved + UNRESERVED_CONCURRENCY <= settings.lambdaConcurrencyQuota) return;
  throw new ConcurrencyQuotaError(
    `${settings.name} reserves ${reserved} concurrent executions: ask AWS for a Lambda concurrency quota of at least ${reserved + UNRESERVED_CONCURRENCY} in ${settings.region} and set lambdaConcurrencyQuota (now ${settings.lambdaConcurrencyQuota}), or reserve less.`,
  );
}

export class MissingAlarmDestinationError extends Error {
  readonly code = 'missing_alarm_destination';
}

/** The settings with the alarm destination given on the command line; refused where one is required and none is. */
export function withAlarmDestination(
  settings: EnvironmentSettings,
  given: { email?: unknown; topicArn?: unknown },
): EnvironmentSettings {
  const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined);
  const destination: AlarmDestination = {
    email: text(given.email) ?? settings.alarmDestination.email,
    topicArn: text(given.topicArn) ?? settings.alarmDestination.topicArn,
  };
  if (destination.email && destination.topicArn) {
    throw new MissingAlarmDestinationError(
      'Give -c alarmEmail=<address> or -c alarmTopicArn=<arn>, not both (subscribe the address to your topic).',
    );
  }
  if (settings.requiresAlarmDestination && !destination.email && !destination.topicArn) {
    throw new MissingAlarmDestinationError(
      `${settings.name} needs an alarm destination: add -c alarmEmail=<address> or -c alarmTopicArn=<arn of your paging topic>.`,
    );
  }
  return { ...settings, alarmDestination: destination };
}

export class UnstatedUseCasesError extends Error {
  readonly code = 'use_cases_unstated';
}

/**
 * The settings with whether MX opted this client in to use cases (`-c mxUseCasesEnabled=true|false`). MX switches
 * use cases on per client and refuses `use_cases` otherwise (docs.mx.com/nexus/member-use-cases), so no default: a
 * stack without it is refused, naming it.
 */
export function withUseCases(settings: EnvironmentSettings, given: unknown): EnvironmentSettings {
  if (given === undefined) {
    throw new UnstatedUseCasesError(
      `${settings.name} needs -c mxUseCasesEnabled=true or false: whether MX has opted your client in to use cases (docs.mx.com/nexus/member-use-cases).`,
    );
  }
  if (given !== 'true' && given !== 'false' && typeof given !== 'boolean') {
    throw new UnknownEnvironmentError(`-c mxUseCasesEnabled must be true or false (got ${JSON.stringify(given)}).`);
  }
  return { ...settings, mx: { ...settings.mx, useCasesEnabled: given === true || given === 'true' } };
}

/**
 * The settings in the region given (`-c region=eu-west-1`); every environment's default is us-east-1. MX's hosts are
 * the same from any region.
 */
export function withRegion(settings: EnvironmentSettings, given: unknown): EnvironmentSettings {
  if (given === undefined) return settings;
  if (typeof given !== 'string' || !/^[a-z]{2}(-[a-z]+)+-\d$/.test(given)) {
    throw new UnknownEnvironmentError(`-c region must be an AWS region such as eu-west-1 (got ${JSON.stringify(given)}).`);
  }
  return { ...settings, region: given };
}

/**
 * The settings with the EventBridge sources whose refresh requests are heard (`-c refreshRequestSources=a,b`, comma
 * separated). EventBridge keeps `aws.` sources for AWS's own events: those, and an empty list, are refused.
 */
export function withRefreshRequestSources(settings: EnvironmentSettings, given: unknown): EnvironmentSettings {
  if (given === undefined) return settings;
  const sources = typeof given === 'string' ? given.split(',').map((source) => source.trim()) : [];
  if (sources.length === 0 || sources.some((source) => !/^[\w.-]{1,256}$/.test(source) || source.startsWith('aws.'))) {
    throw new UnknownEnvironmentError(
      `-c refreshRequestSources must list EventBridge sources, comma-separated, none starting aws. (got ${JSON.stringify(given)}).`,
    );
  }
  return { ...settings, refreshRequestSources: sources };
}

/** `nexus-relay-<env>-<part>`: every physical name carries the environment. */
export const resourceName = (env: EnvironmentName, part?: string): string =>
  part ? `nexus-relay-${env}-${part}` : `nexus-relay-${env}`;
