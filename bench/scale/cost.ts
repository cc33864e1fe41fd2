import { FUNCTION_SPECS } from '../../infra/constructs/function-specs.ts';
import { table } from '../support/report.ts';
import { LAMBDA_MB_PER_VCPU, PRICES } from '../support/pricing.ts';
import { fmt, sum } from '../support/stats.ts';
import { sharedTotal } from './job-figures.ts';
import type { Counted, JobCounters } from './meters.ts';

/** Issue 20's target for the cost of one million aggregations, in dollars. */
export const COST_TARGET_PER_MILLION = 15;

export interface CostRow {
  item: string;
  perJob: string;
  unit: string;
  price: string;
  /** Dollars per 1M aggregations. */
  usd: number;
}

/** The cost of one million aggregations at the run's figures, and what it is made of. */
export interface ScaleCost {
  /** The items of the total, in the table's order. */
  rows: CostRow[];
  total: number;
  /** The cost table (Markdown): the rows, the total, and the log ingestion outside it. */
  table: string;
  stackCpuSeconds: number;
  /** Lambda GB-seconds in all: waiting (modelled) and CPU (measured). */
  gbSeconds: number;
  /** Write units in all, shared ones included. */
  wru: number;
  /** SQS requests with the empty receives, and without them. */
  sqsRequests: number;
  sqsRequestsBusy: number;
  /** What the EMF metric lines cost as log ingestion, $ per 1M aggregations. */
  metricsCost: number;
  /** What each extra 10 ms per invocation would add, $ per 1M aggregations. */
  perExtra10ms: number;
}

/**
 * The cost per 1M aggregations from the counted figures (a pure function of them): Lambda requests, Lambda duration
 * (the modelled waiting on calls in AWS plus the stack's measured CPU, billed as Lambda runs it below one vCPU), SQS,
 * DynamoDB, the HTTP API and the metrics' log ingestion, at the assumed prices of pricing.ts.
 */
export function scaleCost(
  counted: Pick<Counted, 'functions' | 'unattributed' | 'logs'>,
  perJob: readonly JobCounters[],
  stackCpu: NodeJS.CpuUsage,
): ScaleCost {
  const { functions, unattributed, logs } = counted;
  const jobs = perJob.length;
  const perMillion = 1_000_000 / jobs;
  const stackCpuSeconds = (stackCpu.user + stackCpu.system) / 1e6;
  let lambdaRequests = 0;
  let gbSecondsWaiting = 0;
  for (const [name, c] of [...functions].sort()) {
    const memoryGb = FUNCTION_SPECS[name].memorySize / 1024;
    lambdaRequests += c.invocations;
    gbSecondsWaiting += (c.waitingMs / 1000) * memoryGb;
  }
  // CPU: the stack process's CPU time per job (handlers, and also the local gateway, pollers and client: an upper
  // bound), billed as a Lambda below one vCPU runs it (LAMBDA_MB_PER_VCPU).
  const gbSecondsCpu = stackCpuSeconds * (LAMBDA_MB_PER_VCPU / 1024);
  const gbSeconds = gbSecondsWaiting + gbSecondsCpu;
  const apiRequests = functions.get('api-refresh')?.invocations ?? 0;
  const sqsRequests =
    sum(perJob.map((c) => c.sqsSent)) +
    [...unattributed].filter(([k]) => /^(Send|Receive|DeleteMessageBatch)/.test(k)).reduce((t, [, c]) => t + c.calls, 0);
  const sqsRequestsBusy =
    sum(perJob.map((c) => c.sqsSent)) +
    [...unattributed]
      .filter(([k]) => /^(Send|DeleteMessageBatch)/.test(k) || (k.startsWith('ReceiveMessage') && !k.includes('empty')))
      .reduce((t, [, c]) => t + c.calls, 0);
  const wru = sum(perJob.map((c) => c.wru)) + sharedTotal(unattributed, 'wru');
  const rru = sum(perJob.map((c) => c.rru)) + sharedTotal(unattributed, 'rru');
  const rows: CostRow[] = [
    {
      item: 'Lambda requests',
      perJob: fmt(lambdaRequests / jobs, 3),
      unit: 'invocations',
      price: `$${PRICES.lambdaPerMillionRequests} / 1M`,
      usd: (lambdaRequests / jobs) * PRICES.lambdaPerMillionRequests,
    },
    {
      item: 'Lambda duration (arm64): waiting on DynamoDB, SQS, MX, webhooks (modelled)',
      perJob: fmt(gbSecondsWaiting / jobs, 4),
      unit: 'GB-s',
      price: `$${PRICES.lambdaPerGbSecond} / GB-s`,
      usd: gbSecondsWaiting * perMillion * PRICES.lambdaPerGbSecond,
    },
    {
      item: 'Lambda duration (arm64): CPU (measured)',
      perJob: fmt(gbSecondsCpu / jobs, 4),
      unit: 'GB-s',
      price: `$${PRICES.lambdaPerGbSecond} / GB-s`,
      usd: gbSecondsCpu * perMillion * PRICES.lambdaPerGbSecond,
    },
    {
      item: 'SQS requests (sends + non-empty receives + delete batches)',
      perJob: fmt(sqsRequestsBusy / jobs, 2),
      unit: 'requests',
      price: `$${PRICES.sqsPerMillionRequests} / 1M`,
      usd: (sqsRequestsBusy / jobs) * PRICES.sqsPerMillionRequests,
    },
    {
      item: 'DynamoDB writes (on-demand)',
      perJob: fmt(wru / jobs, 2),
      unit: 'WRU',
      price: `$${PRICES.dynamoPerMillionWriteUnits} / 1M`,
      usd: (wru / jobs) * PRICES.dynamoPerMillionWriteUnits,
    },
    {
      item: 'DynamoDB reads (on-demand)',
      perJob: fmt(rru / jobs, 2),
      unit: 'RRU',
      price: `$${PRICES.dynamoPerMillionReadUnits} / 1M`,
      usd: (rru / jobs) * PRICES.dynamoPerMillionReadUnits,
    },
    {
      item: 'API Gateway HTTP API requests',
      perJob: fmt(apiRequests / jobs, 2),
      unit: 'requests',
      price: `$${PRICES.httpApiPerMillionRequests} / 1M`,
      usd: (apiRequests / jobs) * PRICES.httpApiPerMillionRequests,
    },
  ];
  const ingestionCost = (bytes: number) => (bytes / jobs) * 1_000_000 * (PRICES.logsPerGbIngested / 1024 ** 3);
  const metricsCost = ingestionCost(logs.emfBytes);
  rows.push({
    item: `CloudWatch metrics: EMF lines (${fmt(logs.emfLines / jobs, 1)} per aggregation), ingested as logs`,
    perJob: fmt(logs.emfBytes / jobs, 0),
    unit: 'bytes',
    price: `$${PRICES.logsPerGbIngested} / GB`,
    usd: metricsCost,
  });
  const total = sum(rows.map((r) => r.usd));
  return {
    rows,
    total,
    table: table(
      ['item', 'per aggregation (measured)', 'unit', 'price (assumed)', '$ per 1M aggregations'],
      [
        ...rows.map((r) => [r.item, r.perJob, r.unit, r.price, fmt(r.usd, 2)]),
        ['**total**', '', '', '', `**${fmt(total, 2)}**`],
        [
          'CloudWatch Logs ingestion at INFO (outside the list asked for)',
          fmt(logs.bytes / jobs, 0),
          'bytes',
          `$${PRICES.logsPerGbIngested} / GB`,
          fmt(ingestionCost(logs.bytes), 2),
        ],
        [
          'API access log ingestion (outside the list asked for)',
          fmt(logs.accessLogBytes / jobs, 0),
          'bytes',
          `$${PRICES.logsPerGbIngested} / GB`,
          fmt(ingestionCost(logs.accessLogBytes), 2),
        ],
      ],
    ),
    stackCpuSeconds,
    gbSeconds,
    wru,
    sqsRequests,
    sqsRequestsBusy,
    metricsCost,
    perExtra10ms: (lambdaRequests / jobs) * 0.01 * 0.5 * 1_000_000 * PRICES.lambdaPerGbSecond,
  };
}
