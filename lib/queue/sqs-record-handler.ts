import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/** One SQS message as its consumer sees it: the body exactly as sent. */
export interface QueueMessage {
  messageId: string;
  body: string;
  /** Kept when it is dead-lettered. */
  attributes?: SQSRecord['messageAttributes'];
}

/** For consumers that read the body themselves; records whose `handle` throws are reported as failures. */
export function createSqsRecordHandler(handle: (message: QueueMessage) => Promise<void>) {
  const handleRecord = (record: SQSRecord) =>
    handle({ messageId: record.messageId, body: record.body, attributes: record.messageAttributes });
  const processor = new BatchProcessor(EventType.SQS);
  return (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    processPartialResponse(event, handleRecord, processor, { context, throwOnFullBatchFailure: false });
}
