import { PfmRefusalsRepository } from '../../../lib/aggregation/pfm-refusals-repo.ts';
import { noMetrics } from '../../../lib/metrics.ts';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { LocalEngines } from '../../../infra/local/engines.ts';
import { type MxSimulator, startMxSimulator } from '../../../sim/server.ts';
import { createSeededRandom } from '../../../sim/seeded-random.ts';
import { AttentionRepository } from '../../../lib/aggregation/attention-repo.ts';
import { InstitutionTiming } from '../../../lib/aggregation/institution-timing.ts';
import { type EventSink, jobIdOfEventId } from '../../../lib/notify/events.ts';
import type { TerminalStatus } from '../../../lib/aggregation/job.ts';
import { PollService } from '../../../lib/aggregation/poll-service.ts';
import { STALLED_AFTER_MS, Sweeper } from '../../../lib/aggregation/sweeper.ts';
import { createSqsClient } from '../../../lib/aws/sqs-client.ts';
import { ManualClock } from '../../../lib/clock.ts';
import { type Log, silentLog } from '../../../lib/logger.ts';
import { AddressGuard } from '../../../lib/notify/address-guard.ts';
import { WebhookSender } from '../../../lib/notify/attempt.ts';
import { Deliverer, LEASE_MARGIN_MS } from '../../../lib/notify/deliverer.ts';
import { type DeliveryMessage, deliveryMessageSchema } from '../../../lib/notify/delivery-message.ts';
import { EndpointHealth } from '../../../lib/notify/endpoint-health.ts';
import { createGuardedAgent } from '../../../lib/notify/guarded-agent.ts';
import { EventPublisher } from '../../../lib/notify/publisher.ts';
import { generateSecret } from '../../../lib/notify/signing.ts';
import { DelayedQueue } from '../../../lib/queue/delayed-queue.ts';
import { type PollMessage, pollMessageSchema } from '../../../lib/queue/poll-message.ts';
import { DeadLetterQueue } from '../../../lib/queue/dead-letter-queue.ts';
import { createSqsBatchHandler } from '../../../lib/queue/sqs-batch-handler.ts';
import { InstitutionStatsRepository } from '../../../lib/aggregation/institution-stats-repo.ts';
import type { Config } from '../../../lib/config.ts';
import { localServicesConfig } from '../../../infra/local/local-services.ts';
import { type Relay, relayOf } from '../../../infra/local/relay.ts';
import { ManualSqs, type QueuedMessage } from '../../support/manual-sqs.ts';
import { CrashInjector, WorkerCrash } from '../../support/worker-crashes.ts';
import { Receiver } from '../../unit/notify/support/receiver.ts';
import { startEnginesProcess } from '../notify/engines-process.ts';
import { idlePollParts } from '../../support/aggregation-parts.ts';
import { createSealedWebhook } from '../../../bench/support/sealed-webhook.ts';

/**
 * Issue 5, acceptances 4 and 5: the fault matrix. 300 aggregations run through the real refresh service, poll loop,
 * sweeper, publisher and deliverer (over dynalite and the MX simulator) while everything that can go wrong does:
 * - MX (the simulator): 15 % 5xx (500/502/503/504), 5 % 429, 200 ± 50 ms latency, 2 % dropped connections, and every
 *   session expired once a simulated minute for the first 5 minutes;
 * - SQS (simulated in memory, see ManualSqs): 10 % of deliveries duplicated (most at once, some up to 5 minutes
 *   late); a failed record comes back after the stack's visibility timeout (180 s) and dead-letters after 5;
 * - the workers (the real SQS batch handler, batches of 10): 5 % of records throw — half before handling, half after a
 *   random number of their effects (the worker "dies" there); 6 jobs' first poll message kills the worker on every
 *   receive (poison); and publishing 20 jobs' terminal events fails for 16 minutes (a partial outage downstream), so
 *   their terminal poll messages dead-letter and only the sweeper can finish those jobs.
 * One ManualClock drives the services, the simulator and the receiver. The clock jumps to the next due record (SQS
 * delays are whole seconds); the records due then run concurrently, and the clock may run on to the next ones while
 * they do, up to PIPELINE_WINDOW_MS past the oldest unfinished tick, as workers overlap in production. The sweeper
 * runs every simulated 2 minutes, as scheduled in the stack. Only MX latency and the MX client's retry waits take
 * real time. The draws (scripts, duplicates, crashes) come from one seeded stream in a fixed order; what MX faults
 * hit depends on request order, so the assertions are invariants that must hold whatever the interleaving.
 */
const JOBS = 300;
const SEED = 2026;
const MX_FAULTS = {
  error_mix: { '500': 0.03, '502': 0.04, '503': 0.05, '504': 0.03, '429': 0.05 },
  latency_ms: 200,
  latency_jitter_ms: 50,
  drop_rate: 0.02,
};
const DEADLINE_SECONDS = 600;
/** Scripted durations: log-normal around 20 s, clamped to 5 s – 120 s (far inside the deadline). */
const DURATION = { medianMs: 20_000, sigma: 0.8, minMs: 5_000, maxMs: 120_000 };
/** Jobs whose member never finishes: they end timed_out. */
const NEVER_FINISHING = 3;
/** Jobs whose first poll message crashes the worker on every receive: it dead-letters, the sweeper takes over. */
const POISONED = 6;
const DUPLICATE_RATE = 0.1;
const CRASH_RATE = 0.05;
/** Random crashes stop short of maxReceiveCount on any one delivery: only the deliberate faults dead-letter. */
const MAX_RANDOM_CRASHES_PER_DELIVERY = 3;
/** The stack's poll and delivery queues: visibility 6 × the 30-s worker timeout, redrive after 5 receives. */
const VISIBILITY_TIMEOUT_MS = 180_000;
const MAX_RECEIVE_COUNT = 5;
const BATCH_SIZE = 10;
/** How far the clock may run ahead of the oldest tick still being handled. */
const PIPELINE_WINDOW_MS = 5_000;
const SWEEP_INTERVAL_MS = 120_000;
/** Every MX session is expired once a minute for the first 5 minutes, while most jobs are being polled. */
const SESSION_EXPIRIES = { everyMs: 60_000, untilMs: 5 * 60_000 };
/** The refreshes arrive over the first 30 s; each job's scripted duration counts from its aggregate call. */
const ARRIVAL_WINDOW_MS = 30_000;
/**
 * A partial outage downstream: publishing the terminal events of these many jobs fails for the first 16 minutes, so
 * their terminal poll messages fail 5 times (5 × 180 s) and dead-letter, and only the sweeper can finish them.
 */
const PUBLISH_OUTAGE = { jobs: 20, untilMs: 16 * 60_000 };
const REFRESH_RETRY_MS = 1_000;
/** What acceptance 5 compares with: one read every 3 s until the scripted end. */
const FIXED_POLL_INTERVAL_MS = 3_000;

const EXPECTED_BY_FINAL_STATUS: Record<string, TerminalStatus> = {
  CONNECTED: 'succeeded',
  FAILED: 'failed',
  DEGRADED: 'failed',
  CHALLENGED: 'action_required',
  LOCKED: 'action_required',
};

interface PlannedJob {
  index: number;
  userId: string;
  memberGuid: string;
  durationMs: number;
  finalStatus: string;
  expected: TerminalStatus;
  poisoned: boolean;
  publishOutage: boolean;
  jobId?: string;
}

let engines: LocalEngines;
let simulator: MxSimulator;
let sqs: SQSClient;
let queues: ManualSqs;
let relay: Relay;
let config: Config;
let receiver: Receiver;
let secret: string;
const clock = new ManualClock(Date.now());

beforeAll(async () => {
  engines = await startEnginesProcess();
  simulator = await startMxSimulator({ clock, seed: SEED, log: () => {} });
  sqs = createSqsClient({ region: engines.region, sqsEndpoint: engines.sqsEndpoint });
  queues = new ManualSqs(sqs, clock, { visibilityTimeoutMs: VISIBILITY_TIMEOUT_MS, maxReceiveCount: MAX_RECEIVE_COUNT });
  config = localServicesConfig(engines, simulator.url, { AGGREGATION_DEADLINE_SECONDS: String(DEADLINE_SECONDS) });
  relay = relayOf(config, { clock, sqs });
  receiver = await Receiver.start({ now: () => clock.now() });
  secret = generateSecret();
  await createSealedWebhook(relay.workerDeliver.notifier, { url: receiver.url(), eventTypes: ['*'], secret });
});

afterAll(async () => {
  await receiver?.close();
  sqs?.destroy();
  await simulator?.close();
  await engines?.stop();
});

async function simControl(path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${simulator.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.status === 204 ? undefined : response.json();
}

/** Standard normal draw (Box–Muller) from the seeded stream. */
const normal = (random: () => number) => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

function planJobs(random: () => number): PlannedJob[] {
  const neverFinishing = new Set<number>();
  while (neverFinishing.size < NEVER_FINISHING) neverFinishing.add(Math.floor(random() * JOBS));
  const poisoned = new Set<number>();
  while (poisoned.size < POISONED) {
    const index = Math.floor(random() * JOBS);
    if (!neverFinishing.has(index)) poisoned.add(index);
  }
  const publishOutage = new Set<number>();
  while (publishOutage.size < PUBLISH_OUTAGE.jobs) publishOutage.add(Math.floor(random() * JOBS));
  return Array.from({ length: JOBS }, (_, index) => {
    const draw = random();
    const finalStatus =
      draw < 0.8 ? 'CONNECTED' : draw < 0.87 ? 'FAILED' : draw < 0.9 ? 'DEGRADED' : draw < 0.97 ? 'CHALLENGED' : 'LOCKED';
    const durationMs = neverFinishing.has(index)
      ? 3_600_000
      : Math.round(
          Math.min(DURATION.maxMs, Math.max(DURATION.minMs, DURATION.medianMs * Math.exp(DURATION.sigma * normal(random)))),
        );
    return {
      index,
      userId: `fm-user-${index}`,
      memberGuid: `MBR-fm-${index}`,
      durationMs,
      finalStatus,
      expected: neverFinishing.has(index) ? 'timed_out' : EXPECTED_BY_FINAL_STATUS[finalStatus]!,
      poisoned: poisoned.has(index),
      publishOutage: publishOutage.has(index),
    };
  });
}

const canonical = (value: unknown): string =>
  JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
};

it('fault matrix: every job ends, exactly one terminal webhook each, nothing stuck, fewer MX reads than a 3 s poller', async () => {
  const startedReal = performance.now();
  const cpuAtStart = process.cpuUsage();
  const t0 = clock.now();
  const random = createSeededRandom(SEED);
  const plan = planJobs(random);
  const byJobId = new Map<string, PlannedJob>();

  for (const job of plan) {
    await simControl('/_sim/members', {
      user_id: job.userId,
      member_guid: job.memberGuid,
      aggregation: {
        duration_ms: job.durationMs,
        final_status: job.finalStatus === 'CHALLENGED' ? 'CONNECTED' : job.finalStatus,
        ...(job.finalStatus === 'CHALLENGED' ? { challenge: { label: 'Favorite color?', answer: 'blue' } } : {}),
      },
    });
  }
  await simControl('/_sim/faults', MX_FAULTS);

  // The workers, as the stack wires them, with every dependency crashable mid-record.
  const crashes = new CrashInjector();
  const [jobs, pointers, nexus, table] = [relay.apiJobs.jobs, relay.apiJobs.pointers, relay.apiRead.nexus, relay.apiRead.table];
  const deliveryQueue = new DelayedQueue<DeliveryMessage>(sqs, engines.queueUrls.delivery, clock);
  const publisher = new EventPublisher({
    webhooks: crashes.wrap(relay.workerDeliver.notifier.webhooks),
    deliveries: crashes.wrap(relay.workerDeliver.notifier.deliveries),
    queue: crashes.wrap(deliveryQueue),
    log: silentLog,
  });
  const outage = { refused: 0 };
  const events: EventSink = {
    publish: async (event) => {
      const job = byJobId.get(jobIdOfEventId(event.id) ?? '');
      if (job?.publishOutage && clock.now() < t0 + PUBLISH_OUTAGE.untilMs) {
        outage.refused += 1;
        throw new Error('the webhook publisher is unavailable (injected outage)');
      }
      await (publisher as EventSink).publish(event);
    },
  };
  const poll = new PollService({
    metrics: noMetrics,
    jobs: crashes.wrap(jobs),
    pointers: crashes.wrap(pointers),
    attention: crashes.wrap(new AttentionRepository(table)),
    refusals: crashes.wrap(new PfmRefusalsRepository(table)),
    nexus: crashes.wrap(nexus),
    pollQueue: crashes.wrap(new DelayedQueue<PollMessage>(sqs, engines.queueUrls.poll, clock)),
    events: crashes.wrap(events),
    clock,
    log: silentLog,
    timing: crashes.wrap(new InstitutionTiming(new InstitutionStatsRepository(table), clock, silentLog)),
    maxPollDelaySeconds: config.aggregation.maxPollDelaySeconds,
    ...idlePollParts,
  });
  const agent = createGuardedAgent(new AddressGuard({ allowLoopback: true }));
  const webhookTimeoutMs = config.webhooks.timeoutMs;
  const deliverer = new Deliverer({
    metrics: noMetrics,
    secretBox: relay.workerDeliver.notifier.secretBox,
    webhooks: crashes.wrap(relay.workerDeliver.notifier.webhooks),
    deliveries: crashes.wrap(relay.workerDeliver.notifier.deliveries),
    queue: crashes.wrap(deliveryQueue),
    sender: crashes.wrap(new WebhookSender({ timeoutMs: webhookTimeoutMs, clock, dispatcher: agent })),
    health: crashes.wrap(
      new EndpointHealth({
        metrics: noMetrics,
        webhooks: relay.workerDeliver.notifier.webhooks,
        resume: (id) => relay.workerDeliver.notifier.redelivery.resumeWaiting(id),
        probeLeaseMs: webhookTimeoutMs + LEASE_MARGIN_MS,
        clock,
        log: silentLog,
      }),
    ),
    clock,
    log: silentLog,
    leaseMs: webhookTimeoutMs + LEASE_MARGIN_MS,
    random: () => 0.5,
  });

  // The sweeper, scheduled every 2 minutes; what it re-polls is recorded.
  const sweeperRepolls: (PollMessage & { at: number })[] = [];
  class RecordingPollQueue extends DelayedQueue<PollMessage> {
    override async schedule(message: PollMessage): Promise<void> {
      sweeperRepolls.push({ ...message, at: clock.now() });
      await super.schedule(message);
    }
  }
  const sweeper = new Sweeper({
    metrics: noMetrics,
    jobs,
    pointers,
    pollQueue: new RecordingPollQueue(sqs, engines.queueUrls.poll, clock),
    clock,
    log: silentLog,
  });

  // What the batch handlers log as errors (a malformed message is dropped, never retried: it must not happen).
  const workerErrors: string[] = [];
  const workerLog: Log = {
    ...silentLog,
    error: (message, extra) => void workerErrors.push(`${message} ${JSON.stringify(extra)}`),
  };

  // One record's fate, drawn in a deterministic order before its batch runs.
  type Fate = { kind: 'handle' } | { kind: 'crash_before' } | { kind: 'crash_after'; calls: number } | { kind: 'poison' };
  const randomCrashes = new Map<number, number>();
  const poisonedMessageIds = new Set<string>();
  const poisonArmed = new Set(plan.filter((job) => job.poisoned).map((job) => job.index));
  const stats = {
    ticks: 0,
    records: { poll: 0, delivery: 0 },
    duplicates: 0,
    crashesBefore: 0,
    poisonReceives: 0,
    itemFailures: 0,
    sweeps: 0,
    sessionExpiries: 0,
    refreshFailures: new Map<string, number>(),
  };
  /** Each dead poll message, and whether it died holding its job's only way on (`pending`: work only the sweeper can resume). */
  const deadPoll: { message: QueuedMessage; jobId: string; step: number; pending: boolean }[] = [];
  /** Deliveries of each SQS message in batches still running (ticks overlap). */
  const copiesRunning = new Map<string, number>();
  /** When each job's poll records failed (crashes, poison, outage, handed back): each can delay the job by a visibility timeout. */
  const pollFailures = new Map<string, number[]>();

  function fateOf(message: QueuedMessage, isPoll: boolean, parsed: PollMessage | DeliveryMessage): Fate {
    if (poisonedMessageIds.has(message.messageId)) return { kind: 'poison' };
    if (isPoll && (parsed as PollMessage).step === 0) {
      const job = byJobId.get((parsed as PollMessage).job_id);
      // The first step-0 message of a poisoned job: every receive of it (and of its duplicates) kills the worker.
      if (job && poisonArmed.delete(job.index)) {
        poisonedMessageIds.add(message.messageId);
        return { kind: 'poison' };
      }
    }
    const draw = random();
    const crashed = randomCrashes.get(message.seq) ?? 0;
    if (draw >= CRASH_RATE || crashed >= MAX_RANDOM_CRASHES_PER_DELIVERY) return { kind: 'handle' };
    randomCrashes.set(message.seq, crashed + 1);
    if (random() < 0.5) return { kind: 'crash_before' };
    return { kind: 'crash_after', calls: 1 + Math.floor(random() * 6) };
  }

  const jobIndexOf = (message: QueuedMessage, isPoll: boolean): number => {
    const parsed = JSON.parse(message.body) as PollMessage | DeliveryMessage;
    const jobId = isPoll ? (parsed as PollMessage).job_id : jobIdOfEventId((parsed as DeliveryMessage).msg_id);
    return byJobId.get(jobId ?? '')?.index ?? -1;
  };

  /** Runs one batch through the real SQS batch handler; returns the records it reported as failed. */
  async function runBatch(batch: { message: QueuedMessage; fate: Fate }[], isPoll: boolean): Promise<Set<string>> {
    const byBody = new Map(batch.map((record) => [canonical(JSON.parse(record.message.body)), record]));
    const handle = async (parsed: PollMessage | DeliveryMessage) => {
      const { fate } = byBody.get(canonical(parsed))!;
      if (fate.kind === 'poison') {
        stats.poisonReceives += 1;
        throw new WorkerCrash('poison message');
      }
      if (fate.kind === 'crash_before') {
        stats.crashesBefore += 1;
        throw new WorkerCrash('died before handling');
      }
      await crashes.run(fate.kind === 'crash_after' ? fate.calls : undefined, () =>
        isPoll ? poll.handle(parsed as PollMessage) : deliverer.handle(parsed as DeliveryMessage),
      );
    };
    // One handler per batch, as one Lambda container handles one batch at a time; as deployed, with its queue's
    // dead-letter queue (this matrix sends no malformed message: nothing is written there by the handler).
    const poisonTo = (queue: 'poll' | 'delivery') => ({
      deadLetters: { [queue]: new DeadLetterQueue(sqs, engines.deadLetterQueueUrls[queue]) },
      metrics: noMetrics,
    });
    const handler = isPoll
      ? createSqsBatchHandler(pollMessageSchema, handle, { log: workerLog, poison: poisonTo('poll') })
      : createSqsBatchHandler(deliveryMessageSchema, handle, { log: workerLog, poison: poisonTo('delivery') });
    const event: SQSEvent = {
      Records: batch.map(({ message }) => ({
        messageId: String(message.seq),
        receiptHandle: `rh-${message.seq}`,
        body: message.body,
        attributes: {
          ApproximateReceiveCount: String(message.failedReceives + 1),
          SentTimestamp: String(clock.now()),
          SenderId: 'fault-matrix',
          ApproximateFirstReceiveTimestamp: String(clock.now()),
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${isPoll ? 'poll' : 'delivery'}`,
        awsRegion: 'us-east-1',
      })),
    };
    const response = await handler(event, { getRemainingTimeInMillis: () => 30_000 } as Context);
    return new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
  }

  async function runRecords(visible: QueuedMessage[]): Promise<void> {
    const now = clock.now();
    const work: { message: QueuedMessage; fate: Fate; isPoll: boolean; order: string }[] = [];
    const orderOf = (message: QueuedMessage, isPoll: boolean) => {
      const parsed = JSON.parse(message.body) as Record<string, unknown>;
      return `${isPoll ? 0 : 1}:${String(jobIndexOf(message, isPoll)).padStart(4, '0')}:${canonical(parsed)}:${message.failedReceives}`;
    };
    const sorted = visible
      .map((message) => ({ message, isPoll: message.queueUrl === engines.queueUrls.poll }))
      .map((entry) => ({ ...entry, order: orderOf(entry.message, entry.isPoll) }))
      .sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
    for (const { message, isPoll, order } of sorted) {
      if (random() < DUPLICATE_RATE) {
        stats.duplicates += 1;
        const late = random() < 0.3;
        // Most copies arrive with the original (another worker gets them), some up to 5 minutes later.
        const copy = queues.duplicate(message, late ? now + 1_000 * (1 + Math.floor(random() * 300)) : undefined);
        if (!late) work.push({ message: copy, isPoll, order, fate: fateOf(copy, isPoll, JSON.parse(copy.body)) });
      }
      work.push({ message, isPoll, order, fate: fateOf(message, isPoll, JSON.parse(message.body)) });
    }

    // Batches of 10 per queue; two deliveries of the same body never share a batch.
    const batches: { records: typeof work; isPoll: boolean; bodies: Set<string> }[] = [];
    for (const record of work) {
      const body = canonical(JSON.parse(record.message.body));
      let batch = batches.find((b) => b.isPoll === record.isPoll && b.records.length < BATCH_SIZE && !b.bodies.has(body));
      if (!batch) batches.push((batch = { records: [], isPoll: record.isPoll, bodies: new Set() }));
      batch.records.push(record);
      batch.bodies.add(body);
      stats.records[record.isPoll ? 'poll' : 'delivery'] += 1;
    }
    for (const { message } of work) copiesRunning.set(message.messageId, (copiesRunning.get(message.messageId) ?? 0) + 1);
    let failed: Set<string>[];
    try {
      failed = await Promise.all(batches.map((batch) => runBatch(batch.records, batch.isPoll)));
    } finally {
      for (const { message } of work) copiesRunning.set(message.messageId, copiesRunning.get(message.messageId)! - 1);
    }
    // Every failed record goes back (or dies) before anything here awaits, so an overlapping tick never counts this
    // tick's finished records as running.
    const died: (typeof deadPoll)[number][] = [];
    for (const [i, batch] of batches.entries()) {
      for (const { message, isPoll } of batch.records) {
        if (!failed[i]!.has(String(message.seq))) continue;
        stats.itemFailures += 1;
        if (isPoll) {
          const { job_id: jobId } = JSON.parse(message.body) as PollMessage;
          pollFailures.set(jobId, [...(pollFailures.get(jobId) ?? []), clock.now()]);
        }
        if (queues.fail(message) !== 'dead_lettered' || !isPoll) continue;
        const body = JSON.parse(message.body) as PollMessage;
        // Another delivery of this message still to come (waiting, or in a batch still running) carries the job on.
        const copiesLeft = queues.waitingCopiesOf(message.messageId) + (copiesRunning.get(message.messageId) ?? 0);
        const dead = { message, jobId: body.job_id, step: body.step, pending: copiesLeft === 0 };
        deadPoll.push(dead);
        if (dead.pending) died.push(dead);
      }
    }
    // Did each message die holding its job's only way on? Then only the sweeper can finish the job. Not when the job
    // has ended and let its member go (announced), nor when it has moved on to a step whose message was sent.
    for (const dead of died) {
      const job = await jobs.get(dead.jobId);
      if (!job) continue;
      const done = job.status !== 'aggregating' && !(await pointers.holdsActive(job, job.id));
      const movedOn = job.status === 'aggregating' && job.step > dead.step && queues.sentPoll(dead.jobId, job.step);
      dead.pending = !done && !movedOn;
    }
  }

  const refreshQueue: { job: PlannedJob; at: number }[] = plan.map((job) => ({
    job,
    at: t0 + 1_000 * Math.floor((job.index * ARRIVAL_WINDOW_MS) / JOBS / 1_000),
  }));
  let joinedRefreshes = 0;
  async function runRefreshes(due: { job: PlannedJob; at: number }[]): Promise<void> {
    await Promise.all(
      due.map(async ({ job }) => {
        try {
          const { job: started, joined } = await relay.apiRefresh.refresh.refresh({
            userId: job.userId,
            memberGuid: job.memberGuid,
          });
          if (joined) joinedRefreshes += 1;
          job.jobId = started.id;
          byJobId.set(started.id, job);
        } catch (error) {
          const code = (error as { code?: string }).code ?? (error as Error).name;
          stats.refreshFailures.set(code, (stats.refreshFailures.get(code) ?? 0) + 1);
          refreshQueue.push({ job, at: clock.now() + REFRESH_RETRY_MS });
        }
      }),
    );
  }

  // The event loop: refreshes, the sweeper, session expiries and queue records, each when its time comes.
  let nextSweepAt = t0 + SWEEP_INTERVAL_MS;
  let nextExpiryAt = t0 + SESSION_EXPIRIES.everyMs;
  const simLimit = t0 + 4 * 3_600_000;
  // Ticks overlap, as workers do: the clock moves on to the next due record while earlier ones are still being
  // handled, but never more than PIPELINE_WINDOW_MS past the oldest unfinished tick (so no handler sees more than
  // that much simulated time pass while it waits on MX).
  const inFlight = new Map<Promise<void>, number>();
  let tickFailure: unknown;
  for (;;) {
    if (tickFailure) throw tickFailure;
    if (clock.now() > simLimit) throw new Error('the simulation is still running after 4 simulated hours');
    const now = clock.now();
    if (now >= nextExpiryAt) {
      const following = nextExpiryAt + SESSION_EXPIRIES.everyMs;
      nextExpiryAt = following < t0 + SESSION_EXPIRIES.untilMs ? following : Infinity;
      await simControl('/_sim/faults', { ...MX_FAULTS, expire_sessions: true });
      stats.sessionExpiries += 1;
    }
    if (now >= nextSweepAt) {
      nextSweepAt += SWEEP_INTERVAL_MS;
      stats.sweeps += 1;
      const report = await sweeper.sweep();
      const idle = inFlight.size === 0 && refreshQueue.length === 0 && queues.size === 0;
      if (idle && report.active === 0 && now >= t0 + PUBLISH_OUTAGE.untilMs) break;
    }
    const dueRefreshes = refreshQueue.filter((entry) => entry.at <= now);
    const visible = queues.takeVisible();
    if (dueRefreshes.length > 0 || visible.length > 0) {
      stats.ticks += 1;
      refreshQueue.splice(0, refreshQueue.length, ...refreshQueue.filter((entry) => entry.at > now));
      const tick = Promise.all([runRefreshes(dueRefreshes), runRecords(visible)]).then(
        () => void inFlight.delete(tick),
        (error: unknown) => {
          tickFailure ??= error;
          inFlight.delete(tick);
        },
      );
      inFlight.set(tick, now);
    }
    const next = Math.min(
      queues.nextVisibleAt() ?? Infinity,
      ...refreshQueue.map((entry) => entry.at),
      nextSweepAt,
      nextExpiryAt,
    );
    if (inFlight.size > 0 && (next > Math.min(...inFlight.values()) + PIPELINE_WINDOW_MS || next <= now)) {
      await Promise.race(inFlight.keys());
      continue;
    }
    if (next > now) clock.set(next);
  }
  await agent.close();
  const simulatedMs = clock.now() - t0;

  // ---- What the receiver got: dedupe by webhook-id, verify every request as of its arrival (simulated time).
  const terminalIds = new Map<string, Set<string>>();
  const terminalStatuses = new Map<string, Set<string>>();
  const startedIds = new Map<string, Set<string>>();
  let duplicateRequests = 0;
  const seenIds = new Set<string>();
  for (const request of receiver.requests) {
    vi.useFakeTimers({ toFake: ['Date'], now: request.receivedAt });
    let payload: { type: string; data: { job: { id: string; status: string } } };
    try {
      payload = new Webhook(secret).verify(request.body, request.headers as Record<string, string>) as typeof payload;
    } finally {
      vi.useRealTimers();
    }
    const id = String(request.headers['webhook-id']);
    if (seenIds.has(id)) duplicateRequests += 1;
    seenIds.add(id);
    const jobId = payload.data.job.id;
    const byType = payload.type === 'aggregation.started' ? startedIds : terminalIds;
    byType.set(jobId, (byType.get(jobId) ?? new Set()).add(id));
    if (payload.type !== 'aggregation.started') {
      terminalStatuses.set(jobId, (terminalStatuses.get(jobId) ?? new Set()).add(`${payload.type}/${payload.data.job.status}`));
    }
  }

  // ---- Per job: terminal, as scripted, in time, exactly one terminal webhook.
  const outcomes = new Map<string, number>();
  const lateBy: number[] = [];
  const detectionLagMs: number[] = [];
  const cleanLagMs: number[] = [];
  const problems: string[] = [];
  let notNotified = 0;
  const comparison: { ours: number; fixed: number }[] = [];
  const { members: callsByMember } = (await simControl('/_sim/stats/members')) as {
    members: Record<string, Record<string, number>>;
  };
  for (const planned of plan) {
    const job = planned.jobId ? await jobs.get(planned.jobId) : undefined;
    if (!job) {
      problems.push(`job ${planned.index} never started`);
      continue;
    }
    outcomes.set(job.status, (outcomes.get(job.status) ?? 0) + 1);
    if (job.status !== planned.expected) problems.push(`${job.id}: ${job.status}, expected ${planned.expected}`);
    if (job.finishedAt === undefined) continue;
    // Announced in full: the member's pointer, released last, no longer names the job.
    if (await pointers.holdsActive(job, job.id)) notNotified += 1;
    lateBy.push(job.finishedAt - job.deadlineAt);
    if (planned.expected !== 'timed_out' && job.finishedAt > job.deadlineAt) problems.push(`${job.id}: ended after its deadline`);
    if (planned.expected === 'timed_out') {
      // At its deadline poll; that message lost, at the sweeper's re-poll — within a sweep period after the stall
      // threshold. Each failed receive of its poll messages from the deadline on may add a visibility timeout.
      const failedAfterDeadline = (pollFailures.get(job.id) ?? []).filter((at) => at >= job.deadlineAt).length;
      const allowedMs = SWEEP_INTERVAL_MS + STALLED_AFTER_MS + failedAfterDeadline * VISIBILITY_TIMEOUT_MS;
      if (job.finishedAt - job.deadlineAt > allowedMs)
        problems.push(`${job.id}: timed out ${job.finishedAt - job.deadlineAt} ms late`);
    }
    if (planned.expected !== 'timed_out') {
      // From when MX finished: its aggregation's start (aggregated_at, possibly an earlier attempt's aggregate call
      // that MX took but the client timed out on) plus the scripted duration.
      const { member } = (await simControl(`/_sim/members/${planned.memberGuid}`)) as { member: { aggregated_at: string } };
      const lagMs = job.finishedAt - (Date.parse(member.aggregated_at) + planned.durationMs);
      detectionLagMs.push(lagMs);
      // A job none of whose poll records failed and whose MX reads all succeeded is seen within one poll interval
      // (≤ POLL_MAX_DELAY_SECONDS), one second of SQS rounding and the clock's run-ahead during the poll before
      // (which sets the next from its own now) and during the last one.
      if (!pollFailures.has(job.id) && job.pollErrors === 0) {
        cleanLagMs.push(lagMs);
        const allowedMs = config.aggregation.maxPollDelaySeconds * 1000 + 1_000 + 2 * PIPELINE_WINDOW_MS;
        if (lagMs > allowedMs) problems.push(`${job.id}: ended ${lagMs} ms after MX finished, though nothing failed`);
      }
      // MX reads attributed to this job: its member's GET /members/{member_guid} calls, retries of faulted ones included.
      const ours = callsByMember[planned.memberGuid]?.['GET /members/{member_guid}'] ?? 0;
      comparison.push({ ours, fixed: Math.ceil(planned.durationMs / FIXED_POLL_INTERVAL_MS) });
    }
    const terminal = terminalIds.get(job.id)?.size ?? 0;
    if (terminal !== 1) problems.push(`${job.id}: ${terminal} distinct terminal webhooks`);
    const told = [...(terminalStatuses.get(job.id) ?? [])];
    if (terminal === 1 && told.join() !== `aggregation.${job.status}/${job.status}`) {
      problems.push(`${job.id}: ${job.status}, but its webhook said ${told.join()}`);
    }
    if ((startedIds.get(job.id)?.size ?? 0) !== 1)
      problems.push(`${job.id}: ${startedIds.get(job.id)?.size ?? 0} started webhooks`);
  }

  // ---- Stuck: jobs still aggregating, active pointers, anything left on a queue.
  const stuck = outcomes.get('aggregating') ?? 0;
  const pointersLeft: string[] = [];
  for await (const pointer of pointers.activeJobs()) pointersLeft.push(pointer.jobId);

  // ---- The dead-letter queue: only poll messages, each recovered by the sweeper, its job ended with one webhook.
  const deadDelivery = queues.deadLetters.filter((dead) => dead.message.queueUrl !== engines.queueUrls.poll);
  // A message that died holding its job's only way on is recovered when, after the message was sent, the sweeper sent
  // its job's step again (that step or a later one).
  const notRecovered = deadPoll.filter(
    (dead) =>
      dead.pending &&
      !sweeperRepolls.some(
        (repoll) => repoll.job_id === dead.jobId && repoll.step >= dead.step && repoll.at >= dead.message.sentAt,
      ),
  );
  for (const dead of deadPoll) {
    const job = await jobs.get(dead.jobId);
    if (!job || job.status === 'aggregating' || terminalIds.get(dead.jobId)?.size !== 1) {
      problems.push(`dead-lettered ${dead.message.body}: its job did not end with one terminal webhook`);
    }
  }

  const totals = comparison.reduce((sum, c) => ({ ours: sum.ours + c.ours, fixed: sum.fixed + c.fixed }), { ours: 0, fixed: 0 });
  const { calls } = (await simControl('/_sim/stats')) as { calls: Record<string, number> };
  const wallMs = Math.round(performance.now() - startedReal);
  console.log(
    [
      `acceptance 4+5 (fault matrix): ${JOBS} jobs in ${wallMs} ms wall (${Math.round(process.cpuUsage(cpuAtStart).user / 1000)} ms CPU here), ` +
        `${Math.round(simulatedMs / 1000)} s simulated in ${stats.ticks} ticks`,
      `  outcomes: ${JSON.stringify(Object.fromEntries(outcomes))}; stuck (aggregating) ${stuck}; active pointers left ${pointersLeft.length}; ` +
        `terminal but still holding their member (announcement unfinished) ${notNotified}`,
      `  terminal webhooks: ${[...terminalIds.values()].reduce((n, ids) => n + ids.size, 0)} distinct ids for ${terminalIds.size} jobs ` +
        `(jobs with ≠1: ${plan.filter((p) => p.jobId && terminalIds.get(p.jobId)?.size !== 1).length}); ` +
        `${receiver.requests.length} requests received, ${duplicateRequests} duplicates deduped by webhook-id, all verified`,
      `  finishedAt − deadline: max ${Math.round(Math.max(...lateBy) / 1000)} s; detection lag after MX finished: ` +
        `p50 ${Math.round(quantile(detectionLagMs, 0.5) / 1000)} s, p95 ${Math.round(quantile(detectionLagMs, 0.95) / 1000)} s, ` +
        `max ${Math.round(Math.max(...detectionLagMs) / 1000)} s (jobs without failures: p50 ` +
        `${Math.round(quantile(cleanLagMs, 0.5) / 1000)} s, max ${Math.round(Math.max(...cleanLagMs) / 1000)} s, n=${cleanLagMs.length})`,
      `  SQS: ${stats.records.poll} poll + ${stats.records.delivery} delivery records, ${stats.duplicates} duplicated, ` +
        `${stats.itemFailures} batch item failures (${stats.crashesBefore} crashes before handling, ${crashes.crashes} mid-record, ` +
        `${stats.poisonReceives} poison receives, ${outage.refused} publishes refused by the outage)`,
      `  DLQ: ${deadPoll.length} poll messages (${deadPoll.filter((d) => d.pending).length} holding their job's only way on when they died; ` +
        `${deadPoll.filter((d) => d.pending).length - notRecovered.length} of those recovered by the sweeper), ` +
        `${deadDelivery.length} delivery messages; sweeper: ${stats.sweeps} sweeps, ${sweeperRepolls.length} re-polls`,
      `  MX: ${JSON.stringify(calls)}; ${stats.sessionExpiries} session expiries; refresh failures retried: ` +
        `${JSON.stringify(Object.fromEntries(stats.refreshFailures))}`,
      `  MX reads per finished job (${comparison.length} jobs): ours ${(totals.ours / comparison.length).toFixed(2)} ` +
        `(p50 ${quantile(
          comparison.map((c) => c.ours),
          0.5,
        )}, max ${Math.max(...comparison.map((c) => c.ours))}) vs fixed 3 s poller ${(totals.fixed / comparison.length).toFixed(2)} ` +
        `(p50 ${quantile(
          comparison.map((c) => c.fixed),
          0.5,
        )}); total ${totals.ours} vs ${totals.fixed}`,
    ].join('\n'),
  );

  expect(problems).toEqual([]);
  expect(workerErrors).toEqual([]);
  expect(joinedRefreshes).toBe(0);
  expect(outcomes.get('aggregating') ?? 0).toBe(0);
  expect(pointersLeft).toEqual([]);
  expect(queues.size).toBe(0);
  expect(deadDelivery).toEqual([]);
  expect(deadPoll.filter((dead) => dead.pending).length).toBeGreaterThan(0);
  expect(notRecovered.map((dead) => dead.message.body)).toEqual([]);
  expect(totals.ours).toBeLessThan(totals.fixed);
}, 240_000);
