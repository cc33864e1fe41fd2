import { MemberStatesRepository } from '../../lib/aggregation/member-states-repo.ts';
import { ReconcileRepository } from '../../lib/aggregation/reconcile-repo.ts';
import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { FunctionName } from '../../infra/constructs/function-specs.ts';
import { InstitutionStatsRepository } from '../../lib/aggregation/institution-stats-repo.ts';
import { ActiveJobsRepository } from '../../lib/aggregation/active-jobs-repo.ts';
import { AttentionRepository } from '../../lib/aggregation/attention-repo.ts';
import { JobsRepository } from '../../lib/aggregation/jobs-repo.ts';
import { JobOutcomesRepository } from '../../lib/aggregation/job-outcomes-repo.ts';
import { SweepCheckpointsRepository } from '../../lib/notify/sweep-checkpoints-repo.ts';
import type { SweepReport } from '../../lib/aggregation/sweeper.ts';
import { currentLogContext } from '../../lib/log-context.ts';
import { MxPushRepository } from '../../lib/aggregation/mx-push-repo.ts';
import { DynamoSessionStore } from '../../lib/mx/sessions-repo.ts';
import { DeliveriesRepository } from '../../lib/notify/deliveries-repo.ts';
import { WaitingDeliveries } from '../../lib/notify/waiting-deliveries.ts';
import { DeliveryLogReader } from '../../lib/notify/delivery-log.ts';
import { SyncStateRepository } from '../../lib/transactions/sync-state-repo.ts';
import { WebhooksRepository } from '../../lib/notify/webhooks-repo.ts';
import { DelayedQueue } from '../../lib/queue/delayed-queue.ts';
import { ApiKeysRepository } from '../../lib/store/api-keys-repo.ts';
import { TransactionsRepository } from '../../lib/transactions/transactions-repo.ts';
import { type DynamoCall, type SqsCall, installAwsMeter } from '../support/aws-meter.ts';
import { CallLedger } from '../support/call-ledger.ts';
import { labelOperations } from '../support/operation-labels.ts';
import { ASSUMED_AWS_LATENCY_MS } from '../support/pricing.ts';

/** The calls attributed to one job (or to a member, until its job id is known). */
export interface JobCounters {
  ddbWrites: number;
  failedConditions: number;
  ddbReads: number;
  wru: number;
  rru: number;
  sqsSent: number;
  mxCalls: number;
}

export const newCounters = (): JobCounters => ({
  ddbWrites: 0,
  failedConditions: 0,
  ddbReads: 0,
  wru: 0,
  rru: 0,
  sqsSent: 0,
  mxCalls: 0,
});

/** Calls no job names, by what they are for. */
export type CategoryCounters = JobCounters & { calls: number };

export interface FunctionCounters {
  invocations: number;
  ms: number[];
  dynamo: number;
  sqs: number;
  mx: number;
  webhooks: number;
  /** Modelled time waiting on calls in AWS, summed over invocations (see `Invocation`). */
  waitingMs: number;
}

/** What reaches CloudWatch Logs, by kind. */
export interface LogCounters {
  /** The functions' own lines (INFO on stdout, WARN and ERROR on stderr). */
  bytes: number;
  /** EMF metric lines (lib/metrics.ts): metrics are billed as log ingestion. */
  emfBytes: number;
  emfLines: number;
  /**
   * The same values as Powertools' `singleMetric()` would write them, a line per recorded value with its dimensions
   * (decision 0019): at least this, since a summed value stands for one or more adds.
   */
  emfSingleMetricBytes: number;
  /** The API's access log lines (the local gateway writes API Gateway's fields). */
  accessLogBytes: number;
}

/** Everything the meters counted while on. */
export interface Counted {
  /** By job id, or by member guid for calls made before its job id is known. */
  byOwner: Map<string, JobCounters>;
  unattributed: Map<string, CategoryCounters>;
  functions: Map<FunctionName, FunctionCounters>;
  /** Every DynamoDB call and SQS send, by function and operation (the per-job call table). */
  ledger: CallLedger;
  /** MX calls by route. */
  mxByRoute: Map<string, number>;
  logs: LogCounters;
  /** The sweeper's re-polls, by the job's status when re-polled (from its WARN lines). */
  repolledByStatus: Map<string, number>;
  sweeps: SweepReport[];
}

/**
 * One handler invocation: its modelled waiting, per SQS record (Powertools' BatchProcessor runs a batch's records at
 * once, so an invocation waits as long as its slowest record) and outside any record.
 */
interface Invocation {
  name: FunctionName;
  waitingByRecord: Map<string, number>;
}

type Handler<E, C, R> = (event: E, context: C) => Promise<R>;

/**
 * The run's meters, installed together: every DynamoDB and SQS call (the AWS SDK meter, labelled by repository or
 * queue method), every MX call and webhook POST (undici's diagnostics channel), the log bytes the process writes,
 * each function's invocations — and, for each call, the job it belongs to. They count between `start` and `stop`, so
 * the set-up and the drain stay out of the figures; `restore` takes every patch back out.
 */
export interface Meters {
  readonly counted: Counted;
  start(): void;
  stop(): void;
  restore(): void;
  /** `handler`, counted as invocations of the function `name` (its duration and its modelled waiting). */
  invocationsOf<E, C, R>(name: FunctionName, handler: Handler<E, C, R>): Handler<E, C, R>;
  /** Keeps a sweep's report, when counting. */
  countSweep(report: SweepReport): void;
  /** Prints a progress line: the meters swallow the process's own stdout. */
  progress(line: string): void;
}

/** The job (or member) a DynamoDB call's key names, or the category of the shared item it touches. */
export function ownerOfItem(call: Pick<DynamoCall, 'pk' | 'sk'>): string | { category: string } {
  const { pk = '', sk = '' } = call;
  if (pk.startsWith('JOB#')) return pk.slice(4);
  if (pk.startsWith('ACTIVE#') && sk.startsWith('MEMBER#')) return sk.slice(7);
  const job = /^MSG#msg_(job_[a-z0-9]+)_/.exec(sk)?.[1];
  if (job) return job;
  if (pk.startsWith('USER#')) return { category: 'MX sessions (per user)' };
  if (pk.startsWith('INSTITUTION#')) return { category: 'institution duration stats' };
  if (pk === 'WEBHOOKS') return { category: 'webhook list (per event published)' };
  if (pk.startsWith('WEBHOOK#')) return { category: 'webhook item (per delivery)' };
  if (pk.startsWith('APIKEY#')) return { category: 'API keys' };
  if (pk.startsWith('ACTIVE#')) return { category: 'sweeper scans' };
  if (pk === 'OUTCOMES') return { category: 'job outcomes per hour (per worker-poll invocation)' };
  return { category: `other (${pk.split('#')[0]})` };
}

/** The state the meters share: what they counted, whether they count, and the invocation a call runs in. */
interface Tally {
  counted: Counted;
  counting: boolean;
  running: AsyncLocalStorage<Invocation>;
}

const fnCounters = ({ counted }: Tally, name: FunctionName) => {
  if (!counted.functions.has(name))
    counted.functions.set(name, { invocations: 0, ms: [], dynamo: 0, sqs: 0, mx: 0, webhooks: 0, waitingMs: 0 });
  return counted.functions.get(name)!;
};

const countersOf = ({ counted }: Tally, owner: string) => {
  if (!counted.byOwner.has(owner)) counted.byOwner.set(owner, newCounters());
  return counted.byOwner.get(owner)!;
};

const other = ({ counted }: Tally, category: string) => {
  if (!counted.unattributed.has(category)) counted.unattributed.set(category, { ...newCounters(), calls: 0 });
  return counted.unattributed.get(category)!;
};

/** Adds `ms` of modelled waiting to the running invocation, on the record (queue message) the call belongs to. */
const waits = ({ running }: Tally, ms: number) => {
  const invocation = running.getStore();
  if (!invocation) return;
  const record = currentLogContext()?.message_id ?? '';
  invocation.waitingByRecord.set(record, (invocation.waitingByRecord.get(record) ?? 0) + ms);
};

/**
 * Every DynamoDB call and SQS send, by function and labelled operation (the ledger), and by the job its key or body
 * names (or the category of shared item it touches); each adds its assumed in-AWS latency to the invocation's waiting.
 */
function meterAwsCalls(tally: Tally): () => void {
  const { counted } = tally;
  const restoreLabels = labelOperations({
    JobsRepository,
    ActiveJobsRepository,
    AttentionRepository,
    DeliveriesRepository,
    WaitingDeliveries,
    DeliveryLogReader,
    WebhooksRepository,
    InstitutionStatsRepository,
    DynamoSessionStore,
    ApiKeysRepository,
    MxPushRepository,
    TransactionsRepository,
    SyncStateRepository,
    SweepCheckpointsRepository,
    MemberStatesRepository,
    ReconcileRepository,
    JobOutcomesRepository,
    DelayedQueue,
  });
  const awsMeter = installAwsMeter({
    dynamo(call) {
      if (!tally.counting) return;
      const fn = tally.running.getStore()?.name;
      if (fn) fnCounters(tally, fn).dynamo++;
      waits(tally, ASSUMED_AWS_LATENCY_MS.dynamo);
      counted.ledger.record({
        fn: fn ?? '(local poller)',
        operation: call.operation ?? '(unlabelled)',
        command: call.command,
        failedCondition: call.failedCondition,
        wru: call.write ? call.units : 0,
        indexWru: call.write ? call.indexUnits : 0,
        rru: call.write ? 0 : call.units,
      });
      const owner = ownerOfItem(call);
      let counters: JobCounters;
      if (typeof owner === 'string') counters = countersOf(tally, owner);
      else {
        const category = other(tally, owner.category);
        category.calls++;
        counters = category;
      }
      if (call.failedCondition) counters.failedConditions++;
      if (call.write) {
        counters.ddbWrites++;
        counters.wru += call.units;
      } else {
        counters.ddbReads++;
        counters.rru += call.units;
      }
    },
    sqs(call: SqsCall) {
      if (!tally.counting) return;
      const fn = tally.running.getStore()?.name;
      if (fn) {
        fnCounters(tally, fn).sqs++;
        waits(tally, ASSUMED_AWS_LATENCY_MS.sqs);
      }
      if (call.command.startsWith('SendMessage')) {
        counted.ledger.record({
          fn: fn ?? '(local poller)',
          operation: `${call.operation ?? '(unlabelled)'} → ${call.queue.replace(/^.*-(poll|delivery)(-dlq)?$/, '$1$2')}`,
          command: call.command,
          wru: 0,
          indexWru: 0,
          rru: 0,
        });
      }
      if (call.command.startsWith('SendMessage') && call.jobId) countersOf(tally, call.jobId).sqsSent++;
      else {
        const key = `${call.command.replace('Command', '')} (${call.queue}${call.messages === 0 && call.command === 'ReceiveMessageCommand' ? ', empty' : ''})`;
        const counters = other(tally, key);
        counters.calls++;
        counters.sqsSent += call.command.startsWith('SendMessage') ? 1 : 0;
      }
    },
  });
  return () => {
    awsMeter.restore();
    restoreLabels();
  };
}

/**
 * Every HTTP request undici makes: to the simulator, an MX call (by route, and by the member it names); from
 * `worker-deliver` to anywhere else, a webhook POST. Each adds its assumed in-AWS latency to the invocation's waiting.
 */
function meterHttpCalls(tally: Tally, simulatorUrl: string): () => void {
  const simOrigin = new URL(simulatorUrl).origin;
  const onRequest = (message: unknown) => {
    if (!tally.counting) return;
    const { request } = message as { request: { origin: unknown; method: string; path: string } };
    const origin = String(request.origin);
    const fn = tally.running.getStore()?.name;
    if (!origin.startsWith(simOrigin)) {
      if (fn === 'worker-deliver') {
        fnCounters(tally, fn).webhooks++;
        waits(tally, ASSUMED_AWS_LATENCY_MS.webhook);
      }
      return;
    }
    const path = request.path.split('?')[0]!;
    if (fn) {
      fnCounters(tally, fn).mx++;
      waits(tally, ASSUMED_AWS_LATENCY_MS.mx);
    }
    const member = /^\/members\/(MBR-[^/]+)/.exec(path)?.[1];
    if (member) countersOf(tally, member).mxCalls++;
    const route = `${request.method} ${path.replace(/MBR-[^/]+/, '{member_guid}').replace(/^\/sim-client\/users\/[^/]+/, '/{client_id}/users/{user_id}')}`;
    tally.counted.mxByRoute.set(route, (tally.counted.mxByRoute.get(route) ?? 0) + 1);
  };
  subscribe('undici:request:create', onRequest);
  return () => unsubscribe('undici:request:create', onRequest);
}

interface EmfLine {
  _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  [key: string]: unknown;
}

/** The bytes of `text`'s EMF lines (one or more) written as one line per value, each with the line's dimensions. */
function singleMetricBytes(text: string): number {
  let bytes = 0;
  for (const json of text.split('\n').filter(Boolean)) {
    const line = JSON.parse(json) as EmfLine;
    const [directive] = line._aws.CloudWatchMetrics;
    if (!directive) continue;
    const names = new Set(directive.Metrics.map((metric) => metric.Name));
    const dimensions = Object.fromEntries(Object.entries(line).filter(([key]) => key !== '_aws' && !names.has(key)));
    for (const metric of directive.Metrics) {
      const value = line[metric.Name];
      for (const one of Array.isArray(value) ? value : [value]) {
        const single = { _aws: { ...line._aws, CloudWatchMetrics: [{ ...directive, Metrics: [metric] }] }, ...dimensions };
        bytes += Buffer.byteLength(`${JSON.stringify({ ...single, [metric.Name]: one })}\n`);
      }
    }
  }
  return bytes;
}

/**
 * What the process writes is what Lambda would ship to CloudWatch Logs: counted by kind, never printed. `print`
 * writes past the meter, for the bench's own progress lines.
 */
function meterLogs(tally: Tally): { restore(): void; print(line: string): void } {
  const { logs, repolledByStatus } = tally.counted;
  const realWrite = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    if (tally.counting) {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      const bytes = Buffer.byteLength(text);
      if (text.startsWith('{"_aws"')) {
        logs.emfBytes += bytes;
        logs.emfLines++;
        logs.emfSingleMetricBytes += singleMetricBytes(text);
      } else if (text.startsWith('{"requestId"')) {
        logs.accessLogBytes += bytes;
      } else {
        logs.bytes += bytes;
      }
    }
    return true;
  }) as typeof process.stdout.write;
  const realErrorWrite = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    // Powertools writes WARN and ERROR lines to stderr: counted (and dropped) like the INFO lines on stdout.
    if (text.startsWith('{"level"')) {
      if (tally.counting) {
        logs.bytes += Buffer.byteLength(text);
        // The sweeper says why it re-polls: a job still aggregating (its poll later than STALLED_AFTER_MS) or a
        // terminal one not yet notified.
        if (text.includes('"sweeper: re-polling a stalled job"')) {
          const status = /"status":"([a-z_]+)"/.exec(text)?.[1] ?? '?';
          repolledByStatus.set(status, (repolledByStatus.get(status) ?? 0) + 1);
        }
      }
      return true;
    }
    return (realErrorWrite as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  return {
    restore() {
      process.stdout.write = realWrite;
      process.stderr.write = realErrorWrite;
    },
    print: (line) => realWrite(`${line}\n`),
  };
}

/** Installs the meters, off until `start`. */
export function installMeters(options: { simulatorUrl: string }): Meters {
  const tally: Tally = {
    counted: {
      byOwner: new Map(),
      unattributed: new Map(),
      functions: new Map(),
      ledger: new CallLedger(),
      mxByRoute: new Map(),
      logs: { bytes: 0, emfBytes: 0, emfLines: 0, emfSingleMetricBytes: 0, accessLogBytes: 0 },
      repolledByStatus: new Map(),
      sweeps: [],
    },
    counting: false,
    running: new AsyncLocalStorage<Invocation>(),
  };
  const restoreAwsCalls = meterAwsCalls(tally);
  const restoreHttpCalls = meterHttpCalls(tally, options.simulatorUrl);
  const logs = meterLogs(tally);
  const { running } = tally;

  return {
    counted: tally.counted,
    start() {
      tally.counting = true;
    },
    stop() {
      tally.counting = false;
    },
    restore() {
      restoreHttpCalls();
      restoreAwsCalls();
      logs.restore();
    },
    invocationsOf<E, C, R>(name: FunctionName, handler: Handler<E, C, R>): Handler<E, C, R> {
      return (event, context) =>
        running.run({ name, waitingByRecord: new Map() }, async () => {
          const started = performance.now();
          try {
            return await handler(event, context);
          } finally {
            if (tally.counting) {
              const counters = fnCounters(tally, name);
              counters.invocations++;
              counters.ms.push(performance.now() - started);
              const { waitingByRecord } = running.getStore()!;
              const outside = waitingByRecord.get('') ?? 0;
              waitingByRecord.delete('');
              counters.waitingMs += outside + Math.max(0, ...waitingByRecord.values());
            }
          }
        });
    },
    countSweep(report) {
      if (tally.counting) tally.counted.sweeps.push(report);
    },
    progress: logs.print,
  };
}
