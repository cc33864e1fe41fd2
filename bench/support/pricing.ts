/**
 * AWS list prices used for the cost estimate in BENCHMARKS.md — assumptions, not quotes: us-east-1, arm64 Lambda,
 * on-demand DynamoDB, SQS standard queues, HTTP API, as published on the AWS pricing pages (checked 2025; DynamoDB
 * on-demand after the November 2024 price cut), first pricing tier (HTTP API's second where a month reaches it), free
 * tiers ignored.
 */
export const PRICES = {
  lambdaPerMillionRequests: 0.2,
  /** arm64, first 7.5 billion GB-s per month. */
  lambdaPerGbSecond: 0.0000133334,
  /** Standard queue; one request per 64 KB chunk. */
  sqsPerMillionRequests: 0.4,
  dynamoPerMillionWriteUnits: 0.625,
  dynamoPerMillionReadUnits: 0.125,
  /** Provisioned capacity, a unit's hour (https://aws.amazon.com/dynamodb/pricing/provisioned/). */
  dynamoPerWcuHour: 0.00065,
  dynamoPerRcuHour: 0.00013,
  /** HTTP API, first 300 million requests per month; metered in 512 KB increments. */
  httpApiPerMillionRequests: 1.0,
  /** HTTP API, the month's requests past the first 300 million, and past a billion. */
  httpApiPerMillionPast300M: 0.9,
  httpApiPerMillionPastBillion: 0.8,
  /** CloudWatch Logs ingestion (standard class). */
  logsPerGbIngested: 0.5,
  logsPerGbMonthStored: 0.03,
  /** Standard table class; point-in-time recovery (continuous backups) billed on the table's size. */
  dynamoPerGbMonth: 0.25,
  dynamoPitrPerGbMonth: 0.2,
  /** First 10,000 metrics; a metric is a name with one combination of dimension values. */
  customMetricPerMonth: 0.3,
  alarmPerMonth: 0.1,
  dashboardPerMonth: 3,
  /** Lambda's SQS event source long-polls each queue (20 s waits) with about five pollers: ~648,000 receives a month. */
  emptyReceivesPerQueueMonth: 648_000,
  kmsKeyPerMonth: 1,
  kmsPerMillionRequests: 3,
  secretPerMonth: 0.4,
  secretsPerMillionCalls: 5,
  /** To the internet, after the first 100 GB a month. */
  transferOutPerGb: 0.09,
  /** A NAT gateway's hour, and each GB it processes (either way). */
  natGatewayPerHour: 0.045,
  natPerGbProcessed: 0.045,
  /** A public IPv4 address (an Elastic IP) in use, an hour. */
  publicIpv4PerHour: 0.005,
} as const;

/** Assumed latencies of calls inside AWS, for the "in AWS" duration scenario (the local run measures loopback). */
export const ASSUMED_AWS_LATENCY_MS = {
  dynamo: 5,
  sqs: 10,
  mx: 200,
  webhook: 100,
} as const;

/**
 * Lambda gives a function CPU in proportion to its memory, one vCPU at 1,769 MB (AWS Lambda developer guide, "Memory
 * and computing power"): CPU work that takes a second of a full core runs 1769 / M seconds at M MB, so it is billed
 * 1769 / 1024 GB-s at any size up to that, whatever the memory.
 */
export const LAMBDA_MB_PER_VCPU = 1769;

/** A month's HTTP API requests at its tiers: $1 a million up to 300 million, $0.90 up to a billion, $0.80 past it. */
export const httpApiMonthUsd = (requests: number): number =>
  (Math.min(requests, 300e6) * PRICES.httpApiPerMillionRequests +
    Math.min(Math.max(requests - 300e6, 0), 700e6) * PRICES.httpApiPerMillionPast300M +
    Math.max(requests - 1e9, 0) * PRICES.httpApiPerMillionPastBillion) /
  1e6;
