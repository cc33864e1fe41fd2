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

/**
 * Whole seconds, to the nearest: the message arrives within half a second of `due_at`. Rounding down would make
 * nearly every hop a second short — `due_at` is computed a few milliseconds before the send, so a 3 s hop would
 * be sent as 2 s — polling MX more often than the schedule says.
 */
export const hopDelaySeconds = (dueAtMs: number, nowMs: number): number =>
  Math.min(MAX_SQS_DELAY_SECONDS, Math.max(0, Math.round((dueAtMs - nowMs) / 1000)));

/** SQS takes at most this many messages in one SendMessageBatch. */
export const SQS_BATCH_MAX = 10;
/** Batches of one `scheduleAllIn` sent at once. */
const BATCHES_AT_ONCE = 8;

/** SQS refused some messages of a batch (the others were sent: the caller's retry sends them again, harmlessly). */
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
  /**
   * The tenant a message belongs to, sent as its MessageGroupId: on a standard queue SQS then serves quiet tenants
   * before one with a backlog or slow work (fair queues), so that one tenant cannot hold every consumer.
   */
  tenantOf?: (message: M) => string;
}

/**
 * One SQS queue used as a timer: `schedule` sends a message that becomes visible at `due_at`. Waits longer than
 * SQS allows are chained: the consumer calls `deferIfEarly` first, which re-sends an early message for the next
 * hop (keeping its body, attempt counters included) and tells the consumer to stop there.
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

  /** Schedules `message` `delayMs` from now. */
  async scheduleIn(message: Omit<M, 'due_at'>, delayMs: number): Promise<void> {
    await this.schedule({ ...message, due_at: this.clock.now() + delayMs } as M);
  }

  /**
   * Schedules every message `delayMs` from now: ten to a request (SendMessageBatch) rather than one each, as a
   * publish to several webhooks or a replay of many deliveries sends. A single message goes as `scheduleIn`; none,
   * nowhere.
   */
  async scheduleAllIn(messages: readonly Omit<M, 'due_at'>[], delayMs: number): Promise<void> {
    if (messages.length === 1) return this.scheduleIn(messages[0]!, delayMs);
    const dueAt = this.clock.now() + delayMs;
    await this.scheduleAll(messages.map((message) => ({ ...message, due_at: dueAt }) as M));
  }

  /** Schedules every message at its own `due_at`, ten to a request (SendMessageBatch), a few requests at once. */
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
