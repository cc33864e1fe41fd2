import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type * as z from '../zod.ts';
import { type LogContext, withLogContext } from '../log-context.ts';
import type { Log } from '../logger.ts';
import type { QueueMetrics } from './queue-metrics.ts';
import type { DeadLetterQueue } from './dead-letter-queue.ts';
import { type QueueName, queueOfRecord } from './queue-names.ts';

/** The dead-letter queue of each queue a worker consumes, for messages it cannot parse. */
export interface PoisonMessages {
  deadLetters: Readonly<Partial<Record<QueueName, Pick<DeadLetterQueue, 'send'>>>>;
  metrics: QueueMetrics;
}

/**
 * An SQS-triggered handler; SQS redelivers only the records whose `handle` throws. A body that does not parse goes to the
 * dead-letter queue at once, unchanged, and only then is acknowledged: no message is ever acknowledged unhandled.
 */
export function createSqsBatchHandler<S extends z.ZodMiniType>(
  schema: S,
  handle: (message: z.output<S>, queue: QueueName) => Promise<void>,
  options: {
    log: Log;
    poison: PoisonMessages;
    /** What each log line names besides the message id. */
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
