import { describe, expect, it } from 'vitest';
import { autoscaledHours, hourShares, type MonthAtScale, monthlyCost, PLATFORM_LOG_BYTES } from '../../../bench/capacity-cost.ts';
import { NO_COST, partitionKind, type UnitCost, type UnitCosts } from '../../../bench/capacity-unit-costs.ts';
import { httpApiMonthUsd, PRICES } from '../../../bench/support/pricing.ts';

const unit = (fn: UnitCost['function'], over: Partial<UnitCost> = {}): UnitCost => ({
  function: fn,
  ...NO_COST,
  mxCalls: { session: 0, transactions: 0, job: 0, read: 0 },
  ...over,
});
const measured: UnitCosts = {
  units: {
    refresh: unit('api-refresh', { httpApiRequests: 1, deliveries: 2, wru: 10 }),
    'refresh-unsynced': unit('api-refresh'),
    poll: unit('worker-poll'),
    'mx-webhook': unit('mx-events', {}),
    report: unit('worker-poll', { deliveries: 1 }),
    'report-unsynced': unit('worker-poll'),
    'reconcile-turn': unit('worker-poll'),
    delivery: unit('worker-deliver', { wru: 3 }),
    transaction: unit('api-read', { wru: 2 }),
    sync: unit('api-read', { httpApiRequests: 1, wru: 2 }),
    read: unit('api-read'),
    'read-lapsed': unit('api-read'),
    held: unit('worker-poll'),
    'held-read': unit('worker-poll'),
    'held-read-3': unit('worker-poll'),
    'held-read-unsynced': unit('worker-poll'),
    'held-read-unsynced-3': unit('worker-poll'),
  },
  webhooksPerAggregation: 1,
  itemBytes: { job: 0, delivery: 0, member: 0, user: 0, transaction: 1024 },
  deliveryBatchMs: 100,
  sharedPartitions: [],
  deliveryLogWru: { table: 3, gsi1: 1 },
  writesByItem: {},
};
const month: MonthAtScale = {
  users: 1_000_000,
  members: 3_000_000,
  perDay: {
    refresh: 1_000_000,
    'refresh-unsynced': 0,
    poll: 1_000_000,
    'mx-webhook': 3_000_000,
    report: 3_000_000,
    'report-unsynced': 0,
    'reconcile-turn': 4_000_000,
    sync: 1_000_000,
    read: 0,
    'read-lapsed': 0,
    held: 0,
    'held-read': 0,
    'held-read-3': 0,
    'held-read-unsynced': 0,
    'held-read-unsynced-3': 0,
  },
  jobsStored: 0,
  dispatch: { wruPerUser: 0, rruPerUser: 0, sqsPerUser: 0, usersPerSecond: 1_000 },
  storedTransactions: 30_000_000,
  logRetentionDays: 30.4,
  alarms: 10,
  queues: 5,
  natGateways: 2,
  mxEgressAddresses: 4,
};
const line = (cost: ReturnType<typeof monthlyCost>, item: string) => cost.lines.find((l) => l.item === item)!.usd;

describe('monthlyCost', () => {
  it('prices each unit by the month’s volume of it: refreshes and syncs through the HTTP API (MX’s webhooks not)', () => {
    // 30.4M refreshes and 30.4M syncs, $1 a million.
    expect(line(monthlyCost(measured, month), 'API Gateway HTTP API')).toBeCloseTo(30.4 + 30.4, 6);
  });

  it("counts Lambda's start and report lines of every invocation beside the functions' own lines", () => {
    // 1M syncs a day, one invocation and 1,000 bytes of the function's and the access log's lines each.
    const logged: UnitCosts = {
      ...measured,
      units: { ...measured.units, sync: { ...measured.units.sync, invocations: 1, logBytes: 1_000 } },
    };
    const gb = (30.4e6 * (1_000 + PLATFORM_LOG_BYTES)) / 1024 ** 3;
    const perGb = PRICES.logsPerGbIngested + (month.logRetentionDays / 30.4) * PRICES.logsPerGbMonthStored;
    expect(line(monthlyCost(logged, month), 'CloudWatch Logs (ingestion, storage)')).toBeCloseTo(gb * perGb, 6);
    expect(PLATFORM_LOG_BYTES).toBeGreaterThan(300);
  });

  it('prices the KMS requests of the work and the data keys each container opens or makes on its own', () => {
    // 1M syncs a day, each opening a data key and taking 1.728 s: 20 api-read containers at work, each opening the fleet's
    // session key of the hour and of the last, and making a key of its own for MX's stored answers every 5 minutes.
    const sync = { ...measured.units.sync, kmsRequests: 1, lambdaMs: 1_728 };
    const opening: UnitCosts = { ...measured, units: { ...measured.units, sync } };
    const requests = 30.4e6 + 20 * (2 + 12) * 24 * 30.4;
    expect(line(monthlyCost(opening, month), 'KMS')).toBeCloseTo(3 * PRICES.kmsKeyPerMonth + (requests / 1e6) * 3, 6);
  });

  it('prices a month past 300 million HTTP API requests at its tiers', () => {
    expect(httpApiMonthUsd(200e6)).toBeCloseTo(200, 6);
    expect(httpApiMonthUsd(694e6)).toBeCloseTo(300 + 394 * 0.9, 6);
    expect(httpApiMonthUsd(1.5e9)).toBeCloseTo(300 + 700 * 0.9 + 500 * 0.8, 6);
  });

  it('queues the deliveries each unit makes and pays their writes too', () => {
    // Writes: refreshes × 10, deliveries (2 per refresh, 1 per report) × 3, syncs × 2; $0.625 a million.
    const deliveries = 30.4e6 * 2 + 91.2e6;
    expect(line(monthlyCost(measured, month), 'DynamoDB writes')).toBeCloseTo(
      ((30.4e6 * 10 + deliveries * 3 + 30.4e6 * 2) / 1e6) * 0.625,
      6,
    );
  });

  it('pays the NAT gateways all month, and every GB to and from MX through them; requests to MX leave AWS', () => {
    const gbPerReport = 1 / 91.2e6;
    const withMx = {
      ...measured,
      units: {
        ...measured.units,
        report: unit('worker-poll', {
          mxBytesOut: (gbPerReport / 4) * 1024 ** 3,
          mxBytesIn: ((3 * gbPerReport) / 4) * 1024 ** 3,
        }),
      },
    };
    const cost = monthlyCost(withMx, month);
    // Two gateways and their four addresses for 730 hours.
    expect(line(cost, 'NAT gateways and their addresses (MX egress)')).toBeCloseTo(30.4 * 24 * (2 * 0.045 + 4 * 0.005), 6);
    // 1 GB of MX and the SQS requests' (2 KB each; the refreshes' sends, none here) at $0.045.
    expect(line(cost, 'NAT data processing')).toBeCloseTo(1 * 0.045, 6);
    expect(line(cost, 'Data transfer out')).toBe(0);
  });

  it('stores the logs of as many months as they are kept', () => {
    const logged = { ...measured, units: { ...measured.units, report: unit('worker-poll', { logBytes: 1024 ** 3 / 1e6 }) } };
    // 91.2 GB a month ingested at $0.50, kept two months at $0.03 a GB-month.
    expect(line(monthlyCost(logged, { ...month, logRetentionDays: 60.8 }), 'CloudWatch Logs (ingestion, storage)')).toBeCloseTo(
      91.2 * (0.5 + 2 * 0.03),
      6,
    );
  });

  it('stores the transactions the table holds, and backs them up', () => {
    const gb = (3_000_000 * 10 * 1024) / 1024 ** 3;
    const cost = monthlyCost(measured, month);
    expect(line(cost, 'DynamoDB storage')).toBeCloseTo(gb * 0.25, 6);
    expect(line(cost, 'DynamoDB point-in-time recovery')).toBeCloseTo(gb * 0.2, 6);
    expect(cost.total).toBeCloseTo(
      cost.lines.reduce((n, l) => n + l.usd, 0),
      9,
    );
  });
});

describe('a provisioned table', () => {
  const range = { min: 10, max: 1_000 };

  it("spreads each profile's day over its hours: the wave's first, the apps' busiest at noon, the rest even", () => {
    const shape = { waveHours: 6, peakFactor: 10 };
    for (const profile of ['wave', 'app', 'even'] as const) {
      expect(hourShares(shape, profile).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    }
    expect(hourShares(shape, 'wave').filter((share) => share > 0)).toHaveLength(6);
    expect(hourShares(shape, 'app')[12]).toBeCloseTo(10 / 24, 12);
  });

  it('keeps each hour its rate over the target, after a fall the one before for 15 minutes, within the bounds', () => {
    const perHour = Array.from({ length: 24 }, (_, hour) => (hour === 5 ? 700 : 70));
    // 70 a second at 70 %: 100 units; hour 5: 1,000 (700 ÷ 0.7, the maximum); hour 6 a quarter of it at 1,000.
    expect(autoscaledHours(perHour, 70, range)).toEqual({ hours: 22 * 100 + 1_000 + (1_000 + 3 * 100) / 4, overMax: false });
    expect(autoscaledHours(Array(24).fill(0), 70, range).hours).toBe(24 * 10);
    expect(
      autoscaledHours(
        perHour.map((rate) => rate * 2),
        70,
        range,
      ).overMax,
    ).toBe(true);
  });

  it("prices the capacity auto scaling keeps: the table's and each index's, the on-demand figure beside", () => {
    const indexed = {
      ...measured,
      units: { ...measured.units, sync: unit('api-read', { wru: 3, gsi1Wru: 1, httpApiRequests: 1 }) },
    };
    const throughput = {
      mode: 'provisioned' as const,
      targetUtilizationPercent: 50,
      table: { read: { min: 1, max: 10_000 }, write: { min: 1, max: 10_000 } },
      gsi1: { read: { min: 1, max: 10_000 }, write: { min: 1, max: 10_000 } },
      gsi2: { read: { min: 1, max: 10_000 }, write: { min: 1, max: 10_000 } },
    };
    // 864,000 syncs a day, evenly: 10 a second, 20 write units on the table and 10 on gsi1 a second.
    const even = {
      ...month,
      perDay: { ...month.perDay, ...{ refresh: 0, poll: 0, 'mx-webhook': 0, report: 0, 'reconcile-turn': 0, sync: 864_000 } },
    };
    const shaped: MonthAtScale = {
      ...even,
      throughput,
      shape: { waveHours: 6, peakFactor: 1, wave: {}, app: {}, even: { sync: 864_000 } },
    };
    const cost = monthlyCost(indexed, shaped);
    // At 50 %: the table 40, gsi1 20, gsi2 its minimum 1, all day; reads at their minimum (3 parts × 1).
    expect(line(cost, 'DynamoDB writes')).toBeCloseTo((40 + 20 + 1) * 24 * 30.4 * 0.00065, 9);
    expect(line(cost, 'DynamoDB reads')).toBeCloseTo(3 * 24 * 30.4 * 0.00013, 9);
    const onDemand = line(monthlyCost(indexed, even), 'DynamoDB writes');
    expect(onDemand).toBeCloseTo(864_000 * 30.4 * 3 * 0.625e-6, 9);
    expect(cost.lines.find((l) => l.item === 'DynamoDB writes')!.basis).toContain(`on-demand $${Math.round(onDemand)}`);
  });
});

describe('partitionKind', () => {
  it.each([
    ['ACTIVE#3', 'ACTIVE#{n}'],
    ['WEBHOOK#wh_abc#12', 'WEBHOOK#{id}#{n}'],
    ['WEBHOOK#wh_abc', 'WEBHOOK#{id}'],
    ['JOB#job_x1', 'JOB#{id}'],
    ['USER#cost-1#TXN', 'USER#{id}#TXN'],
    ['MXPUSH', 'MXPUSH'],
  ])('%s is a %s', (partition, kind) => expect(partitionKind(partition)).toBe(kind));
});
