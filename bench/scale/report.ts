import { FUNCTION_SPECS } from '../../infra/constructs/function-specs.ts';
import { REPLACE_BATCH } from '../../lib/aggregation/institution-stats-repo.ts';
import { type LedgerBaseline, perJobCallTable } from '../support/call-ledger.ts';
import { ASSUMED_AWS_LATENCY_MS, LAMBDA_MB_PER_VCPU, PRICES } from '../support/pricing.ts';
import { judge, type TargetCheck, table, withInterval } from '../support/report.ts';
import { bootstrapInterval, fmt, max, mean, median, min, quantile, seededRandom, sum } from '../support/stats.ts';
import { COST_TARGET_PER_MILLION, type ScaleCost } from './cost.ts';
import type { BlockCost } from './cost-blocks.ts';
import type { CpuWindow } from './cpu-window.ts';
import { type JobFigures, sharedTotal } from './job-figures.ts';
import type { MachineUsage } from './machine-usage.ts';
import type { Counted, JobCounters } from './meters.ts';
import type { ScaleWorkload } from './workload.ts';

/** How far the run's noise moves the cost: its tenths resampled (the CPU, the batching of receives and invocations). */
function costNoise(m: ScaleMeasurements) {
  const { total } = m.cost;
  // Each block weighs its jobs: the resampled run's cost per job, moved from the run's own by as much.
  const perJob = (blocks: readonly BlockCost[]) => sum(blocks.map((b) => b.usd * b.jobs)) / sum(blocks.map((b) => b.jobs));
  const costInterval = bootstrapInterval((draw) => total + perJob(draw(m.blockCosts)) - perJob(m.blockCosts), seededRandom(20));
  return { costInterval, costVerdict: judge(total, costInterval, COST_TARGET_PER_MILLION, 'at most') };
}

/** Everything the scale run measured, as the report reads it. */
export interface ScaleMeasurements {
  workload: ScaleWorkload;
  counted: Counted;
  figures: JobFigures;
  cost: ScaleCost;
  refreshes: {
    /** Refreshes answered 202 with a job. */
    accepted: number;
    /** Refreshes answered otherwise. */
    refused: number;
    /** Each refresh's response time, ms. */
    latencies: readonly number[];
    /** From the first refresh to the last answer, s. */
    seconds: number;
  };
  /** What the client app received. */
  received: { started: number; rejected: number; notified: number };
  /** From the first refresh to the last terminal webhook, s. */
  wallSeconds: number;
  usage: MachineUsage;
  window: CpuWindow;
  /** The simulator's own count of the MX calls it answered. */
  simCalls: Record<string, number>;
  baseline: LedgerBaseline | undefined;
  /** The cost per 1M aggregations of each tenth of the run (cost-blocks.ts), in order, with its jobs. */
  blockCosts: readonly BlockCost[];
}

/**
 * The scale section of BENCHMARKS.md and its target checks: a pure function of the measurements, so the same run
 * always reads the same.
 */
export function scaleReport(m: ScaleMeasurements): { markdown: string; checks: TargetCheck[] } {
  return { markdown: scaleMarkdown(m), checks: targetChecks(m) };
}

/** Lost and duplicate webhooks, the metrics' share of the cost, the cost against issue 20's target. */
export function targetChecks(m: ScaleMeasurements): TargetCheck[] {
  const { jobsTotal, timeoutMs } = m.workload;
  const { jobs, lost, duplicateJobs, redelivered } = m.figures;
  const { total, wru, metricsCost } = m.cost;
  const { accepted, refused } = m.refreshes;
  const { peakRss } = m.usage;
  const { emfBytes, emfSingleMetricBytes } = m.counted.logs;
  const { notified } = m.received;
  const { wallSeconds } = m;
  const metricsShare = metricsCost / total;
  const { costInterval, costVerdict } = costNoise(m);
  return [
    {
      target: `Scale: ${jobsTotal} refreshes, zero lost terminal webhooks`,
      measured:
        `${lost} lost (${notified}/${accepted} started jobs notified, ${refused} refreshes refused` +
        (accepted < jobsTotal
          ? `; only ${accepted} of ${jobsTotal} refreshes sent within the ${timeoutMs / 60_000}-min limit`
          : '') +
        ')',
      met: lost === 0 && refused === 0 && accepted === jobsTotal,
    },
    {
      target: `Scale: zero duplicate terminal webhooks`,
      measured: `${duplicateJobs} jobs with > 1 terminal event, ${redelivered} webhook-ids delivered twice`,
      met: duplicateJobs === 0 && redelivered === 0,
    },
    {
      target: 'Scale: metrics (EMF) add under 10 % of the cost per 1M aggregations',
      measured: `$${fmt(metricsCost, 2)} of $${fmt(total, 2)} (${fmt(metricsShare * 100, 1)} %), ${fmt(emfBytes / jobs, 0)} bytes per aggregation`,
      met: metricsShare < 0.1,
    },
    {
      target:
        "Scale: metrics as Powertools' singleMetric() lines, one per value (decision 0019; no target): bytes per aggregation, at least",
      measured: `${fmt(emfSingleMetricBytes / jobs, 0)} against ${fmt(emfBytes / jobs, 0)} grouped (${fmt(emfSingleMetricBytes / emfBytes, 1)}×), $${fmt(metricsCost * (emfSingleMetricBytes / emfBytes), 2)} against $${fmt(metricsCost, 2)} per 1M aggregations (${fmt(((metricsCost * (emfSingleMetricBytes / emfBytes - 1)) / total) * 100, 1)} % of the cost more)`,
      met: true,
      info: true,
    },
    {
      target: `Scale: cost per 1M aggregations ≤ $${COST_TARGET_PER_MILLION} (issue 20)`,
      measured:
        withInterval(`$${fmt(total, 2)}`, costInterval, (usd) => `$${fmt(usd, 2)}`) +
        ` over ${m.blockCosts.length} tenths of the run (${m.blockCosts.map((b) => `$${fmt(b.usd, 2)}`).join(', ')}), resampled: this run's noise, not another hour's machine; DynamoDB writes $${fmt((wru / jobs) * PRICES.dynamoPerMillionWriteUnits, 2)}: ${fmt(wru / jobs, 1)} WRU per job`,
      ...costVerdict,
    },
    {
      target: 'Scale: wall time, peak RSS, cost per 1M aggregations (no target)',
      measured: `${fmt(wallSeconds, 0)} s, ${fmt((peakRss.parent + peakRss.remote) / 1024 ** 2, 0)} MiB, $${fmt(total, 2)} per 1M`,
      met: true,
      info: true,
    },
  ];
}

/** What bounds the wall time: the stack process's CPU (measured), and where it goes (the profiled window). */
function whatBoundsWallTime(m: ScaleMeasurements): string {
  const { jobs, perJob } = m.figures;
  const { stackCpuSeconds } = m.cost;
  const { remoteCpuMs } = m.usage;
  const { wallSeconds, window } = m;
  const stackCpuShare = stackCpuSeconds / wallSeconds;
  const windowTotal = sum([...window.owners.values()]);
  const windowPerJob = window.jobs > 0 ? window.cpuMs / window.jobs : Number.NaN;
  const windowOwners = [...window.owners]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([owner, ms]) => `${owner} ${fmt((ms / windowTotal) * 100, 0)} %`)
    .join(', ');
  return (
    `**What bounds the wall time:** the stack process's CPU — ${fmt(stackCpuSeconds, 0)} s over ${fmt(wallSeconds, 0)} s (${fmt(stackCpuShare * 100, 0)} % of its core), ` +
    `${fmt((stackCpuSeconds * 1000) / jobs, 1)} ms per job: every handler, the gateway, the pollers and the client share one Node process, as they share one core here, so a job's refresh ` +
    "waits behind the others' work (refresh p50 above): with the core near full, more concurrent refreshes would only queue longer. " +
    (window.jobs > 0
      ? `Where that CPU goes (CPU profile of the stack over 20 s of steady state, ${window.jobs.toLocaleString('en-US')} jobs, ${fmt(windowPerJob, 1)} ms of CPU per job; self time by owner; \`.local/bench/scale-window.cpuprofile\`): ${windowOwners}. `
      : '') +
    'The AWS SDK work is per call (building, signing, sending and parsing each DynamoDB and SQS request): the per-job call table below is the lever — ' +
    `${fmt(mean(perJob.map((c) => c.ddbWrites)), 1)} writes and ${fmt(mean(perJob.map((c) => c.ddbReads)), 1)} reads on the job's own items, the shared reads (webhooks, sessions) and the SQS sends; the engines (dynalite, fauxqs, the simulator) took ` +
    `${fmt(remoteCpuMs / 1000, 0)} s of CPU on the other core.`
  );
}

/** The cost per 1M aggregations against its target, where it goes, and what was tried to lower it. */
function whereTheCostGoes(m: ScaleMeasurements): { sharesOfCost: string; costProfile: string } {
  const { jobs } = m.figures;
  const { total, wru, rows: costRows } = m.cost;
  const { ledger } = m.counted;
  const sharesOfCost = costRows
    .map((r) => ({ item: r.item, share: r.usd / total }))
    .sort((a, b) => b.share - a.share)
    .slice(0, 3)
    .map((r) => `${r.item} ${fmt(r.share * 100, 0)} %`)
    .join(', ');
  const topWrites = ledger.rows
    .filter((row) => row.wru > 0)
    .sort((a, b) => b.wru - a.wru)
    .slice(0, 6)
    .map(
      (row) =>
        `\`${row.operation}\` in ${row.fn} ${fmt(row.wru / jobs, 2)}${row.indexWru > 0 ? ` (${fmt(row.indexWru / jobs, 2)} of it index entries)` : ''}`,
    )
    .join(', ');
  const { costInterval, costVerdict } = costNoise(m);
  const costHeading = costVerdict.undecided
    ? `**Undecided: $${fmt(total, 2)} against $${COST_TARGET_PER_MILLION}, within this run's noise ($${fmt(costInterval.low, 2)}–$${fmt(costInterval.high, 2)}). What dominates:**`
    : total > COST_TARGET_PER_MILLION
      ? `**Missed: $${fmt(total, 2)} against $${COST_TARGET_PER_MILLION}. What dominates:**`
      : `**Met: $${fmt(total, 2)} against $${COST_TARGET_PER_MILLION} ($${fmt(COST_TARGET_PER_MILLION - total, 2)} to spare). Where it goes:**`;
  const costProfile =
    `${costHeading} ${sharesOfCost}. The write units per job, largest first: ${topWrites}. ` +
    'Every write is already one unit (items under 1 KB, keys-only indexes, no write a read could replace); what is left is one write per state change the guarantees need — ' +
    "a job's create (once MX has answered: the start is in it) and end, its member's pointer (claimed and released: the one-active-job rule and the sweeper's worklist); per event and webhook a delivery created, " +
    'its attempt claimed (so a duplicate message never sends twice) and recorded — and the index entries that let the API list jobs and deliveries. ' +
    "Tried and measured here: keys-only indexes, deflated payloads, no 'notified' write, cached webhooks for the delivery worker, institution durations written " +
    `${REPLACE_BATCH} to a write once their list is full, ` +
    'the active-job pointers kept in sharded table partitions rather than an index, deliveries without a due-index entry unless the sweeper finds them unsettled (it reads each log once instead), ' +
    `the job written once MX has answered (no separate start record) (53.3 → ${fmt(wru / jobs, 1)} WRU per job); the functions on the aggregation path at 256 MB. ` +
    'Not done: caching the webhook list per container (a new webhook would miss the events of its first seconds); ' +
    'the rest (Lambda, SQS, API Gateway) is per request and already one of each per step.';
  return { sharesOfCost, costProfile };
}

/** Per function: memory, invocations per job, calls and modelled waiting per invocation, local wall time. */
function lambdaRows(m: ScaleMeasurements): (string | number)[][] {
  const { jobs } = m.figures;
  return [...m.counted.functions]
    .sort()
    .map(([name, c]) => [
      `\`${name}\``,
      FUNCTION_SPECS[name].memorySize,
      fmt(c.invocations / jobs, 3),
      `${fmt(c.dynamo / c.invocations, 1)} / ${fmt(c.sqs / c.invocations, 1)} / ${fmt(c.mx / c.invocations, 1)} / ${fmt(c.webhooks / c.invocations, 1)}`,
      fmt(c.waitingMs / c.invocations, 0),
      `${fmt(median(c.ms), 0)} / ${fmt(quantile(c.ms, 0.99), 0)}`,
    ]);
}
/**
 * The section: what the run showed (targets, method, wall time, webhooks), then per job (calls by operation and
 * their spread), then Lambda and the cost per 1M aggregations.
 */
function scaleMarkdown(m: ScaleMeasurements): string {
  return [...runSummary(m), '', ...perJobCalls(m), '', ...lambdaAndCost(m)].join('\n');
}

/** Targets, method, wall time and resources, what bounds the wall time, and what the client app received. */
function runSummary(m: ScaleMeasurements): string[] {
  const { jobsTotal, users, membersPerUser, driverConcurrency, maxInFlight, deliveryStallS } = m.workload;
  const { jobs, lost, duplicateJobs, redelivered } = m.figures;
  const { repolledByStatus, sweeps } = m.counted;
  const { accepted, latencies: refreshLatencies, seconds: refreshSeconds } = m.refreshes;
  const { started, rejected, notified } = m.received;
  const { stackCpu: cpu, remoteCpuMs, peakRss } = m.usage;
  const { wallSeconds } = m;
  return [
    `**Targets:** ${jobsTotal.toLocaleString('en-US')} refreshes end with exactly one terminal webhook each — none lost, none duplicated. Wall time, peak memory, calls per job and the cost per 1M aggregations are reported.`,
    '',
    `**Method:** real time, no ManualClock. The local stack's parts as \`startLocalStack\` wires them — \`startGateway\` (lib/route-table.ts → the handler exports), \`startPoller\` for the poll queue (2 loops) and the delivery queue (4 loops), batches of 10, ` +
      `the sweeper every 60 s with a ${deliveryStallS} s delivery stall window, and once more that long after the last terminal webhook (so the sweeps read every delivery of the run once, as deployed), \`LOG_LEVEL=INFO\` (output counted, not printed) — with dynalite, fauxqs and the MX simulator moved to a child process so the engines get their own core ` +
      `(\`startLocalStack\` runs everything on one). ${users.toLocaleString('en-US')} users × ${membersPerUser} members on the simulator, each aggregation scripted as the simulator's default (2 s, CONNECTED), each member recorded as seen (as the relay records it when MX announces its first aggregation: a member's first refresh of all reads it once more, decision 0025, once in its life), ` +
      `so each job is: refresh → first poll 3 s later finds it done → terminal event. A webhook points at a client endpoint that verifies every delivery with \`standardwebhooks\`. ` +
      `${driverConcurrency} concurrent \`POST /users/{user}/members/{member}/refresh\` through the gateway, never more than ${maxInFlight} jobs between refresh and terminal webhook (so the run goes at the rate the stack sustains instead of piling up a queue backlog). DynamoDB and SQS calls are counted in the SDK (prototypes patched) and attributed to the job their key or body names; ` +
      "DynamoDB capacity units are dynalite's size-based count of each item (1 KB per write unit, 4 KB per read unit, half for an eventually consistent read), plus for every write the units DynamoDB charges its global secondary indexes, which dynalite does not count: taught to it by `bench/support/dynalite-capacity.ts` (an entry put or deleted costs its projection's size, a changed index key both, a changed projected attribute one write, anything else nothing); MX calls are counted on the wire.",
    '',
    table(
      [
        'wall time (first refresh → last terminal webhook)',
        'refreshes accepted in',
        'refresh p50 / p99',
        'peak RSS: stack / engines + simulator',
        'CPU: stack / engines + simulator',
      ],
      [
        [
          `**${fmt(wallSeconds, 1)} s** (${fmt(jobs / wallSeconds, 0)} jobs/s)`,
          `${fmt(refreshSeconds, 1)} s`,
          `${fmt(median(refreshLatencies), 0)} / ${fmt(quantile(refreshLatencies, 0.99), 0)} ms`,
          `${fmt(peakRss.parent / 1024 ** 2, 0)} MiB / ${fmt(peakRss.remote / 1024 ** 2, 0)} MiB`,
          `${fmt((cpu.user + cpu.system) / 1e6, 0)} s / ${fmt(remoteCpuMs / 1000, 0)} s`,
        ],
      ],
    ),
    '',
    whatBoundsWallTime(m),
    '',
    table(
      ['webhooks', 'count'],
      [
        ['jobs started (202)', accepted],
        ['`aggregation.started` received', started],
        ['jobs with a terminal webhook', notified],
        ['**lost** (job without a terminal webhook)', `**${lost}**`],
        ['**duplicates** (jobs with > 1 terminal event / webhook-ids received twice)', `**${duplicateJobs} / ${redelivered}**`],
        ['deliveries that failed verification', rejected],
        [
          "sweeper runs / jobs it re-polled (by the job's status when re-polled)",
          `${sweeps.length} / ${sum(sweeps.map((r) => r.repolled))} (${[...repolledByStatus].map(([k, v]) => `${k} ${v}`).join(', ') || 'none'})`,
        ],
        [
          `deliveries the sweeps found unsettled ${deliveryStallS} s after publication / re-drove`,
          `${sum(sweeps.map((r) => r.tracked))} / ${sum(sweeps.map((r) => r.redelivered))}`,
        ],
      ],
    ),
    '',
    [...repolledByStatus].some(([status]) => status !== 'aggregating')
      ? `**Sweeper re-polls of finished jobs:** ${[...repolledByStatus].filter(([k]) => k !== 'aggregating').reduce((t, [, v]) => t + v, 0)} re-polls hit jobs that had ended but whose terminal event was still being published. ` +
        '`Sweeper.sweep` treats "terminal and not yet notified" as lost at once, with no age threshold, so every sweep re-polls the jobs finishing while it scans (harmless: publishing is idempotent, no duplicate reached the client — but each costs a poll message, a worker invocation and reads). ' +
        'Cheap fix (lib/aggregation/sweeper.ts, not made here): apply `STALLED_AFTER_MS` to that case too (`now > (job.finishedAt ?? job.updatedAt) + STALLED_AFTER_MS`).'
      : '',
  ];
}

/** Every call per job by function and operation, the spread over jobs, MX calls, and the calls no job names. */
function perJobCalls(m: ScaleMeasurements): string[] {
  const { perJob, jobs } = m.figures;
  const { total } = m.cost;
  const { unattributed, ledger, mxByRoute } = m.counted;
  const { simCalls, baseline } = m;
  const totalOther = (key: keyof JobCounters) => sharedTotal(unattributed, key);
  const dist = (pick: (c: JobCounters) => number) => {
    const values = perJob.map(pick);
    return [fmt(min(values), 0), fmt(median(values), 0), fmt(max(values), 0), fmt(mean(values), 2)];
  };
  const mxTotal = sum([...mxByRoute.values()]);
  const jobWru = sum(perJob.map((c) => c.wru)) / jobs;
  const otherRows = [...unattributed]
    .sort((a, b) => b[1].calls - a[1].calls)
    .map(([category, c]) => [
      category,
      c.calls,
      fmt(c.calls / jobs, 3),
      c.failedConditions,
      fmt(c.wru / jobs, 3),
      fmt(c.rru / jobs, 3),
    ]);
  const stats = unattributed.get('institution duration stats');
  return [
    '### Per job, by operation: every DynamoDB call and SQS send, per aggregation',
    '',
    'Each call is named by the function it ran in and the repository or queue method that made it (`bench/support/operation-labels.ts` wraps their methods); ' +
      'calls of all jobs and the shared ones (sessions, webhooks, institution stats, sweeps) divided by the jobs. Write units include the indexes the write touched (in parentheses); ' +
      'a failed conditional write counts 1 unit.' +
      (baseline
        ? ` **Before:** commit \`${baseline.commit}\`, measured ${baseline.measuredAt} by this benchmark (${baseline.jobs.toLocaleString('en-US')} jobs, $${fmt(baseline.costPerMillion, 2)} per 1M aggregations); **now:** this run ($${fmt(total, 2)}).`
        : ''),
    '',
    perJobCallTable(ledger.rows, jobs, baseline),
    '',
    '### Per job (attributed calls; min / median / max / mean)',
    '',
    table(
      ['per job', 'min', 'median', 'max', 'mean'],
      [
        ['DynamoDB writes (Put/Update/Delete, incl. failed conditions)', ...dist((c) => c.ddbWrites)],
        ['DynamoDB reads (Get/Query)', ...dist((c) => c.ddbReads)],
        ['DynamoDB write units (item + its indexes)', ...dist((c) => c.wru)],
        ['SQS messages sent (poll steps + webhook deliveries)', ...dist((c) => c.sqsSent)],
        ['MX calls naming the member (aggregate + member reads)', ...dist((c) => c.mxCalls)],
      ],
    ),
    '',
    `MX calls in all: ${[...mxByRoute]
      .sort()
      .map(([k, v]) => `\`${k}\` ×${v}`)
      .join(', ')} — ${fmt(mxTotal / jobs, 2)} per job ` +
      `(simulator's own count: ${Object.entries(simCalls)
        .sort()
        .map(([k, v]) => `${k} ×${v}`)
        .join(', ')}).`,
    '',
    'Calls no job key names (amortized per job):',
    '',
    table(['category', 'calls', 'per job', 'failed conditions', 'WRU per job', 'RRU per job'], otherRows),
    '',
    stats
      ? `**Institution stats (formerly the hot item):** every successful job records its duration in the one \`INSTITUTION#…/STATS\` item of its institution — all ${jobs.toLocaleString('en-US')} jobs here at MX Bank. ` +
        'Recording is an `UpdateItem` and no read (`InstitutionStatsRepository.record`): `list_append` while the list holds fewer than 50 samples, then writes over random slots of the 50 (a random-replacement reservoir), ' +
        `${REPLACE_BATCH} samples to a write once a container has seen the list full, so writers never lose to each other: ${fmt(stats.calls / jobs, 2)} calls and ${fmt(stats.wru / jobs, 2)} WRU per job, ${stats.failedConditions.toLocaleString('en-US')} failed condition(s) ` +
        `(a container's appends that met the list just filled; each then writes a slot), ${fmt((stats.wru / (jobWru * jobs + totalOther('wru'))) * 100, 0)} % of all write units. ` +
        '(Before: a consistent GetItem + a version-conditional PutItem, up to 3 tries — 5.26 calls per job and 22,870 lost conditional puts in the 10,000-job run, samples dropped after 3 losses.)'
      : '',
  ];
}

/** Each function's invocations, the cost table, where the cost goes, and the prices and model behind it. */
function lambdaAndCost(m: ScaleMeasurements): string[] {
  const { perJob, jobs } = m.figures;
  const { gbSeconds, perExtra10ms, sqsRequests, sqsRequestsBusy, stackCpuSeconds, table: costTable } = m.cost;
  const { unattributed } = m.counted;
  const { sharesOfCost, costProfile } = whereTheCostGoes(m);
  const totalOther = (key: keyof JobCounters) => sharedTotal(unattributed, key);
  const jobWru = sum(perJob.map((c) => c.wru)) / jobs;
  return [
    '### Lambda invocations (measured in the local run)',
    '',
    table(
      [
        'function',
        'memory, MB',
        'invocations / job',
        'DynamoDB / SQS / MX / webhook calls per invocation',
        'waiting per invocation in AWS (model), ms',
        'local wall time p50 / p99, ms (shares one CPU: not a Lambda duration)',
      ],
      lambdaRows(m),
    ),
    '',
    `### Cost per 1M aggregations (us-east-1, arm64; prices are assumptions)`,
    '',
    costTable,
    '',
    costProfile,
    '',
    `Lambda: ${fmt(gbSeconds / jobs, 4)} GB-s per aggregation in all. The largest items: ${sharesOfCost}. Per job: ${fmt(jobWru, 1)} WRU on the job's own items (job, active pointer, its deliveries, with their index entries) plus ${fmt(totalOther('wru') / jobs, 1)} WRU shared (sessions, institution stats).`,
    '',
    `Prices (assumed, us-east-1 list prices, first tier, free tiers ignored): Lambda $${PRICES.lambdaPerMillionRequests} per 1M requests and $${PRICES.lambdaPerGbSecond} per GB-s (arm64); ` +
      `SQS standard $${PRICES.sqsPerMillionRequests} per 1M requests; DynamoDB on-demand $${PRICES.dynamoPerMillionWriteUnits} per 1M WRU and $${PRICES.dynamoPerMillionReadUnits} per 1M RRU; ` +
      `HTTP API $${PRICES.httpApiPerMillionRequests} per 1M requests; CloudWatch Logs $${PRICES.logsPerGbIngested} per GB ingested. ` +
      `Memory per function from \`infra/constructs/function-specs.ts\`. Lambda duration = time waiting on calls, modelled from the calls each invocation made (measured) × assumed in-AWS latencies — ` +
      `DynamoDB ${ASSUMED_AWS_LATENCY_MS.dynamo} ms, SQS ${ASSUMED_AWS_LATENCY_MS.sqs} ms, MX ${ASSUMED_AWS_LATENCY_MS.mx} ms, webhook POST ${ASSUMED_AWS_LATENCY_MS.webhook} ms, one after another within a queue record, an invocation waiting as long as its slowest record (Powertools' BatchProcessor runs a batch's records at once) — ` +
      `plus CPU time, measured: the stack process used ${fmt(stackCpuSeconds, 0)} s of CPU for ${jobs.toLocaleString('en-US')} jobs (${fmt((stackCpuSeconds / jobs) * 1000, 1)} ms per job, which includes the local gateway, pollers and webhook client: an upper bound), billed as Lambda runs it below one vCPU: a function gets CPU in proportion to its memory, a full core at ${LAMBDA_MB_PER_VCPU.toLocaleString('en-US')} MB, so a second of a full core is ${fmt(LAMBDA_MB_PER_VCPU / 1024, 2)} GB-s at any size up to that. ` +
      `Local wall times are not used: in one process the handlers wait for each other's CPU. Each extra 10 ms per invocation adds $${fmt(perExtra10ms, 2)} per 1M aggregations. ` +
      `Lambda's SQS pollers' empty receives are a fixed cost per queue, not per job (${fmt(sqsRequests - sqsRequestsBusy, 0)} empty receives in this run are left out). ` +
      'Not included: data transfer, Secrets Manager reads (once per container), KMS, alarms. One aggregation here is one poll; a slower institution adds per extra poll one worker-poll share, one SQS message, one DynamoDB read and one write (the step), and one MX read.',
  ];
}
