import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { z } from 'zod';
import { type LogContext, withLogContext } from '../log-context.ts';
import type { Log } from '../logger.ts';

/**
 * An SQS-triggered Lambda handler: each record is parsed with `schema` and handed to `handle`; records whose
 * `handle` throws are reported in `batchItemFailures` (SQS redelivers only those). A body that does not parse
 * can never succeed, so it is logged and acknowledged rather than retried into the dead-letter queue.
 */
export function createSqsBatchHandler<S extends z.ZodType>(
  schema: S,
  handle: (message: z.output<S>) => Promise<void>,
  log: Log,
  contextOf: (message: z.output<S>) => LogContext = () => ({}),
) {
  const handleRecord = (record: SQSRecord) => withLogContext({ message_id: record.messageId }, () => handleParsed(record));
  const handleParsed = async (record: SQSRecord) => {
    let body: unknown;
    try {
      body = JSON.parse(record.body);
    } catch {
      body = undefined;
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      // Queue messages carry only ids, counters and times, so the body is safe to log.
      log.error('malformed queue message dropped', {
        body: record.body.slice(0, 500),
        issues: parsed.error.issues.slice(0, 3),
      });
      return;
    }
    await withLogContext(contextOf(parsed.data), () => handle(parsed.data));
  };
  // A processor per batch: it keeps the batch's state, and the local pollers run several batches at once.
  return (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    processPartialResponse(event, handleRecord, new BatchProcessor(EventType.SQS), { context, throwOnFullBatchFailure: false });
}
