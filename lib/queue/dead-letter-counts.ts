import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { QUEUE_NAMES, type QueueName } from './queue-names.ts';

/** What waits in one queue's dead-letter queue, as SQS approximates it. */
export interface DeadLetterCount {
  queue: QueueName;
  /** Visible, and those a reader holds right now. */
  messages: number;
}

/** The operator's view of what failed for good (SQS's approximate counts). */
export class DeadLetterCounts {
  constructor(
    private readonly sqs: SQSClient,
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
