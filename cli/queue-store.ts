import type { Message, MessageAttributeValue, SQSClient } from '@aws-sdk/client-sqs';
import { DEAD_LETTER_ATTRIBUTES } from '../lib/queue/dead-letter-attributes.ts';
import { awsProblem, type CliError } from './errors.ts';
import type { QueueTarget } from './target.ts';

/** Local endpoints (fauxqs) accept any credentials; the SDK still insists on having some. */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** A dead-lettered message as the CLI shows it. */
export interface DeadLetter {
  id: string;
  body: string;
  /** String attributes: the message's own and, where the relay put it there, `reason` and `detail`. */
  attributes: Record<string, string>;
  sentAt?: string;
  receiveCount?: number;
}

export interface RedriveResult {
  moved: number;
  /** `move-task`: SQS moved them itself (StartMessageMoveTask); `copy`: received, sent back and deleted one by one. */
  method: 'move-task' | 'copy';
  taskHandle?: string;
}

/**
 * A work queue's dead-letter queue: read without consuming (what a listing received is made visible again at its
 * end), and moved back to its queue. The SDK is loaded only here, so the HTTP commands start without it.
 */
export class DeadLetterStore {
  private constructor(
    private readonly sqs: SQSClient,
    private readonly sdk: typeof import('@aws-sdk/client-sqs'),
    private readonly queueUrl: string,
    private readonly deadLetterQueueUrl: string,
  ) {}

  static async open(target: QueueTarget): Promise<DeadLetterStore> {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const sdk = await import('@aws-sdk/client-sqs');
    const sqs = new sdk.SQSClient({
      ...(target.region === undefined ? {} : { region: target.region }),
      ...(target.endpoint === undefined
        ? {}
        : { endpoint: target.endpoint, credentials: LOCAL_CREDENTIALS, useQueueUrlAsEndpoint: false }),
      maxAttempts: 3,
    });
    try {
      const urlOf = async (given: string | undefined, name: string) =>
        given ?? (await sqs.send(new sdk.GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
      return new DeadLetterStore(
        sqs,
        sdk,
        await urlOf(target.queueUrl, target.queueName),
        await urlOf(target.deadLetterQueueUrl, target.deadLetterQueueName),
      );
    } catch (error) {
      sqs.destroy();
      throw sqsProblem(target.deadLetterQueueName, error);
    }
  }

  close(): void {
    this.sqs.destroy();
  }

  /** Up to `max` messages, each once. */
  async list(max: number): Promise<DeadLetter[]> {
    const seen = new Map<string, DeadLetter>();
    const handles: string[] = [];
    for (let round = 0; round < 100 && seen.size < max; round++) {
      const messages = await this.#receive(Math.min(10, max - seen.size), 30);
      if (messages.length === 0) break;
      for (const message of messages) {
        seen.set(message.MessageId!, toDeadLetter(message));
        handles.push(message.ReceiptHandle!);
      }
    }
    // Looked at, not taken: visible again at once for the next reader (and for SQS's own redrive).
    await this.#showAgain(handles);
    return [...seen.values()];
  }

  /**
   * Moves messages back to the work queue: all of them with SQS's message move task where the engine has it,
   * otherwise (and for one `id`) receive → send → delete, at least once: a message is deleted only after it was
   * sent; if it fails again, it comes back here.
   */
  async redrive(options: { all: true } | { id: string }): Promise<RedriveResult> {
    if ('all' in options) {
      const task = await this.#moveTask();
      if (task) return task;
    }
    // What was in the DLQ when the redrive began, each once: a message that fails again and comes back (a new
    // send, or SQS's own redrive of the same id) is left for the next look instead of going round in a loop.
    const startedAt = Date.now();
    const moved = new Set<string>();
    const looked = new Set<string>();
    for (let round = 0; round < 1_000; round++) {
      const messages = await this.#receive(10, 30);
      const movable = messages.filter(
        (message) =>
          !moved.has(message.MessageId!) &&
          Number(message.Attributes?.SentTimestamp ?? 0) < startedAt &&
          ('all' in options || message.MessageId === options.id),
      );
      await this.#showAgain(messages.filter((message) => !movable.includes(message)).map((m) => m.ReceiptHandle!));
      const nothingNew = messages.every((message) => looked.has(message.MessageId!));
      for (const message of messages) looked.add(message.MessageId!);
      if (movable.length === 0 && ('all' in options || nothingNew)) break;
      for (const message of movable) {
        await this.sqs.send(
          new this.sdk.SendMessageCommand({
            QueueUrl: this.queueUrl,
            MessageBody: message.Body ?? '',
            MessageAttributes: originalAttributes(message.MessageAttributes),
          }),
        );
        await this.sqs.send(
          new this.sdk.DeleteMessageCommand({ QueueUrl: this.deadLetterQueueUrl, ReceiptHandle: message.ReceiptHandle! }),
        );
        moved.add(message.MessageId!);
      }
      if (!('all' in options) && moved.size > 0) break;
    }
    return { moved: moved.size, method: 'copy' };
  }

  /** StartMessageMoveTask when the engine supports it (AWS does; fauxqs does not: then undefined). */
  async #moveTask(): Promise<RedriveResult | undefined> {
    const arnOf = async (url: string) =>
      (
        await this.sqs.send(
          new this.sdk.GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn', 'ApproximateNumberOfMessages'] }),
        )
      ).Attributes ?? {};
    const source = await arnOf(this.deadLetterQueueUrl);
    const destination = await arnOf(this.queueUrl);
    try {
      const { TaskHandle } = await this.sqs.send(
        new this.sdk.StartMessageMoveTaskCommand({ SourceArn: source.QueueArn, DestinationArn: destination.QueueArn }),
      );
      return { moved: Number(source.ApproximateNumberOfMessages ?? 0), method: 'move-task', taskHandle: TaskHandle };
    } catch (error) {
      if (isUnsupported(error)) return undefined;
      throw error;
    }
  }

  async #showAgain(receiptHandles: string[]): Promise<void> {
    for (const handle of receiptHandles) {
      await this.sqs.send(
        new this.sdk.ChangeMessageVisibilityCommand({
          QueueUrl: this.deadLetterQueueUrl,
          ReceiptHandle: handle,
          VisibilityTimeout: 0,
        }),
      );
    }
  }

  async #receive(count: number, visibilityTimeout: number): Promise<Message[]> {
    const { Messages = [] } = await this.sqs.send(
      new this.sdk.ReceiveMessageCommand({
        QueueUrl: this.deadLetterQueueUrl,
        MaxNumberOfMessages: count,
        VisibilityTimeout: visibilityTimeout,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
      }),
    );
    return Messages;
  }
}

/** An engine without the operation answers so; anything else (e.g. AccessDenied) is a real failure. */
const isUnsupported = (error: unknown): boolean => {
  const failure = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  return /InvalidAction|UnsupportedOperation|NotImplemented|UnknownOperation|not (supported|implemented)/i.test(
    `${failure.name} ${failure.message}`,
  );
};

function originalAttributes(attributes: Record<string, MessageAttributeValue> = {}): Record<string, MessageAttributeValue> {
  return Object.fromEntries(
    Object.entries(attributes).filter(([name]) => !(DEAD_LETTER_ATTRIBUTES as readonly string[]).includes(name)),
  );
}

function toDeadLetter(message: Message): DeadLetter {
  const sent = Number(message.Attributes?.SentTimestamp);
  const count = Number(message.Attributes?.ApproximateReceiveCount);
  return {
    id: message.MessageId!,
    body: message.Body ?? '',
    attributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {})
        .filter(([, value]) => value.StringValue !== undefined)
        .map(([name, value]) => [name, value.StringValue!]),
    ),
    ...(Number.isFinite(sent) ? { sentAt: new Date(sent).toISOString() } : {}),
    ...(Number.isFinite(count) ? { receiveCount: count } : {}),
  };
}

export const sqsProblem = (queue: string, error: unknown): CliError => awsProblem('SQS', 'sqs_error', queue, error);
