import type { CapacityRange, TableThroughput } from '../infra/constructs/data-table.ts';
import { FUNCTION_SPECS, type FunctionSpec } from '../infra/constructs/function-specs.ts';
import { METRICS } from '../lib/compositions/metric-catalogue.ts';
import { DATA_KEY_TTL_MS } from '../lib/secret-box.ts';
import { FLEET_KEY_HOUR_MS } from '../lib/store/fleet-data-keys.ts';
import type { UnitCost, UnitCosts, Unit } from './capacity-unit-costs.ts';
import { httpApiMonthUsd, PRICES } from './support/pricing.ts';
import { DAYS_PER_MONTH } from './workload.ts';

const GB = 1024 ** 3;

/** Work of each kind a day (the workload's, bench/workload.ts); deliveries follow from the events each queued. */
export type DailyUnits = Record<Exclude<Unit, 'delivery' | 'transaction'>, number>;

/**
 * When the day's work comes: the nightly wave's over its first `waveHours`, apps' over the day with one hour (noon)
 * `peakFactor` times the average, the rest evenly. Each part's units a day; the three make `perDay`.
 */
export interface DayShape {
  waveHours: number;
  peakFactor: number;
  wave: Partial<DailyUnits>;
  app: Partial<DailyUnits>;
  even: Partial<DailyUnits>;
  /** Reads of what the wave held (MX_BACKGROUND_AT_TURN; the night's last, or a turn), by `heldReadHourShares` from the wave's start. */
  turns?: Partial<DailyUnits>;
  heldReadHourShares?: readonly number[];
}

/** The month at 1M users: the workload's day, and what the stack keeps. */
export interface MonthAtScale {
  users: number;
  members: number;
  perDay: DailyUnits;
  /** How prod's table is billed; provisioned, its capacity follows `shape` hour by hour. */
  throughput?: TableThroughput;
  shape?: DayShape;
  /** Jobs the table holds: each day's jobs times the days each kind is kept (lib/aggregation/jobs-repo.ts). */
  jobsStored: number;
  /** The reconcile dispatcher: DynamoDB units and SQS requests per user, and users per second of its run (measured). */
  dispatch: { wruPerUser: number; rruPerUser: number; sqsPerUser: number; usersPerSecond: number };
  /** Transactions the table holds in the month counted (syncing users' only: the relay keeps no others). */
  storedTransactions: number;
  /** How long prod keeps its functions' logs (infra/environments.ts). */
  logRetentionDays: number;
  /** Alarms and queues of the prod stack, counted from its definition. */
  alarms: number;
  queues: number;
  /** NAT gateways the functions that call MX leave through, and the Elastic IPs they hold (prod's settings). */
  natGateways: number;
  mxEgressAddresses: number;
}

export interface CostLine {
  item: string;
  usd: number;
  basis: string;
}

/**
 * Lambda's own lines of an invocation at the system log level prod keeps, Lambda's default INFO: its start and its
 * report ("Lambda automatically sends "start" and "report" log messages",
 * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html), in the JSON format the
 * functions log in, sized on records as Lambda writes them.
 */
export const PLATFORM_LOG_BYTES = [
  {
    time: '2026-11-29T12:00:00.000Z',
    type: 'platform.start',
    record: { requestId: '8f5c0a64-2f1e-4b7a-9d3c-6e2b1a0f9c45', version: '$LATEST' },
  },
  {
    time: '2026-11-29T12:00:01.099Z',
    type: 'platform.report',
    record: {
      requestId: '8f5c0a64-2f1e-4b7a-9d3c-6e2b1a0f9c45',
      metrics: { durationMs: 1099.52, billedDurationMs: 1100, memorySizeMB: 256, maxMemoryUsedMB: 118 },
      status: 'success',
    },
  },
].reduce((n, line) => n + Buffer.byteLength(`${JSON.stringify(line)}\n`), 0);

const HOUR_MS = 3_600_000;
/**
 * KMS requests a container makes an hour on its own, apart from the work measured: a box of its own data keys makes one
 * and opens each other container's every DATA_KEY_TTL_MS (about as many again, at most: counted once here, the opens
 * measured); the session tokens' box opens or makes the fleet's key of the hour, and opens the last hour's.
 */
const OWN_KEYS_PER_HOUR = HOUR_MS / DATA_KEY_TTL_MS;
const FLEET_KEYS_PER_HOUR = 2 * (HOUR_MS / FLEET_KEY_HOUR_MS);
/** Each secret is read again at most this often (lib/json-secret.ts): per hour. */
const SECRET_READS_PER_HOUR = 4;
/** Prod's KMS keys: the session tokens', the webhook secrets', and the data's (table, secrets, logs, alarm topic). */
const KMS_KEYS = 3;
/** The secrets prod keeps (infra/constructs/secrets.ts): MX's credentials, its webhooks', the cursor key, the digest key. */
const SECRETS = 4;

/** Retention of stored jobs and deliveries (lib/aggregation/jobs-repo.ts, lib/notify/delivery.ts), in days. */
const DELIVERY_DAYS = 30;

/**
 * The monthly cost at `month`'s scale from the per-unit costs measured in the same run, at the list prices of
 * support/pricing.ts: every AWS line the stack pays for.
 */
export function monthlyCost(measured: UnitCosts, month: MonthAtScale): { lines: CostLine[]; total: number } {
  const { units, itemBytes } = measured;
  const volumes = Object.fromEntries(
    Object.entries(month.perDay).map(([unit, perDay]) => [unit, perDay * DAYS_PER_MONTH]),
  ) as Record<keyof DailyUnits, number>;
  const turns = volumes['reconcile-turn'];
  const deliveries = Object.entries(volumes).reduce((n, [unit, volume]) => n + volume * units[unit as Unit].deliveries, 0);
  const all: [Unit, number][] = [...(Object.entries(volumes) as [Unit, number][]), ['delivery', deliveries]];
  const sum = (f: (unit: Unit) => number) => all.reduce((n, [unit, volume]) => n + volume * f(unit), 0);

  const gbSeconds =
    sum((u) => (units[u].lambdaMs / 1000) * (FUNCTION_SPECS[units[u].function].memorySize / 1024)) +
    (turns / month.dispatch.usersPerSecond) * (FUNCTION_SPECS['reconcile-dispatch'].memorySize / 1024);
  const invocations = sum((u) => units[u].invocations);
  const wru = sum((u) => units[u].wru) + turns * month.dispatch.wruPerUser;
  const rru = sum((u) => units[u].rru) + turns * month.dispatch.rruPerUser;
  const sqs = sum((u) => units[u].sqsRequests) + turns * month.dispatch.sqsPerUser;
  const httpApi = sum((u) => units[u].httpApiRequests);
  const kmsDecrypts = sum((u) => units[u].kmsRequests);
  // Containers at work, on average: each opens its own data keys and reads its own secrets.
  const containersOf = (fits: (spec: FunctionSpec) => boolean) =>
    sum((u) => (fits(FUNCTION_SPECS[units[u].function]) ? units[u].lambdaMs / 1000 : 0)) / (DAYS_PER_MONTH * 24 * 3600);
  const containers = containersOf(() => true);
  const sessionContainers = containersOf((spec) => spec.callsMx === true);
  const ownKeyBoxes =
    containersOf((spec) => spec.webhookSecrets !== undefined) + containersOf((spec) => spec.sealsMxAnswers === true);
  const dataKeys = (sessionContainers * FLEET_KEYS_PER_HOUR + ownKeyBoxes * OWN_KEYS_PER_HOUR) * DAYS_PER_MONTH * 24;
  const secretReads = containers * SECRET_READS_PER_HOUR * SECRETS * DAYS_PER_MONTH * 24;
  const appLogGb = sum((u) => units[u].logBytes) / GB;
  const platformLogGb = (invocations * PLATFORM_LOG_BYTES) / GB;
  const logGb = appLogGb + platformLogGb;
  const outGb = sum((u) => units[u].outBytes) / GB;
  const mxOutGb = sum((u) => units[u].mxBytesOut) / GB;
  const mxInGb = sum((u) => units[u].mxBytesIn) / GB;
  // SQS requests of the functions in the VPC (those calling MX) go through the NAT too: ~2 KB a request and its answer (assumed).
  const sqsNatGb = (sum((u) => (FUNCTION_SPECS[units[u].function].callsMx ? units[u].sqsRequests : 0)) * 2048) / GB;
  const hours = DAYS_PER_MONTH * 24;
  const transactions = month.storedTransactions;
  const storedGb =
    (month.jobsStored * itemBytes.job +
      deliveries * (DELIVERY_DAYS / DAYS_PER_MONTH) * itemBytes.delivery +
      month.members * itemBytes.member +
      month.users * itemBytes.user +
      transactions * itemBytes.transaction) /
    GB;
  // Every combination of dimension values a metric may take is a custom metric (an upper bound: not all occur).
  const customMetrics = Object.values(METRICS).reduce(
    (n, metric) => n + Object.values(metric.dimensions).reduce((m, values) => m * (values as readonly string[]).length, 1),
    0,
  );
  const fmtM = (n: number) => `${(n / 1e6).toFixed(1)}M`;
  const lines: CostLine[] = [
    {
      item: 'Lambda requests',
      usd: (invocations / 1e6) * PRICES.lambdaPerMillionRequests,
      basis: `${fmtM(invocations)} invocations`,
    },
    {
      item: 'Lambda duration (arm64)',
      usd: gbSeconds * PRICES.lambdaPerGbSecond,
      basis: `${fmtM(gbSeconds)} GB-s: each unit's time at its function's memory (MX at 300 ms; its own CPU at the function's share of a vCPU) × that memory`,
    },
    {
      item: 'API Gateway HTTP API',
      usd: httpApiMonthUsd(httpApi),
      basis: `${fmtM(httpApi)} requests (refreshes, syncs, reads; MX's webhooks come to a function URL)`,
    },
    {
      item: 'SQS',
      usd: (sqs / 1e6) * PRICES.sqsPerMillionRequests,
      basis: `${fmtM(sqs)} requests; the pollers' empty receives below`,
    },
    ...dynamoThroughputLines(measured, month, { wru, rru }),
    {
      item: 'DynamoDB storage',
      usd: storedGb * PRICES.dynamoPerGbMonth,
      basis: `${storedGb.toFixed(0)} GB: ${fmtM(month.jobsStored)} jobs (90 d; MX's own 30 d), deliveries ${DELIVERY_DAYS} d, members, users, ${fmtM(transactions)} transactions`,
    },
    { item: 'DynamoDB point-in-time recovery', usd: storedGb * PRICES.dynamoPitrPerGbMonth, basis: `${storedGb.toFixed(0)} GB` },
    {
      item: 'CloudWatch Logs (ingestion, storage)',
      // Stored: the months of ingestion the retention keeps.
      usd: logGb * (PRICES.logsPerGbIngested + (month.logRetentionDays / DAYS_PER_MONTH) * PRICES.logsPerGbMonthStored),
      basis: `${logGb.toFixed(0)} GB a month, kept ${month.logRetentionDays} days: the functions' log and EMF lines at INFO and the API's access log lines ${appLogGb.toFixed(0)} GB, Lambda's start and report lines ${platformLogGb.toFixed(0)} GB`,
    },
    {
      item: 'CloudWatch metrics, alarms, dashboard',
      usd: customMetrics * PRICES.customMetricPerMonth + month.alarms * PRICES.alarmPerMonth + PRICES.dashboardPerMonth,
      basis: `≤ ${customMetrics} custom metrics (every dimension value combination), ${month.alarms} alarms, 1 dashboard`,
    },
    {
      item: 'SQS pollers’ empty receives',
      usd: month.queues * PRICES.emptyReceivesPerQueueMonth * (PRICES.sqsPerMillionRequests / 1e6),
      basis: `${month.queues} queues long-polled by Lambda`,
    },
    {
      item: 'KMS',
      usd: KMS_KEYS * PRICES.kmsKeyPerMonth + ((kmsDecrypts + dataKeys) / 1e6) * PRICES.kmsPerMillionRequests,
      basis: `${KMS_KEYS} keys; ${fmtM(kmsDecrypts)} requests of the work above, ${fmtM(dataKeys)} data keys made or opened by containers on their own (the session tokens' of the hour and the last, shared by the fleet: ${sessionContainers.toFixed(0)} containers at work on average; one a container every ${DATA_KEY_TTL_MS / 60_000} minutes for webhook secrets and MX's stored answers: ${ownKeyBoxes.toFixed(0)})`,
    },
    {
      item: 'Secrets Manager',
      usd: SECRETS * PRICES.secretPerMonth + (secretReads / 1e6) * PRICES.secretsPerMillionCalls,
      basis: `${SECRETS} secrets; ${fmtM(secretReads)} reads (each container reads each at most every 15 minutes; ${containers.toFixed(0)} containers at work on average)`,
    },
    {
      item: 'NAT gateways and their addresses (MX egress)',
      usd: hours * (month.natGateways * PRICES.natGatewayPerHour + month.mxEgressAddresses * PRICES.publicIpv4PerHour),
      basis: `${month.natGateways} NAT gateways and ${month.mxEgressAddresses} Elastic IPs, all month (the settings: mxEgressNatGateways, mxEgressAddressesPerGateway, mxEgressSpareAddresses)`,
    },
    {
      item: 'NAT data processing',
      usd: (mxOutGb + mxInGb + sqsNatGb) * PRICES.natPerGbProcessed,
      basis: `${(mxOutGb + mxInGb).toFixed(0)} GB to and from MX (measured per unit, HTTP without TLS), ${sqsNatGb.toFixed(0)} GB of the VPC functions' SQS requests (2 KB each, assumed); DynamoDB through its free gateway endpoint`,
    },
    {
      item: 'Data transfer out',
      usd: Math.max(0, outGb + mxOutGb - 100) * PRICES.transferOutPerGb,
      basis: `${outGb.toFixed(0)} GB of webhooks and answers to apps, ${mxOutGb.toFixed(0)} GB of requests to MX (first 100 GB free)`,
    },
  ];
  return { lines, total: lines.reduce((n, line) => n + line.usd, 0) };
}

type TablePart = 'table' | 'gsi1' | 'gsi2';
const TABLE_PARTS: readonly TablePart[] = ['table', 'gsi1', 'gsi2'];
const PROFILES = ['wave', 'app', 'even', 'turns'] as const;
type Profile = (typeof PROFILES)[number];
/** The apps' busiest hour, apart from the wave (which starts at midnight). */
const APP_PEAK_HOUR = 12;

/** A unit's write (or read) units on one part of the table: the table's own are what its indexes' leave. */
export function partUnits(cost: UnitCost, part: TablePart, way: 'write' | 'read'): number {
  const [all, gsi1, gsi2] = way === 'write' ? [cost.wru, cost.gsi1Wru, cost.gsi2Wru] : [cost.rru, cost.gsi1Rru, cost.gsi2Rru];
  return part === 'gsi1' ? gsi1 : part === 'gsi2' ? gsi2 : all - gsi1 - gsi2;
}

/** Each of the day's 24 hours' share of a profile's work. */
export function hourShares(shape: Pick<DayShape, 'waveHours' | 'peakFactor' | 'heldReadHourShares'>, profile: Profile): number[] {
  const peak = Math.min(shape.peakFactor, 24) / 24;
  return Array.from({ length: 24 }, (_, hour) => {
    if (profile === 'wave') return hour < shape.waveHours ? 1 / shape.waveHours : 0;
    if (profile === 'turns') return shape.heldReadHourShares?.[hour] ?? 0;
    if (profile === 'app') return hour === APP_PEAK_HOUR ? peak : (1 - peak) / 23;
    return 1 / 24;
  });
}

/**
 * Auto scaling takes capacity away only after 15 minutes under its target (AWS: "decreases provisioned capacity when
 * utilization is 20% or more below the target for 15 consecutive minutes").
 */
const SCALE_IN_HOURS = 15 / 60;

/**
 * Capacity-unit hours a day that target tracking keeps for `perHour` (each hour's mean units a second): the hour's rate
 * over the target utilization, within the range; after a fall, the hour before's for its first quarter. `overMax`: an
 * hour needed more than the range allows (throttled).
 */
export function autoscaledHours(
  perHour: readonly number[],
  targetUtilizationPercent: number,
  range: CapacityRange,
): { hours: number; overMax: boolean } {
  const kept = (rate: number) => Math.min(range.max, Math.max(range.min, rate / (targetUtilizationPercent / 100)));
  let hours = 0;
  let overMax = false;
  perHour.forEach((rate, hour) => {
    const before = perHour[(hour + perHour.length - 1) % perHour.length]!;
    overMax ||= rate > range.max;
    hours += before > rate ? SCALE_IN_HOURS * kept(before) + (1 - SCALE_IN_HOURS) * kept(rate) : kept(rate);
  });
  return { hours, overMax };
}

/** DynamoDB's reads and writes: billed a request on-demand, or the capacity-unit hours auto scaling keeps provisioned. */
function dynamoThroughputLines(measured: UnitCosts, month: MonthAtScale, used: { wru: number; rru: number }): CostLine[] {
  const fmtM = (n: number) => `${(n / 1e6).toFixed(1)}M`;
  const onDemand = {
    write: (used.wru / 1e6) * PRICES.dynamoPerMillionWriteUnits,
    read: (used.rru / 1e6) * PRICES.dynamoPerMillionReadUnits,
  };
  const { throughput, shape } = month;
  if (throughput?.mode !== 'provisioned' || !shape) {
    return [
      { item: 'DynamoDB writes', usd: onDemand.write, basis: `${fmtM(used.wru)} write units (on-demand)` },
      { item: 'DynamoDB reads', usd: onDemand.read, basis: `${fmtM(used.rru)} read units (on-demand)` },
    ];
  }
  const { units } = measured;
  const dispatcher = { write: month.dispatch.wruPerUser, read: month.dispatch.rruPerUser };
  const perHour = (part: TablePart, way: 'write' | 'read'): number[] => {
    const daily = (profile: Profile) => {
      const volumes = Object.entries(shape[profile] ?? {}) as [keyof DailyUnits, number][];
      const deliveries = volumes.reduce((n, [unit, volume]) => n + volume * units[unit].deliveries, 0);
      const turns = profile === 'even' && part === 'table' ? (shape.even['reconcile-turn'] ?? 0) * dispatcher[way] : 0;
      return (
        volumes.reduce((n, [unit, volume]) => n + volume * partUnits(units[unit], part, way), 0) +
        deliveries * partUnits(units.delivery, part, way) +
        turns
      );
    };
    const shares = PROFILES.map((profile) => ({ daily: daily(profile), shares: hourShares(shape, profile) }));
    return Array.from({ length: 24 }, (_, hour) => shares.reduce((n, p) => n + p.daily * p.shares[hour]!, 0) / 3600);
  };
  const line = (way: 'write' | 'read') => {
    const kept = TABLE_PARTS.map((part) =>
      autoscaledHours(perHour(part, way), throughput.targetUtilizationPercent, throughput[part][way]),
    );
    const hours = kept.reduce((n, k) => n + k.hours, 0) * DAYS_PER_MONTH;
    const unitsUsed = way === 'write' ? used.wru : used.rru;
    const usd = hours * (way === 'write' ? PRICES.dynamoPerWcuHour : PRICES.dynamoPerRcuHour);
    const name = way === 'write' ? 'write' : 'read';
    const over = kept.some((k) => k.overMax) ? '; an hour over a maximum: throttled' : '';
    return {
      item: `DynamoDB ${name}s`,
      usd,
      basis: `${fmtM(unitsUsed)} ${name} units on ${fmtM(hours)} ${way === 'write' ? 'WCU' : 'RCU'}-hours provisioned (table and indexes auto scaled at ${throughput.targetUtilizationPercent} %: ${Math.round((100 * unitsUsed) / (hours * 3600))} % used${over}); on-demand $${Math.round(onDemand[way]).toLocaleString('en')}`,
    };
  };
  return [line('write'), line('read')];
}
