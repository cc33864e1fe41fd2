import { SendMessageBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Clock } from '../clock.ts';
import { NexusRelayError } from '../errors.ts';

/** SQS refuses a DelaySeconds above 15 minutes. */
export const MAX_SQS_DELAY_SECONDS = 900;
/** A message arriving this close to its due time counts as due (SQS timers are not exact). */
const DUE_TOLERANCE_MS = 1_000;

/** Every scheduled message carries when it is due, so a long wait survives being split into hops. */
export interface Scheduled {
  due_at: number;
}

/** Rounded to the nearest second: rounding down would make nearly every hop a second short, polling MX too often. */
export const hopDelaySeconds = (dueAtMs: number, nowMs: number): number =>
  Math.min(MAX_SQS_DELAY_SECONDS, Math.max(0, Math.round((dueAtMs - nowMs) / 1000)));

/** SendMessageBatch's limit. */
export const SQS_BATCH_MAX = 10;
const BATCHES_AT_ONCE = 8;

/** SQS refused some messages of a batch (the caller's retry resends the others too, harmlessly). */
export class QueueSendError extends NexusRelayError {
  constructor(queueUrl: string, failed: { Id?: string; Code?: string; Message?: string }[]) {
    const queue = queueUrl.split('/').pop();
    super(
      'QUEUE_SEND_FAILED',
      `SQS refused ${failed.length} message(s) of a batch to ${queue}: ${failed.map((f) => f.Code).join(', ')}`,
    );
    this.name = 'QueueSendError';
  }
}

export const isDue = (message: Scheduled, nowMs: number): boolean => message.due_at - nowMs <= DUE_TOLERANCE_MS;

export interface DelayedQueueOptions<M> {
  /** Sent as MessageGroupId: SQS fair queues then keep one tenant's backlog from holding every consumer. */
  tenantOf?: (message: M) => string;
}

/**
 * One SQS queue used as a timer. Waits longer than SQS allows are chained: the consumer calls `deferIfEarly` first, which
 * re-sends an early message whole for the next hop.
 */
export class DelayedQueue<M extends Scheduled> {
  constructor(
    private readonly sqs: SQSClient,
    readonly queueUrl: string,
    private readonly clock: Clock,
    private readonly options: DelayedQueueOptions<M> = {},
  ) {}

  async schedule(message: M): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(message),
        DelaySeconds: hopDelaySeconds(message.due_at, this.clock.now()),
        ...this.#group(message),
      }),
    );
  }

  #group(message: M): { MessageGroupId?: string } {
    return this.options.tenantOf ? { MessageGroupId: this.options.tenantOf(message) } : {};
  }

  async scheduleIn(message: Omit<M, 'due_at'>, delayMs: number): Promise<void> {
    await this.schedule({ ...message, due_at: this.clock.now() + delayMs } as M);
  }

  /** Schedules every message `delayMs` from now, batched. */
  async scheduleAllIn(messages: readonly Omit<M, 'due_at'>[], delayMs: number): Promise<void> {
    if (messages.length === 1) return this.scheduleIn(messages[0]!, delayMs);
    const dueAt = this.clock.now() + delayMs;
    await this.scheduleAll(messages.map((message) => ({ ...message, due_at: dueAt }) as M));
  }

  /** Schedules every message at its own `due_at`, batched, a few batches at once. */
  async scheduleAll(messages: readonly M[]): Promise<void> {
    const now = this.clock.now();
    const batches: M[][] = [];
    for (let start = 0; start < messages.length; start += SQS_BATCH_MAX)
      batches.push(messages.slice(start, start + SQS_BATCH_MAX));
    for (let start = 0; start < batches.length; start += BATCHES_AT_ONCE) {
      await Promise.all(batches.slice(start, start + BATCHES_AT_ONCE).map((batch) => this.#sendBatch(batch, now)));
    }
  }

  async #sendBatch(batch: readonly M[], now: number): Promise<void> {
    const { Failed = [] } = await this.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: this.queueUrl,
        Entries: batch.map((message, index) => ({
          Id: String(index),
          MessageBody: JSON.stringify(message),
          DelaySeconds: hopDelaySeconds(message.due_at, now),
          ...this.#group(message),
        })),
      }),
    );
    if (Failed.length > 0) throw new QueueSendError(this.queueUrl, Failed);
  }

  /** True when the message was early and has been re-sent for its next hop; the caller must then stop. */
  async deferIfEarly(message: M): Promise<boolean> {
    if (isDue(message, this.clock.now())) return false;
    await this.schedule(message);
    return true;
  }
}
