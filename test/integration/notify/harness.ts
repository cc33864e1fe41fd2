import { testDigests } from '../../support/digest-keys.ts';
import { noMetrics } from '../../../lib/metrics.ts';
import { randomBytes } from 'node:crypto';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, vi } from 'vitest';
import { type LocalEngines, startEngines } from '../../../infra/local/engines.ts';
import { matchRoute } from '../../../infra/local/gateway.ts';
import { createDocumentClient } from '../../../lib/aws/dynamodb-client.ts';
import { createSqsClient } from '../../../lib/aws/sqs-client.ts';
import { ManualClock, toIso } from '../../../lib/clock.ts';
import type { ApiEvent } from '../../../lib/http/api-event.ts';
import { ApiKeyAuthenticator, hashApiKey } from '../../../lib/http/auth.ts';
import { createHttpHandler } from '../../../lib/http/http-handler.ts';
import { idempotent } from '../../../lib/http/idempotency.ts';
import { type Log, silentLog } from '../../../lib/logger.ts';
import type { Resolver } from '../../../lib/notify/address-guard.ts';
import { DELIVERY_ROUTES, type DeliveryRouteDeps } from '../../../lib/notify/delivery-routes.ts';
import { type DeliveryMessage, deliveryMessageSchema } from '../../../lib/notify/delivery-message.ts';
import { createNotifier } from '../../../lib/notify/notifier.ts';
import type { DeliveryLane } from '../../../lib/notify/deliverer.ts';
import { EventPublisher } from '../../../lib/notify/publisher.ts';
import { WEBHOOK_ROUTES, type WebhookRouteDeps } from '../../../lib/notify/webhook-routes.ts';
import { DelayedQueue } from '../../../lib/queue/delayed-queue.ts';
import { LocalDataKeys, SecretBox } from '../../../lib/secret-box.ts';
import { DeliveriesRepository, type DeliveryLog } from '../../../lib/notify/deliveries-repo.ts';
import { DeliveryLogReader } from '../../../lib/notify/delivery-log.ts';
import { WaitingDeliveries } from '../../../lib/notify/waiting-deliveries.ts';
import { IdempotencyRepository } from '../../../lib/store/idempotency-repo.ts';
import { RateLimitRepository } from '../../../lib/store/rate-limit-repo.ts';
import type { TableRef } from '../../../lib/store/table.ts';
import { WebhooksRepository } from '../../../lib/notify/webhooks-repo.ts';
import { type ReceivedRequest, Receiver } from '../../unit/notify/support/receiver.ts';

/** The delivery log of a webhook made by a test. */
export const logOf = (webhookId: string): DeliveryLog => ({ id: webhookId });

export interface LogEntry {
  level: keyof Log;
  message: string;
  extra?: Record<string, unknown>;
}

/** How long an attempt waits on the delivery queue before it moves to the slow lane, here (the timeout: 2 s). */
export const HARNESS_PATIENCE_MS = 500;
const DAY_MS = 24 * 60 * 60_000;

export const SERVER_KEY = 'server-key-0123456789abcdef';
export const USER_KEY = 'user-key-0123456789abcdef';

export interface NotifyHarnessOptions {
  /** Local mode (the default): http://127.0.0.1 endpoints and loopback addresses are allowed. */
  allowInsecureUrls?: boolean;
  resolver?: Resolver;
  /** Where dynalite and fauxqs run (default: in this process). */
  startEngines?: () => Promise<LocalEngines>;
}

export interface ApiCall {
  body?: unknown;
  query?: Record<string, string>;
  key?: string;
}

/**
 * The notify pieces over real dynalite and fauxqs, driven by a ManualClock. Time is skipped on both clocks:
 * the SQS client sends every message without DelaySeconds, and `drain` moves the ManualClock to each
 * message's `due_at` before handing it to the deliverer, as if the wait had passed.
 */
export async function startNotifyHarness(options: NotifyHarnessOptions = {}) {
  const engines = await (options.startEngines ?? startEngines)();
  const aws = { region: engines.region, dynamoDbEndpoint: engines.dynamoDbEndpoint, sqsEndpoint: engines.sqsEndpoint };
  const table: TableRef = { client: createDocumentClient(aws), tableName: engines.tableName };
  const sqs = createSqsClient(aws);
  let failNextSend = false;
  sqs.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as { MessageBody?: string; Entries?: { MessageBody?: string }[] };
      if (input.Entries?.[0]?.MessageBody) {
        const Entries = input.Entries.map((entry) => ({ ...entry, DelaySeconds: 0 }));
        return next({ ...args, input: { ...input, Entries } as typeof args.input });
      }
      if (!input.MessageBody) return next(args);
      if (failNextSend) {
        failNextSend = false;
        throw Object.assign(new Error('SQS unavailable (injected)'), { name: 'ServiceUnavailable' });
      }
      return next({ ...args, input: { ...input, DelaySeconds: 0 } as typeof args.input });
    },
    { step: 'initialize', name: 'skipDelays' },
  );
  const clock = new ManualClock(Date.now());
  const logs: LogEntry[] = [];
  const log: Log = {
    debug: (message, extra) => logs.push({ level: 'debug', message, extra }),
    info: (message, extra) => logs.push({ level: 'info', message, extra }),
    warn: (message, extra) => logs.push({ level: 'warn', message, extra }),
    error: (message, extra) => logs.push({ level: 'error', message, extra }),
  };
  const store = {
    webhooks: new WebhooksRepository(table, clock),
    deliveries: new DeliveriesRepository(table, clock),
    deliveryLog: new DeliveryLogReader(table, clock),
    waiting: new WaitingDeliveries(table, clock),
    windows: new RateLimitRepository(table),
    queue: new DelayedQueue<DeliveryMessage>(sqs, engines.queueUrls.delivery, clock),
    slowQueue: new DelayedQueue<DeliveryMessage>(sqs, engines.queueUrls['delivery-slow'], clock),
  };
  const notifier = createNotifier({
    metrics: noMetrics,
    ...store,
    // A key of this process: what one harness seals, it opens.
    secretBox: new SecretBox(new LocalDataKeys(randomBytes(32)), clock),
    clock,
    log,
    timeoutMs: 2_000,
    patienceMs: HARNESS_PATIENCE_MS,
    allowInsecureUrls: options.allowInsecureUrls ?? true,
    resolver: options.resolver,
    random: () => 0.5,
  });
  const publisher = new EventPublisher({ ...store, log });
  const queueUrl = engines.queueUrls.delivery;

  const apiKeys = {
    get: async (hash: string) =>
      hash === hashApiKey(SERVER_KEY)
        ? { hash, name: 'server', createdAt: '2026-01-01T00:00:00Z' }
        : hash === hashApiKey(USER_KEY)
          ? { hash, name: 'app', userId: 'user-1', createdAt: '2026-01-01T00:00:00Z' }
          : undefined,
  };
  const authenticator = new ApiKeyAuthenticator(apiKeys, clock, { log: silentLog });
  const idempotency = {
    store: new IdempotencyRepository(table),
    digests: testDigests,
    clock,
    log: silentLog,
    sealBodies: notifier.secretBox,
  };
  const apiHandler = createHttpHandler<WebhookRouteDeps & DeliveryRouteDeps>([...WEBHOOK_ROUTES, ...DELIVERY_ROUTES], notifier, {
    metrics: noMetrics,
    authenticator: () => authenticator,
    log: silentLog,
    idempotent: (route) => idempotent(route, idempotency),
  });

  /** Takes every visible message off the delivery queue, or the slow lane's (without handling it). */
  async function takeMessages(lane: DeliveryLane = 'delivery'): Promise<DeliveryMessage[]> {
    const taken: DeliveryMessage[] = [];
    const url = engines.queueUrls[lane];
    while (true) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      if (Messages.length === 0) return taken;
      taken.push(...Messages.map((message) => deliveryMessageSchema.parse(JSON.parse(message.Body!))));
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: url,
          Entries: Messages.map((message, i) => ({ Id: String(i), ReceiptHandle: message.ReceiptHandle })),
        }),
      );
    }
  }
  /** Both queues' messages, each with its lane. */
  const takeBoth = async () => [
    ...(await takeMessages()).map((message) => ({ message, lane: 'delivery' as const })),
    ...(await takeMessages('delivery-slow')).map((message) => ({ message, lane: 'delivery-slow' as const })),
  ];

  return {
    engines,
    table,
    sqs,
    queueUrl,
    clock,
    logs,
    notifier,
    publisher,
    deliveries: store.deliveries,
    deliveryLog: store.deliveryLog,
    waiting: store.waiting,
    takeMessages,

    /** No webhook and an empty delivery queue: where each test starts. */
    async reset() {
      for (const webhook of await notifier.webhooks.list()) await notifier.webhooks.delete(webhook.id);
      await takeBoth();
    },

    /** Makes the next message send fail, as when SQS is briefly unavailable. */
    failNextSend() {
      failNextSend = true;
    },

    /** Puts a message on the delivery queue, as the publisher or deliverer would. */
    async enqueue(message: DeliveryMessage) {
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(message) }));
    },

    /**
     * The worker, one message at a time, until both queues are empty and no retry is left to the sweeper: each
     * message is handled once its due time has come (the clock jumps there), as its lane's; a retry the sweeper
     * would send (DeliverySweep) is sent when nothing else is queued, as it falls due. Returns the messages handled.
     */
    async drain(): Promise<DeliveryMessage[]> {
      const handled: DeliveryMessage[] = [];
      while (true) {
        let batch = await takeBoth();
        if (batch.length === 0) {
          const { retries } = await store.waiting.sweptRetriesDue(toIso(0), clock.now() + 365 * DAY_MS, 1);
          const next = retries.sort((a, b) => a.dueAt - b.dueAt)[0];
          if (!next) return handled;
          const message = { webhook_id: next.webhookId, msg_id: next.msgId, attempt: next.attempt, due_at: next.dueAt };
          batch = [{ message, lane: 'delivery' as const }];
        }
        for (const { message, lane } of batch.sort((a, b) => a.message.due_at - b.message.due_at)) {
          if (message.due_at > clock.now()) clock.set(message.due_at);
          await notifier.deliverer.handle(message, lane);
          handled.push(message);
        }
      }
    },

    /** Calls the api-webhooks operations as API Gateway would route `method path`. */
    async api(method: string, path: string, call: ApiCall = {}) {
      const route = matchRoute(method, path);
      const event: ApiEvent = {
        routeKey: route.routeKey,
        rawPath: path,
        headers: { authorization: `Bearer ${call.key ?? SERVER_KEY}`, 'content-type': 'application/json' },
        ...(call.query ? { queryStringParameters: call.query } : {}),
        ...(route.pathParameters ? { pathParameters: route.pathParameters } : {}),
        ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
        isBase64Encoded: false,
        requestContext: { requestId: 'req-0123456789', http: { method, path } },
      };
      const result = await apiHandler(event, {} as Context);
      return {
        status: result.statusCode,
        headers: result.headers,
        body: result.body === '' ? undefined : JSON.parse(result.body),
      };
    },

    async stop() {
      await notifier.close();
      sqs.destroy();
      table.client.destroy();
      await engines.stop();
    },
  };
}

export type NotifyHarness = Awaited<ReturnType<typeof startNotifyHarness>>;

/**
 * A test file's harness and a webhook receiver on its clock, started once and stopped after the file; before each test
 * the receiver is emptied and answers 204 again, and the harness is reset. `onStart` is handed both once started.
 */
export function useNotifyHarness(onStart: (started: { harness: NotifyHarness; receiver: Receiver }) => void): void {
  let harness: NotifyHarness | undefined;
  let receiver: Receiver | undefined;
  beforeAll(async () => {
    const started = await startNotifyHarness();
    harness = started;
    receiver = await Receiver.start({ now: () => started.clock.now() });
    onStart({ harness: started, receiver });
  });
  afterAll(async () => {
    await receiver?.close();
    await harness?.stop();
  });
  beforeEach(async () => {
    receiver!.requests.length = 0;
    receiver!.respond = (_, response) => response.writeHead(204).end();
    await harness!.reset();
  });
}

/** A resolver that knows only `names`; anything else does not resolve. */
export function resolverOf(names: Record<string, string | string[]>): Resolver {
  return async (hostname) => {
    const addresses = names[hostname];
    if (addresses === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return [addresses].flat().map((address) => ({ address, family: address.includes(':') ? (6 as const) : (4 as const) }));
  };
}

/** Verifies a received request with the public library, as its receiver did at the (simulated) time it arrived. */
export function verifyAtReceipt(request: ReceivedRequest, secret: string): unknown {
  vi.useFakeTimers({ toFake: ['Date'], now: request.receivedAt });
  try {
    return new Webhook(secret).verify(request.body, request.headers as Record<string, string>);
  } finally {
    vi.useRealTimers();
  }
}
