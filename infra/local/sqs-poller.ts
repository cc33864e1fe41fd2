import { DeleteMessageBatchCommand, type Message, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import type { SqsLambda } from './handlers.ts';
import { lambdaContext } from './lambda-context.ts';

export interface PollerOptions {
  sqs: SQSClient;
  queueUrl: string;
  functionName: string;
  /** The handler of container `n`: one per batch in flight, as Lambda runs each invocation in a container of its own. */
  handler: (container: number) => Promise<SqsLambda>;
  /** Batches handled at once, like Lambda's concurrent pollers. */
  concurrency?: number;
  batchSize?: number;
}

export interface Poller {
  stop(): Promise<void>;
}

/**
 * What Lambda's SQS event source mapping does, locally: receive batches, call the handler with a real SQSEvent,
 * delete what succeeded and leave `batchItemFailures` (or the whole batch, if the handler throws) to reappear
 * after the visibility timeout — and, past maxReceiveCount, to land in the dead-letter queue. As there, the
 * visibility timeout is the queue's own (ReceiveMessage does not override it), message attributes reach the handler,
 * and entries DeleteMessageBatch reports as failed are deleted again.
 */
export function startPoller(options: PollerOptions): Poller {
  const abort = new AbortController();
  const loops = Array.from({ length: options.concurrency ?? 2 }, (_, container) => pollLoop(options, container, abort.signal));
  return {
    async stop() {
      abort.abort();
      await Promise.allSettled(loops);
    },
  };
}

async function pollLoop(options: PollerOptions, container: number, signal: AbortSignal): Promise<void> {
  // Started by its first batch, as Lambda starts a container: a queue nothing is sent to costs no cold start.
  let handler: SqsLambda | undefined;
  while (!signal.aborted) {
    let messages: Message[] = [];
    try {
      const received = await options.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: options.queueUrl,
          MaxNumberOfMessages: options.batchSize ?? 10,
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
        { abortSignal: signal },
      );
      messages = received.Messages ?? [];
    } catch (error) {
      if (signal.aborted) return;
      console.error(`poller ${options.functionName}: receive failed`, error);
      await new Promise((resolve) => setTimeout(resolve, 500));
      continue;
    }
    if (messages.length === 0) continue;

    const event: SQSEvent = { Records: messages.map((message) => toRecord(message, options.queueUrl)) };
    let failed: Set<string>;
    try {
      handler ??= await options.handler(container);
      const response = await handler(event, lambdaContext(options.functionName));
      failed = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
    } catch (error) {
      console.error(`poller ${options.functionName}: handler threw (or failed to load); the batch will be retried`, error);
      failed = new Set(messages.map((message) => message.MessageId!));
    }
    const done = messages.filter((message) => !failed.has(message.MessageId!));
    await deleteAll(options, done);
  }
}

function toRecord(message: Message, queueUrl: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  const queueName = queueUrl.split('/').pop()!;
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    // As Lambda's event source passes them: each attribute with its type and value.
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        {
          dataType: value.DataType ?? 'String',
          ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
          ...(value.BinaryValue === undefined ? {} : { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }),
          stringListValues: [],
          binaryListValues: [],
        },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${queueName}`,
    awsRegion: 'us-east-1',
  };
}

/**
 * Deletes what the handler finished, as Lambda's event source does: entries DeleteMessageBatch reports as failed
 * are tried again (a few times), so a handled message is not handled again only because one delete failed.
 */
async function deleteAll(options: PollerOptions, messages: Message[]): Promise<void> {
  let pending = messages;
  for (let attempt = 1; pending.length > 0 && attempt <= 3; attempt++) {
    const byId = new Map(pending.map((message, i) => [String(i), message]));
    try {
      const { Failed = [] } = await options.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: [...byId].map(([id, message]) => ({ Id: id, ReceiptHandle: message.ReceiptHandle! })),
        }),
      );
      pending = Failed.map((failure) => byId.get(failure.Id!)!).filter(Boolean);
    } catch (error) {
      if (attempt === 3) console.error(`poller ${options.functionName}: delete failed; the messages will come back`, error);
    }
  }
}
