import { noMetrics } from '../../../lib/metrics.ts';
import { randomUUID } from 'node:crypto';
import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSeededRandom } from '../../../sim/seeded-random.ts';
import { silentLog } from '../../../lib/logger.ts';
import { AddressGuard } from '../../../lib/notify/address-guard.ts';
import { WebhookSender } from '../../../lib/notify/attempt.ts';
import { Deliverer, LEASE_MARGIN_MS } from '../../../lib/notify/deliverer.ts';
import { type DeliveryMessage, deliveryMessageSchema } from '../../../lib/notify/delivery-message.ts';
import { Redelivery } from '../../../lib/notify/redelivery.ts';
import { DeliverySweep, SWEPT_RETRY_LOOKAHEAD_MS } from '../../../lib/notify/delivery-sweep.ts';
import { toIso } from '../../../lib/clock.ts';
import { SweepCheckpointsRepository } from '../../../lib/notify/sweep-checkpoints-repo.ts';
import { EndpointHealth } from '../../../lib/notify/endpoint-health.ts';
import { createGuardedAgent } from '../../../lib/notify/guarded-agent.ts';
import { generateSecret } from '../../../lib/notify/signing.ts';
import { DelayedQueue } from '../../../lib/queue/delayed-queue.ts';
import { createSqsBatchHandler } from '../../../lib/queue/sqs-batch-handler.ts';
import { DeadLetterQueue } from '../../../lib/queue/dead-letter-queue.ts';
import { WebhooksRepository } from '../../../lib/notify/webhooks-repo.ts';
import { type ReceivedRequest, Receiver } from '../../unit/notify/support/receiver.ts';
import { startEnginesProcess } from './engines-process.ts';
import { logOf, type NotifyHarness, startNotifyHarness, verifyAtReceipt } from './harness.ts';
import { jobEventData } from '../../support/job-events.ts';
import { createSealedWebhook } from '../../../bench/support/sealed-webhook.ts';

/**
 * Acceptance 6. 1,000 events to 3 endpoints over real dynalite, fauxqs and HTTP receivers, through the real SQS
 * batch handler: receivers fail 30 % of requests at random, SQS hands some messages over twice (some late), and one
 * worker dies mid-batch after sending but before recording. Time is simulated: the ManualClock jumps to the next
 * message that is due (or visible again), and SQS delays are skipped, so the 27-hour retry schedule takes seconds.
 */
const EVENTS = 1_000;
const ENDPOINTS = 3;
const FAILURE_RATE = 0.3;
/** Receivers stop failing an event after this many failures, so that no event can exhaust its 8 attempts. */
const MAX_FAILURES_PER_EVENT = 5;
const DUPLICATE_RATE = 0.1;
const BATCH_SIZE = 10;
const CONCURRENT_BATCHES = 6;
const SEND_TIMEOUT_MS = 2_000;
/** A message whose batch failed (or crashed) is visible again this long after (≥ 6 × the Lambda timeout). */
const VISIBILITY_TIMEOUT_MS = 180_000;
/** The batch whose worker dies: well into the run, when retries and first attempts are mixed. */
const CRASH_BATCH = 120;
/** The record attempt, counted within the crashing batch, at which the worker dies. */
const CRASH_AT_RECORD = 4;

class WorkerCrash extends Error {}

let harness: NotifyHarness;
const receivers: Receiver[] = [];

beforeAll(async () => {
  harness = await startNotifyHarness({ startEngines: startEnginesProcess });
  for (let i = 0; i < ENDPOINTS; i += 1) receivers.push(await Receiver.start({ now: () => harness.clock.now() }));
});
afterAll(async () => {
  await Promise.all(receivers.map((receiver) => receiver.close()));
  await harness?.stop();
});

it('delivers every event exactly once per endpoint, after dedupe by webhook-id, and leaves nothing in flight', async () => {
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  let sent = 0;
  harness.sqs.middlewareStack.add(
    (next, context) => (args) => {
      // Messages sent, one at a time or ten to a request (a publish to the three webhooks).
      if (context.commandName === 'SendMessageCommand') sent += 1;
      if (context.commandName === 'SendMessageBatchCommand') sent += (args.input as { Entries: unknown[] }).Entries.length;
      return next(args);
    },
    { step: 'initialize', name: 'countSends' },
  );
  const { clock, table } = harness;
  const random = createSeededRandom(2026);

  const endpoints = [];
  for (const receiver of receivers) {
    const secret = generateSecret();
    const webhook = await createSealedWebhook(harness.notifier, { url: receiver.url(), eventTypes: ['*'], secret });
    const failures = new Map<string, number>();
    const accepted = new Set<ReceivedRequest>();
    receiver.respond = (request, response) => {
      const id = String(request.headers['webhook-id']);
      const failed = failures.get(id) ?? 0;
      if (failed < MAX_FAILURES_PER_EVENT && random() < FAILURE_RATE) {
        failures.set(id, failed + 1);
        if (random() < 0.2) response.socket?.destroy();
        else response.writeHead(random() < 0.5 ? 500 : 503).end('try again');
      } else {
        accepted.add(request);
        response.writeHead(204).end();
      }
    };
    endpoints.push({ receiver, secret, accepted, id: webhook.id });
  }

  // The worker: the real batch handler and deliverer; its process can die mid-batch.
  const worker = { dead: false, crashArmed: false, recordsInBatch: 0, crashes: 0 };
  const alive = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(object, name) {
        const value = Reflect.get(object, name, object);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (worker.dead) throw new WorkerCrash('the worker is dead');
          return value.apply(object, args);
        };
      },
    });
  const deliveries = harness.notifier.deliveries;
  const recordAttempt = deliveries.recordAttempt.bind(deliveries);
  const dyingDeliveries = Object.assign(Object.create(deliveries), {
    recordAttempt: (...args: Parameters<typeof recordAttempt>) => {
      if (worker.crashArmed && ++worker.recordsInBatch === CRASH_AT_RECORD) {
        worker.dead = true;
        worker.crashes += 1;
      }
      if (worker.dead) throw new WorkerCrash('died after sending, before recording');
      return recordAttempt(...args);
    },
  }) as typeof deliveries;
  const webhooks = new WebhooksRepository(table, clock);
  const agent = createGuardedAgent(new AddressGuard({ allowLoopback: true }));
  const deliverer = new Deliverer({
    metrics: noMetrics,
    secretBox: harness.notifier.secretBox,
    webhooks: alive(webhooks),
    deliveries: alive(dyingDeliveries),
    queue: alive(new DelayedQueue<DeliveryMessage>(harness.sqs, harness.queueUrl, clock)),
    sender: new WebhookSender({ timeoutMs: SEND_TIMEOUT_MS, clock, dispatcher: agent }),
    health: alive(
      new EndpointHealth({
        metrics: noMetrics,
        webhooks,
        resume: (id) =>
          new Redelivery({
            deliveries: dyingDeliveries,
            deliveryLog: harness.deliveryLog,
            waiting: harness.waiting,
            queue: new DelayedQueue(harness.sqs, harness.queueUrl, clock),
            log: silentLog,
          }).resumeWaiting(id),
        probeLeaseMs: SEND_TIMEOUT_MS + LEASE_MARGIN_MS,
        clock,
        log: silentLog,
      }),
    ),
    clock,
    log: silentLog,
    leaseMs: SEND_TIMEOUT_MS + LEASE_MARGIN_MS,
    random,
  });
  // A handler per batch: batches run at once here, and Lambda gives each its own container.
  const container = () =>
    createSqsBatchHandler(deliveryMessageSchema, (message) => deliverer.handle(message), {
      log: silentLog,
      poison: {
        deadLetters: { delivery: new DeadLetterQueue(harness.sqs, harness.engines.deadLetterQueueUrls.delivery) },
        metrics: noMetrics,
      },
    });

  const events = Array.from({ length: EVENTS }, (_, i) => ({
    id: `msg_scale_${i}`,
    type: 'aggregation.succeeded' as const,
    timestamp: new Date(clock.now()).toISOString(),
    data: jobEventData(`job_${i}`),
  }));
  for (let i = 0; i < events.length; i += 50) {
    await Promise.all(events.slice(i, i + 50).map((event) => harness.publisher.publish(event)));
  }

  // SQS, as the worker sees it: messages become visible at their due time, or when a failed batch's return.
  type Queued = { messageId: string; body: string; visibleAt: number };
  let pool: Queued[] = [];
  const stats = { batches: 0, records: 0, duplicates: 0, itemFailures: 0, redeliveredAfterCrash: 0, probes: 0, swept: 0 };
  const sweep = new DeliverySweep({
    metrics: noMetrics,
    deliveries,
    deliveryLog: harness.deliveryLog,
    waiting: harness.waiting,
    webhooks,
    checkpoints: new SweepCheckpointsRepository(table),
    queue: new DelayedQueue<DeliveryMessage>(harness.sqs, harness.queueUrl, clock),
    stalledAfterMs: 15 * 60_000,
    clock,
    log: silentLog,
  });
  let received = 0;
  const receiveAll = async () => {
    // Receives stop once everything sent has arrived: an empty receive per round would cost thousands of calls.
    while (received < sent) {
      const { Messages = [] } = await harness.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: harness.queueUrl, MaxNumberOfMessages: 10 }),
      );
      received += Messages.length;
      if (Messages.length === 0) return;
      for (const message of Messages) {
        const body = deliveryMessageSchema.parse(JSON.parse(message.Body!));
        pool.push({ messageId: message.MessageId!, body: message.Body!, visibleAt: body.due_at });
      }
      await harness.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: harness.queueUrl,
          Entries: Messages.map((message, i) => ({ Id: String(i), ReceiptHandle: message.ReceiptHandle })),
        }),
      );
    }
  };
  const runBatch = async (batch: Queued[], crash: boolean) => {
    stats.batches += 1;
    stats.records += batch.length;
    const event: SQSEvent = {
      Records: batch.map((queued) => ({
        messageId: queued.messageId,
        receiptHandle: randomUUID(),
        body: queued.body,
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: String(clock.now()),
          SenderId: 'scale-test',
          ApproximateFirstReceiveTimestamp: String(clock.now()),
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:delivery',
        awsRegion: 'us-east-1',
      })),
    };
    Object.assign(worker, { crashArmed: crash, recordsInBatch: 0 });
    const response = await container()(event, { getRemainingTimeInMillis: () => 30_000 } as Context);
    const returning = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
    stats.itemFailures += returning.size;
    if (worker.dead) {
      // The Lambda died: nothing of the batch was acknowledged, so all of it comes back.
      for (const queued of batch) returning.add(queued.messageId);
      stats.redeliveredAfterCrash += batch.length;
      Object.assign(worker, { dead: false, crashArmed: false });
    }
    for (const queued of batch.filter((q) => returning.has(q.messageId))) {
      pool.push({ ...queued, visibleAt: clock.now() + VISIBILITY_TIMEOUT_MS });
    }
  };

  for (;;) {
    await receiveAll();
    const visible = pool.filter((queued) => queued.visibleAt <= clock.now());
    if (visible.length === 0) {
      if (pool.length === 0) {
        // The sweeper's part: an endpoint whose breaker holds deliveries is probed once its hold (and any probe
        // under way) is over; a retry due more than 15 minutes after its attempt is sent as it falls due.
        const wakes = [];
        for (const webhook of await webhooks.list()) {
          if (!webhook.breaker?.openUntil || !(await harness.waiting.firstPendingEndpoint(webhook))) continue;
          wakes.push(Math.max(Date.parse(webhook.breaker.openUntil), Date.parse(webhook.breaker.probeUntil ?? '1970-01-01')));
        }
        const { retries } = await harness.waiting.sweptRetriesDue(toIso(0), clock.now() + 7 * 24 * 3_600_000, 1);
        wakes.push(...retries.map((retry) => retry.dueAt - SWEPT_RETRY_LOOKAHEAD_MS));
        if (wakes.length === 0) break;
        clock.set(Math.max(clock.now(), Math.min(...wakes)));
        const report = await sweep.sweep();
        stats.probes += report.probed;
        stats.swept += report.retried;
        continue;
      }
      clock.set(Math.min(...pool.map((queued) => queued.visibleAt)));
      continue;
    }
    pool = pool.filter((queued) => queued.visibleAt > clock.now());
    const duplicates = visible.filter(() => random() < DUPLICATE_RATE);
    stats.duplicates += duplicates.length;
    // Most duplicates arrive alongside the original, some minutes later (a stale copy).
    const late = duplicates.filter(() => random() < 0.3);
    pool.push(...late.map((queued) => ({ ...queued, visibleAt: clock.now() + Math.floor(random() * 600_000) })));
    const work = [...visible, ...duplicates.filter((queued) => !late.includes(queued))].sort(() => random() - 0.5);
    const batches: Queued[][] = [];
    for (let i = 0; i < work.length; i += BATCH_SIZE) batches.push(work.slice(i, i + BATCH_SIZE));
    for (let i = 0; i < batches.length; i += CONCURRENT_BATCHES) {
      const group = batches.slice(i, i + CONCURRENT_BATCHES);
      const crashing = worker.crashes === 0 && stats.batches + group.length > CRASH_BATCH ? group.shift() : undefined;
      // The dying worker runs alone, so that its death takes down only its own batch.
      if (crashing) await runBatch(crashing, true);
      await Promise.all(group.map((batch) => runBatch(batch, false)));
    }
  }
  await agent.close();

  // From each receiver's point of view: dedupe by webhook-id, and every event arrived, verified.
  const summary = [];
  for (const { receiver, secret, accepted, id } of endpoints) {
    const answered = new Set<string>();
    let duplicatesAfterSuccess = 0;
    for (const request of receiver.requests) {
      verifyAtReceipt(request, secret);
      const msgId = String(request.headers['webhook-id']);
      if (answered.has(msgId)) duplicatesAfterSuccess += 1;
      if (accepted.has(request)) answered.add(msgId);
    }
    expect(answered.size, id).toBe(EVENTS);
    expect([...answered].sort()).toEqual(events.map((event) => event.id).sort());
    summary.push({ requests: receiver.requests.length, delivered: answered.size, duplicatesAfterSuccess });
  }

  // Nothing in flight: every delivery delivered, no message anywhere.
  for (const { id } of endpoints) {
    const statuses = new Map<string, number>();
    let after;
    do {
      const page = await harness.deliveryLog.page(logOf(id), {}, { order: 'oldest_first', limit: 100, after });
      for (const delivery of page.deliveries) statuses.set(delivery.status, (statuses.get(delivery.status) ?? 0) + 1);
      after = page.next;
    } while (after);
    expect(Object.fromEntries(statuses), id).toEqual({ delivered: EVENTS });
  }
  for (const queueUrl of [harness.queueUrl, harness.engines.deadLetterQueueUrls.delivery]) {
    const { Attributes } = await harness.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    expect(Attributes, queueUrl).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
  }
  expect(worker.crashes).toBe(1);
  expect(stats.redeliveredAfterCrash).toBeGreaterThan(0);

  console.log(
    `acceptance 6: ${EVENTS} events × ${ENDPOINTS} endpoints in ${Math.round(performance.now() - started)} ms ` +
      `(${Math.round(process.cpuUsage(cpuAtStart).user / 1000)} ms CPU in the test process); ` +
      `${stats.records} records in ${stats.batches} batches (${stats.duplicates} duplicate SQS deliveries, ` +
      `${stats.itemFailures} batch item failures, 1 worker crash redelivering ${stats.redeliveredAfterCrash}, ${stats.probes} breaker probes, ${stats.swept} retries sent by sweeps); ` +
      `receivers: ${summary.map((s) => `${s.requests} requests → ${s.delivered} delivered, ${s.duplicatesAfterSuccess} duplicates deduped`).join('; ')}`,
  );
  // A guard against a hang, not a speed target (that is the bench's): about 65 s alone, 110 s beside other suites.
}, 300_000);
