import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startEngines } from '../infra/local/engines.ts';
import { startLocalStack } from '../infra/local/local-stack.ts';
import { createDocumentClient } from '../lib/aws/dynamodb-client.ts';
import { createSqsClient } from '../lib/aws/sqs-client.ts';
import { type Clock, ManualClock, systemClock } from '../lib/clock.ts';
import { silentLog } from '../lib/logger.ts';
import { noMetrics } from '../lib/metrics.ts';
import { DeliveriesRepository } from '../lib/notify/deliveries-repo.ts';
import { DeliveryLogReader } from '../lib/notify/delivery-log.ts';
import { WaitingDeliveries } from '../lib/notify/waiting-deliveries.ts';
import { type DeliveryMessage, deliveryMessageSchema } from '../lib/notify/delivery-message.ts';
import { DeliverySweep } from '../lib/notify/delivery-sweep.ts';
import { EVENT_TYPES, type WebhookEvent } from '../lib/notify/events.ts';
import { createNotifier } from '../lib/notify/notifier.ts';
import { EventPublisher } from '../lib/notify/publisher.ts';
import { RETRY_DELAYS_MS } from '../lib/notify/retry-schedule.ts';
import { generateSecret } from '../lib/notify/signing.ts';
import { SweepCheckpointsRepository } from '../lib/notify/sweep-checkpoints-repo.ts';
import { type Webhook, WebhooksRepository } from '../lib/notify/webhooks-repo.ts';
import { RateLimitRepository } from '../lib/store/rate-limit-repo.ts';
import { DelayedQueue } from '../lib/queue/delayed-queue.ts';
import { LocalDataKeys, SecretBox } from '../lib/secret-box.ts';
import type { TableRef } from '../lib/store/table.ts';
import type { BenchResult, TargetCheck } from './support/report.ts';
import { startRemoteSide } from './support/remote-side.ts';
import { judge, table, withInterval } from './support/report.ts';
import { bootstrapInterval, fmt, quantile, seededRandom } from './support/stats.ts';
import { createSealedWebhook } from './support/sealed-webhook.ts';

/**
 * Webhooks one dead endpoint cannot stall (issue 56). (1) On the local stack in real time (its delivery workers: 4
 * batches at once on `delivery`, 2 on `delivery-slow`), events are published at a steady rate to 10 webhooks, each its
 * own receiver on this machine; a delivery's latency is its receipt − its publication. Run once with all 10 answering,
 * once with a fresh set where one endpoint takes every request and never answers. SQS messages per delivery are
 * counted in the SDK. (2) On a ManualClock over dynalite and fauxqs: deliveries to an endpoint answering 503 to every
 * attempt, the delivery worker handling each message as it falls due and the sweeper running every 2 minutes as
 * deployed, until each delivery has used its whole retry schedule; the SQS messages sent for them, counted.
 */
const WEBHOOKS = 10;
const EVENTS_PER_SECOND = 10;
/** Each condition runs twice, in the order alone, beside, beside, alone: a drift over the session (the heap, the machine) weighs on both alike. */
const RUN_SECONDS = 15;
const STEADY_AFTER_S = 5;
const SCHEDULE_DELIVERIES = 5;
const SWEEP_EVERY_MS = 2 * 60_000;
const TARGETS = { latencyRatio: 1.2, healthyMessages: 2, scheduleMessages: 12 };

/** SQS messages sent to `urls`, counted in the SDK (every client in this process). */
function countSends(urls: () => readonly string[]) {
  const counted = { messages: 0 };
  const send = SQSClient.prototype.send;
  SQSClient.prototype.send = function (this: SQSClient, command: any, ...rest: any[]) {
    const input = command.input as { QueueUrl?: string; Entries?: unknown[] };
    if (input.QueueUrl && urls().includes(input.QueueUrl)) {
      const name = command.constructor.name;
      if (name === 'SendMessageCommand') counted.messages += 1;
      if (name === 'SendMessageBatchCommand') counted.messages += input.Entries!.length;
    }
    return (send as any).call(this, command, ...rest);
  } as typeof send;
  return counted;
}

/** A receiver: answers 204 at once, or when `dead` never answers; records each webhook-id's first receipt. */
async function startReceiver(dead: boolean) {
  const firstSeen = new Map<string, number>();
  let duplicates = 0;
  const server: Server = createServer((request, response) => {
    const id = String(request.headers['webhook-id']);
    request.resume();
    request.on('end', () => {
      if (dead) return;
      if (firstSeen.has(id)) duplicates++;
      else firstSeen.set(id, performance.now());
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    firstSeen,
    duplicates: () => duplicates,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const event = (id: string, at: number): WebhookEvent => ({
  id,
  type: 'aggregation.succeeded',
  timestamp: new Date(at).toISOString(),
  data: {
    job: {
      id: id.replace(/^msg_/, '').replace(/_succeeded$/, ''),
      user_id: 'bench-user',
      member_guid: 'MBR-bench',
      status: 'succeeded',
      kind: 'aggregation',
      trigger: 'refresh',
      connection_status: 'CONNECTED',
      created_at: new Date(at).toISOString(),
      updated_at: new Date(at).toISOString(),
      finished_at: new Date(at).toISOString(),
      polls: 1,
    },
    member: { guid: 'MBR-bench' },
  },
});

interface Run {
  latencies: number[];
  /** Of the events published from STEADY_AFTER_S on, once a dead endpoint's first attempts are behind. */
  steady: number[];
  lost: number;
  duplicates: number;
  deliveries: number;
}

/** One run on the stack: fresh webhooks (the last one dead when asked), events at a steady rate, the healthy ones' latencies. */
async function isolationRun(
  stack: { url: string; apiKey: string },
  publisher: EventPublisher,
  label: string,
  withDead: boolean,
  seconds: number,
): Promise<Run> {
  const receivers = await Promise.all(Array.from({ length: WEBHOOKS }, (_, i) => startReceiver(withDead && i === WEBHOOKS - 1)));
  const ids: string[] = [];
  for (const receiver of receivers) {
    const response = await fetch(`${stack.url}/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: receiver.url, event_types: ['aggregation.*'] }),
    });
    ids.push(((await response.json()) as { webhook: { id: string } }).webhook.id);
  }
  const published = new Map<string, number>();
  const started = performance.now();
  for (let n = 0; n < seconds * EVENTS_PER_SECOND; n++) {
    const wait = started + (n * 1000) / EVENTS_PER_SECOND - performance.now();
    if (wait > 0) await delay(wait);
    const id = `msg_job_${label}${n}_succeeded`;
    published.set(id, performance.now());
    await publisher.publish(event(id, Date.now()));
  }
  const healthy = receivers.filter((_, i) => !(withDead && i === WEBHOOKS - 1));
  const deadline = performance.now() + 120_000;
  while (performance.now() < deadline && healthy.some((receiver) => receiver.firstSeen.size < published.size)) await delay(200);
  const timed = healthy.flatMap((receiver) =>
    [...receiver.firstSeen]
      .filter(([id]) => published.has(id))
      .map(([id, at]) => ({ at: published.get(id)!, ms: at - published.get(id)! })),
  );
  const latencies = timed.map(({ ms }) => ms);
  const steady = timed.filter(({ at }) => at - started >= STEADY_AFTER_S * 1000).map(({ ms }) => ms);
  const lost = healthy.reduce((total, receiver) => total + published.size - receiver.firstSeen.size, 0);
  const duplicates = healthy.reduce((total, receiver) => total + receiver.duplicates(), 0);
  for (const id of ids) {
    await fetch(`${stack.url}/webhooks/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${stack.apiKey}` } });
  }
  await Promise.all(receivers.map((receiver) => receiver.close()));
  return { latencies, steady, lost, duplicates, deliveries: published.size * WEBHOOKS };
}

async function isolation() {
  // The engines in a process of their own, as the scale benchmark has them: their data (every delivery written) and its
  // garbage collection off the workers' heap and core.
  const remote = await startRemoteSide();
  const stack = await startLocalStack({
    port: 0,
    simPort: 0,
    env: { LOG_LEVEL: 'ERROR', POWERTOOLS_METRICS_DISABLED: 'true' },
    startEngines: async () => ({ ...remote.engines, stop: async () => {} }),
  });
  const { engines } = stack;
  const urls = [engines.queueUrls.delivery, engines.queueUrls['delivery-slow']];
  const sends = countSends(() => urls);
  const aws = { region: engines.region, dynamoDbEndpoint: engines.dynamoDbEndpoint, sqsEndpoint: engines.sqsEndpoint };
  const tableRef: TableRef = { client: createDocumentClient(aws), tableName: engines.tableName };
  const clock: Clock = systemClock;
  const publisher = new EventPublisher({
    webhooks: new WebhooksRepository(tableRef, clock),
    deliveries: new DeliveriesRepository(tableRef, clock),
    queue: new DelayedQueue<DeliveryMessage>(createSqsClient(aws), engines.queueUrls.delivery, clock),
    log: silentLog,
  });
  try {
    await isolationRun(stack, publisher, 'warm', false, 5);
    let before = sends.messages;
    const alone1 = await isolationRun(stack, publisher, 'alone1', false, RUN_SECONDS);
    let aloneMessages = sends.messages - before;
    const beside1 = await isolationRun(stack, publisher, 'beside1', true, RUN_SECONDS);
    const beside2 = await isolationRun(stack, publisher, 'beside2', true, RUN_SECONDS);
    before = sends.messages;
    const alone2 = await isolationRun(stack, publisher, 'alone2', false, RUN_SECONDS);
    aloneMessages += sends.messages - before;
    const alone = pooled(alone1, alone2);
    return { alone, beside: pooled(beside1, beside2), healthyMessages: aloneMessages / alone.deliveries };
  } finally {
    await stack.stop();
    await remote.stop();
  }
}

/** Two runs of one condition as one. */
const pooled = (a: Run, b: Run): Run => ({
  latencies: [...a.latencies, ...b.latencies],
  steady: [...a.steady, ...b.steady],
  lost: a.lost + b.lost,
  duplicates: a.duplicates + b.duplicates,
  deliveries: a.deliveries + b.deliveries,
});

/** Deliveries to an endpoint that answers 503 to every attempt, on a ManualClock, until each has failed for good. */
async function wholeSchedule() {
  const engines = await startEngines();
  const urls = [engines.queueUrls.delivery, engines.queueUrls['delivery-slow']];
  const sends = countSends(() => urls);
  const aws = { region: engines.region, dynamoDbEndpoint: engines.dynamoDbEndpoint, sqsEndpoint: engines.sqsEndpoint };
  const tableRef: TableRef = { client: createDocumentClient(aws), tableName: engines.tableName };
  const sqs = createSqsClient(aws);
  // Time is the ManualClock's: SQS delays are skipped here, and each message is handled at its due time.
  sqs.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as { DelaySeconds?: number; Entries?: { DelaySeconds?: number }[] };
      const Entries = input.Entries?.map((entry) => ({ ...entry, DelaySeconds: 0 }));
      return next({ ...args, input: { ...input, ...(Entries ? { Entries } : { DelaySeconds: 0 }) } as typeof args.input });
    },
    { step: 'initialize', name: 'skipDelays' },
  );
  const clock = new ManualClock(Date.parse('2026-01-05T00:00:00.000Z'));
  const failing = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(503).end());
  });
  await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
  const store = {
    webhooks: new WebhooksRepository(tableRef, clock),
    deliveries: new DeliveriesRepository(tableRef, clock),
    deliveryLog: new DeliveryLogReader(tableRef, clock),
    waiting: new WaitingDeliveries(tableRef, clock),
    windows: new RateLimitRepository(tableRef),
    queue: new DelayedQueue<DeliveryMessage>(sqs, engines.queueUrls.delivery, clock),
    slowQueue: new DelayedQueue<DeliveryMessage>(sqs, engines.queueUrls['delivery-slow'], clock),
  };
  const notifier = createNotifier({
    ...store,
    clock,
    log: silentLog,
    metrics: noMetrics,
    secretBox: new SecretBox(new LocalDataKeys(Buffer.alloc(32, 1)), clock),
    timeoutMs: 10_000,
    allowInsecureUrls: true,
  });
  const sweep = new DeliverySweep({
    deliveries: store.deliveries,
    deliveryLog: store.deliveryLog,
    waiting: store.waiting,
    webhooks: store.webhooks,
    checkpoints: new SweepCheckpointsRepository(tableRef),
    queue: store.queue,
    stalledAfterMs: 15 * 60_000,
    clock,
    log: silentLog,
    metrics: noMetrics,
  });
  // One webhook per delivery, each selecting one event type: 8 failures in a row stay under the breaker's 10, so each delivery runs its whole schedule.
  const webhooks: Webhook[] = [];
  for (let i = 0; i < SCHEDULE_DELIVERIES; i++) {
    const url = `http://127.0.0.1:${(failing.address() as AddressInfo).port}/hooks/${i}`;
    webhooks.push(await createSealedWebhook(notifier, { url, eventTypes: [EVENT_TYPES[i]!], secret: generateSecret() }));
  }
  const publisher = new EventPublisher({ ...store, log: silentLog });
  const msgIds = webhooks.map((_, i) => `msg_job_schedule${i}_succeeded`);
  const before = sends.messages;
  for (const [i, id] of msgIds.entries())
    await publisher.publish({ ...event(id, clock.now()), type: EVENT_TYPES[i]! } as WebhookEvent);

  const pool: { message: DeliveryMessage; lane: 'delivery' | 'delivery-slow' }[] = [];
  const receive = async () => {
    for (const lane of ['delivery', 'delivery-slow'] as const) {
      for (;;) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: engines.queueUrls[lane], MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
        );
        if (Messages.length === 0) break;
        for (const received of Messages) {
          pool.push({ message: deliveryMessageSchema.parse(JSON.parse(received.Body!)), lane });
          await sqs.send(new DeleteMessageCommand({ QueueUrl: engines.queueUrls[lane], ReceiptHandle: received.ReceiptHandle! }));
        }
      }
    }
  };
  const deliveriesNow = () => Promise.all(msgIds.map((id, i) => store.deliveries.get(webhooks[i]!, id)));
  const settled = async () => (await deliveriesNow()).every((delivery) => delivery?.status === 'failed');
  let nextSweep = clock.now() + SWEEP_EVERY_MS;
  let sweeps = 0;
  const scheduleMs = RETRY_DELAYS_MS.reduce((total, wait) => total + wait, 0);
  while (clock.now() < Date.parse('2026-01-05T00:00:00.000Z') + 2 * scheduleMs) {
    await receive();
    pool.sort((a, b) => a.message.due_at - b.message.due_at);
    if (pool.length > 0 && pool[0]!.message.due_at <= clock.now()) {
      const { message, lane } = pool.shift()!;
      await notifier.deliverer.handle(message, lane);
      continue;
    }
    if (pool.length === 0 && (await settled())) break;
    const next = Math.min(nextSweep, pool[0]?.message.due_at ?? Number.POSITIVE_INFINITY);
    clock.set(next);
    if (next === nextSweep) {
      await sweep.sweep();
      sweeps++;
      nextSweep += SWEEP_EVERY_MS;
    }
  }
  const attempts = (await deliveriesNow()).map((delivery) => delivery!.attemptCount);
  const messages = (sends.messages - before) / SCHEDULE_DELIVERIES;
  await notifier.close();
  failing.close();
  sqs.destroy();
  await engines.stop();
  return { messages, attempts, sweeps, settled: attempts.every((count) => count === RETRY_DELAYS_MS.length + 1) };
}

export async function run(): Promise<BenchResult> {
  const { alone, beside, healthyMessages } = await isolation();
  const schedule = await wholeSchedule();
  const p = (values: number[], q: number) => quantile(values, q);
  const ratio = (q: number) => p(beside.latencies, q) / p(alone.latencies, q);
  /** The latency ratio at `q` against its target, with its 95 % interval (each run's deliveries resampled apart). */
  const ratioCheck = (q: number, name: string): TargetCheck => {
    const interval = bootstrapInterval(
      (draw) => p(draw(beside.latencies), q) / p(draw(alone.latencies), q),
      seededRandom(Math.round(q * 100)),
    );
    const times = (value: number) => `${fmt(value, 2)}×`;
    return {
      target: `1 of ${WEBHOOKS} endpoints dead: the other nine's delivery latency ${name} ≤ ${TARGETS.latencyRatio}× a run without it`,
      measured: `${withInterval(times(ratio(q)), interval, times)} (${fmt(p(beside.latencies, q), 0)} ms vs ${fmt(p(alone.latencies, q), 0)} ms)`,
      ...judge(ratio(q), interval, TARGETS.latencyRatio, 'at most'),
    };
  };
  const checks: TargetCheck[] = [
    ratioCheck(0.5, 'p50'),
    ratioCheck(0.99, 'p99'),
    {
      target: `1 of ${WEBHOOKS} endpoints dead, events published from ${STEADY_AFTER_S} s on (its first attempts behind): the other nine's p99 against a run without it`,
      measured: `${fmt(p(beside.steady, 0.99) / p(alone.steady, 0.99), 2)}× (${fmt(p(beside.steady, 0.99), 0)} ms vs ${fmt(p(alone.steady, 0.99), 0)} ms)`,
      met: true,
      info: true,
    },
    {
      target: `SQS messages per delivery when healthy ≤ ${TARGETS.healthyMessages}`,
      measured: fmt(healthyMessages, 2),
      met: healthyMessages <= TARGETS.healthyMessages,
    },
    {
      target: `SQS messages per delivery for a whole retry schedule (${RETRY_DELAYS_MS.length + 1} attempts) ≤ ${TARGETS.scheduleMessages}`,
      measured: `${fmt(schedule.messages, 1)} (every delivery made ${schedule.attempts.join(', ')} attempts)`,
      met: schedule.settled && schedule.messages <= TARGETS.scheduleMessages,
    },
    {
      target: '0 lost and 0 duplicated (by webhook-id) at the healthy endpoints, in every run',
      measured: `lost ${alone.lost} / ${beside.lost}, duplicated ${alone.duplicates} / ${beside.duplicates}`,
      met: alone.lost + beside.lost + alone.duplicates + beside.duplicates === 0,
    },
  ];
  const row = (name: string, values: number[]) => [
    name,
    String(values.length),
    fmt(p(values, 0.5), 0),
    fmt(p(values, 0.9), 0),
    fmt(p(values, 0.99), 0),
    fmt(p(values, 1), 0),
  ];
  const markdown = [
    `**Method:** (1) the local stack in real time (\`startLocalStack\`: 4 batches at once on \`delivery\`, 2 on \`delivery-slow\`, batches of 10; dynalite, fauxqs and the simulator in a child process, as in the scale benchmark), ${EVENTS_PER_SECOND} events a second for ${RUN_SECONDS} s a run published (EventPublisher, as the functions publish) to ${WEBHOOKS} webhooks, each its own receiver on this machine answering 204 at once; latency = first receipt of a \`webhook-id\` − its publication. A warm-up of 5 s, then runs with all ${WEBHOOKS} answering and with a fresh set of webhooks whose last endpoint takes every request and never answers (dead from the start: its first attempts are in the figures), two of each in the order alone, beside, beside, alone, pooled (a drift over the session weighs on both alike). SQS messages are counted in the SDK (sends to both delivery queues, batch entries each). (2) On a ManualClock over dynalite and fauxqs: ${SCHEDULE_DELIVERIES} deliveries to an endpoint answering 503 to every attempt, each message handled as it falls due, the sweeper every 2 minutes as deployed, until every delivery has failed for good.`,
    '',
    table(
      ['healthy endpoints', 'deliveries', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'],
      [row('all 10 answering', alone.latencies), row('9 beside a dead one', beside.latencies)],
    ),
    '',
    `A whole retry schedule: ${fmt(schedule.messages, 1)} SQS messages per delivery (the first attempt's and the 5 s and 5 min retries' messages; the 30 min to 10 h retries sent by the sweeper as they fall due), over ${schedule.sweeps} sweeps; chained 900 s re-sends took about 113 before.`,
  ].join('\n');
  return { id: 'webhooks', title: 'Webhooks: one dead endpoint, a whole retry schedule', markdown, checks };
}
