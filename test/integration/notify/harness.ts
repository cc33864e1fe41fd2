import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { Webhook } from 'standardwebhooks';
import { Agent } from 'undici';
import { vi } from 'vitest';
import { startEngines } from '../../../infra/local/engines.ts';
import { createDocumentClient, createSqsClient } from '../../../lib/aws-clients.ts';
import { ManualClock } from '../../../lib/clock.ts';
import type { Log } from '../../../lib/logger.ts';
import { type DeliveryMessage, deliveryMessageSchema } from '../../../lib/notify/delivery-message.ts';
import { createNotifier } from '../../../lib/notify/index.ts';
import { DeliveriesRepository } from '../../../lib/store/deliveries-repo.ts';
import type { TableRef } from '../../../lib/store/table.ts';
import type { ReceivedRequest } from '../../unit/notify/support/receiver.ts';

export interface LogEntry {
  level: keyof Log;
  message: string;
  extra?: Record<string, unknown>;
}

/**
 * The notify pieces over real dynalite and fauxqs, driven by a ManualClock. Time is skipped on both clocks:
 * the SQS client sends every message without DelaySeconds, and `drain` moves the ManualClock to each
 * message's `due_at` before handing it to the deliverer, as if the wait had passed.
 */
export async function startNotifyHarness() {
  const engines = await startEngines();
  const aws = { region: engines.region, dynamoDbEndpoint: engines.dynamoDbEndpoint, sqsEndpoint: engines.sqsEndpoint };
  const table: TableRef = { client: createDocumentClient(aws), tableName: engines.tableName };
  const sqs = createSqsClient(aws);
  let failNextSend = false;
  sqs.middlewareStack.add(
    (next) => async (args) => {
      if (!(args.input as { MessageBody?: string }).MessageBody) return next(args);
      if (failNextSend) {
        failNextSend = false;
        throw Object.assign(new Error('SQS unavailable (injected)'), { name: 'ServiceUnavailable' });
      }
      return next({ ...args, input: { ...args.input, DelaySeconds: 0 } as typeof args.input });
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
  const dispatcher = new Agent();
  const notifier = createNotifier({
    table,
    sqs,
    deliveryQueueUrl: engines.queueUrls.delivery,
    clock,
    log,
    timeoutMs: 2_000,
    dispatcher,
    random: () => 0.5,
  });
  const queueUrl = engines.queueUrls.delivery;

  /** Takes every visible message off the delivery queue (without handling it). */
  async function takeMessages(): Promise<DeliveryMessage[]> {
    const taken: DeliveryMessage[] = [];
    while (true) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      if (Messages.length === 0) return taken;
      for (const message of Messages) {
        taken.push(deliveryMessageSchema.parse(JSON.parse(message.Body!)));
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
      }
    }
  }

  return {
    engines,
    table,
    clock,
    logs,
    notifier,
    deliveries: new DeliveriesRepository(table, clock),
    takeMessages,

    /** Makes the next message send fail, as when SQS is briefly unavailable. */
    failNextSend() {
      failNextSend = true;
    },

    /** Puts a message on the delivery queue, as the publisher or deliverer would. */
    async enqueue(message: DeliveryMessage) {
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(message) }));
    },

    /**
     * The worker, one message at a time, until the queue is empty: each message is handled once its due time
     * has come (the clock jumps there). Returns the messages handled, in order.
     */
    async drain(): Promise<DeliveryMessage[]> {
      const handled: DeliveryMessage[] = [];
      for (let batch = await takeMessages(); batch.length > 0; batch = await takeMessages()) {
        for (const message of batch.sort((a, b) => a.due_at - b.due_at)) {
          if (message.due_at > clock.now()) clock.set(message.due_at);
          await notifier.deliverer.handle(message);
          handled.push(message);
        }
      }
      return handled;
    },

    async stop() {
      await dispatcher.close();
      sqs.destroy();
      table.client.destroy();
      await engines.stop();
    },
  };
}

export type NotifyHarness = Awaited<ReturnType<typeof startNotifyHarness>>;

/** Verifies a received request with the public library, as its receiver did at the (simulated) time it arrived. */
export function verifyAtReceipt(request: ReceivedRequest, secret: string): unknown {
  vi.useFakeTimers({ toFake: ['Date'], now: request.receivedAt });
  try {
    return new Webhook(secret).verify(request.body, request.headers as Record<string, string>);
  } finally {
    vi.useRealTimers();
  }
}
