import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type * as z from '../zod.ts';
import { type LogContext, withLogContext } from '../log-context.ts';
import type { Log } from '../logger.ts';
import type { MetricsSink } from '../metrics.ts';
import type { DeadLetterQueue } from './dead-letter-queue.ts';
import { type QueueName, queueOfRecord } from './queue-names.ts';

/** Where a worker puts the messages it cannot parse: the dead-letter queue of each queue it consumes. */
export interface PoisonMessages {
  deadLetters: Readonly<Partial<Record<QueueName, Pick<DeadLetterQueue, 'send'>>>>;
  metrics: MetricsSink;
}

/**
 * An SQS-triggered Lambda handler: each record is parsed with `schema` and handed to `handle`; records whose
 * `handle` throws are reported in `batchItemFailures` (SQS redelivers only those). A body that does not parse can
 * never succeed: it goes to the queue's dead-letter queue at once, unchanged (body and attributes) with its
 * `reason` and the schema issue as attributes, and only then is it acknowledged. If that write fails, the record
 * is reported failed: SQS keeps it, and its redrive moves it to the dead-letter queue after maxReceiveCount. No
 * message is ever acknowledged unhandled.
 */
export function createSqsBatchHandler<S extends z.ZodMiniType>(
  schema: S,
  /** Each record's message and the queue it came from. */
  handle: (message: z.output<S>, queue: QueueName) => Promise<void>,
  options: {
    log: Log;
    poison: PoisonMessages;
    /** What each line logged while a record is handled names besides its message id (the job it is about). */
    contextOf?: (message: z.output<S>) => LogContext;
  },
) {
  const { log, poison, contextOf = () => ({}) } = options;
  const consumed = Object.keys(poison.deadLetters) as [QueueName, ...QueueName[]];
  const handleRecord = (record: SQSRecord) => withLogContext({ message_id: record.messageId }, () => handleParsed(record));
  const handleParsed = async (record: SQSRecord) => {
    let body: unknown;
    try {
      body = JSON.parse(record.body);
    } catch {
      body = undefined;
    }
    const queue = queueOfRecord(record.eventSourceARN, consumed);
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const detail = body === undefined ? 'The body is not JSON.' : `${issue?.path.join('.') || '(root)'}: ${issue?.message}`;
      // Queue messages carry only ids, counters and times, so the body is safe to log.
      const fields = { body: record.body.slice(0, 500), reason: 'malformed', detail };
      await poison.deadLetters[queue]!.send(
        record.body,
        { reason: 'malformed', detail, source_message_id: record.messageId },
        record.messageAttributes,
      );
      poison.metrics.add('MessagesDeadLettered', 1, { queue, reason: 'malformed' });
      log.error('malformed queue message sent to the dead-letter queue', fields);
      return;
    }
    await withLogContext(contextOf(parsed.data), () => handle(parsed.data, queue));
  };
  const processor = new BatchProcessor(EventType.SQS);
  return (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    processPartialResponse(event, handleRecord, processor, { context, throwOnFullBatchFailure: false });
}
