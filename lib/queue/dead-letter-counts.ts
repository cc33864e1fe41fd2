import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { QUEUE_NAMES, type QueueName } from './queue-names.ts';

/** What waits in one queue's dead-letter queue, as SQS approximates it. */
export interface DeadLetterCount {
  queue: QueueName;
  /** Messages in the dead-letter queue: visible, and those a reader (`dlq list`, a redrive) holds right now. */
  messages: number;
}

/**
 * The operator's view of what failed for good: how many messages wait in each queue's dead-letter queue (SQS's
 * approximate counts, a second or so behind). The CLI's `dlq list|show|redrive` reads and moves them.
 */
export class DeadLetterCounts {
  constructor(
    private readonly sqs: SQSClient,
    /** Each queue's dead-letter queue URL. */
    private readonly urls: Readonly<Record<QueueName, string>>,
  ) {}

  count(): Promise<DeadLetterCount[]> {
    return Promise.all(
      QUEUE_NAMES.map(async (queue) => {
        const url = this.urls[queue];
        const { Attributes = {} } = await this.sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: url,
            AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
          }),
        );
        const messages =
          Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
        return { queue, messages };
      }),
    );
  }
}
