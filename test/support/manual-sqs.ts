import { createHash, randomUUID } from 'node:crypto';
import type {
  SendMessageBatchCommandInput,
  SendMessageBatchCommandOutput,
  SendMessageCommandInput,
  SendMessageCommandOutput,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { ManualClock } from '../../lib/clock.ts';

/** One delivery of a message, as a Lambda event source would hand it to a worker. */
export interface QueuedMessage {
  /** Unique per delivery (a duplicate is another delivery of the same SQS message). */
  seq: number;
  /** The SQS message id: shared by the duplicates of one message. */
  messageId: string;
  queueUrl: string;
  body: string;
  /** When it was sent (by the ManualClock). */
  sentAt: number;
  /** When it may be received: send time + DelaySeconds, or the end of a failed receive's visibility timeout. */
  visibleAt: number;
  /** Receives that ended in a failure (SQS's ApproximateReceiveCount, counting only the failed ones). */
  failedReceives: number;
}

export interface DeadLetter {
  message: QueuedMessage;
  at: number;
}

/**
 * SQS, as the workers' event sources see it, in simulated time and in memory. Every SendMessage made through the
 * client (after the SDK has built it) is kept here instead of going out, visible at send time + DelaySeconds by the
 * ManualClock, as SQS would make it. A record that fails comes back after the visibility timeout; once it has failed
 * `maxReceiveCount` times it moves to the dead-letter list instead (the queues' redrive policy).
 */
export class ManualSqs {
  readonly #clock: ManualClock;
  readonly #visibilityTimeoutMs: number;
  readonly #maxReceiveCount: number;
  #pool: QueuedMessage[] = [];
  #seq = 0;
  readonly deadLetters: DeadLetter[] = [];
  /** Messages sent, by queue URL. */
  readonly sent = new Map<string, number>();
  readonly #sentPolls = new Set<string>();

  constructor(sqs: SQSClient, clock: ManualClock, options: { visibilityTimeoutMs: number; maxReceiveCount: number }) {
    this.#clock = clock;
    this.#visibilityTimeoutMs = options.visibilityTimeoutMs;
    this.#maxReceiveCount = options.maxReceiveCount;
    sqs.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'SendMessageBatchCommand') {
          // Each entry as its own message, as SQS delivers them.
          const input = args.input as SendMessageBatchCommandInput;
          const successful = (input.Entries ?? []).map((entry) => ({
            Id: entry.Id!,
            MessageId: this.#keep(input.QueueUrl!, entry.MessageBody!, entry.DelaySeconds),
            MD5OfMessageBody: createHash('md5').update(entry.MessageBody!).digest('hex'),
          }));
          const output: SendMessageBatchCommandOutput = {
            Successful: successful,
            Failed: [],
            $metadata: { httpStatusCode: 200 },
          };
          return { output, response: { statusCode: 200, headers: {} } } as Awaited<ReturnType<typeof next>>;
        }
        if (context.commandName !== 'SendMessageCommand') return next(args);
        const input = args.input as SendMessageCommandInput;
        const messageId = this.#keep(input.QueueUrl!, input.MessageBody!, input.DelaySeconds);
        const output: SendMessageCommandOutput = {
          MessageId: messageId,
          MD5OfMessageBody: createHash('md5').update(input.MessageBody!).digest('hex'),
          $metadata: { httpStatusCode: 200 },
        };
        return { output, response: { statusCode: 200, headers: {} } } as Awaited<ReturnType<typeof next>>;
      },
      { step: 'initialize', name: 'manualSqs', priority: 'high' },
    );
  }

  /** Keeps a sent message (visible at send time + `delaySeconds`); answers its message id. */
  #keep(queueUrl: string, body: string, delaySeconds = 0): string {
    const messageId = randomUUID();
    this.#pool.push({
      seq: this.#seq++,
      messageId,
      queueUrl,
      body,
      sentAt: this.#clock.now(),
      visibleAt: this.#clock.now() + delaySeconds * 1000,
      failedReceives: 0,
    });
    this.sent.set(queueUrl, (this.sent.get(queueUrl) ?? 0) + 1);
    const step = pollStepOf(body);
    if (step) this.#sentPolls.add(step);
    return messageId;
  }

  /** Takes every message visible now out of the pool (the caller hands each back with `fail`, or it is gone). */
  takeVisible(): QueuedMessage[] {
    const now = this.#clock.now();
    const visible = this.#pool.filter((message) => message.visibleAt <= now);
    this.#pool = this.#pool.filter((message) => message.visibleAt > now);
    return visible;
  }

  /**
   * SQS delivering `message` once more (at-least-once delivery): at `visibleAt` (pooled), or now (handed to the
   * caller, like a message from `takeVisible`).
   */
  duplicate(message: QueuedMessage, visibleAt?: number): QueuedMessage {
    const copy = { ...message, seq: this.#seq++, visibleAt: visibleAt ?? this.#clock.now(), failedReceives: 0 };
    if (visibleAt !== undefined) this.#pool.push(copy);
    return copy;
  }

  /** A receive of `message` failed: it comes back after the visibility timeout, or dead-letters. */
  fail(message: QueuedMessage): 'returned' | 'dead_lettered' {
    message.failedReceives += 1;
    if (message.failedReceives >= this.#maxReceiveCount) {
      this.deadLetters.push({ message, at: this.#clock.now() });
      return 'dead_lettered';
    }
    message.visibleAt = this.#clock.now() + this.#visibilityTimeoutMs;
    this.#pool.push(message);
    return 'returned';
  }

  /** Whether a poll step message `{job_id, step}` was ever sent (to any queue: only the poll queue carries them). */
  sentPoll(jobId: string, step: number): boolean {
    return this.#sentPolls.has(`${jobId}/${step}`);
  }

  /** Deliveries of the SQS message `messageId` waiting in the pool (returned after a failure, or duplicates to come). */
  waitingCopiesOf(messageId: string): number {
    return this.#pool.filter((message) => message.messageId === messageId).length;
  }

  get size(): number {
    return this.#pool.length;
  }

  nextVisibleAt(): number | undefined {
    return this.#pool.length === 0 ? undefined : Math.min(...this.#pool.map((message) => message.visibleAt));
  }
}

/** `job_id/step` of a poll step message's body; undefined for any other body (a test may send malformed ones). */
function pollStepOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { job_id?: unknown; step?: unknown };
    return typeof parsed.job_id === 'string' && typeof parsed.step === 'number' ? `${parsed.job_id}/${parsed.step}` : undefined;
  } catch {
    return undefined;
  }
}
