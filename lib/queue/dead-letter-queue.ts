import { type MessageAttributeValue, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import type { DeadLetterAttributes } from './dead-letter-attributes.ts';

/** SQS refuses an empty string attribute; long ones are cut to keep the message well under its size limit. */
const MAX_ATTRIBUTE_LENGTH = 256;

/** Written to directly, for messages that can never succeed: at once, with why, instead of failing until SQS redrives it. */
export class DeadLetterQueue {
  constructor(
    private readonly sqs: SQSClient,
    readonly queueUrl: string,
  ) {}

  /** Keeps the message's own attributes, so it can be redriven as it came. */
  async send(body: string, attributes: DeadLetterAttributes, original: SQSRecord['messageAttributes'] = {}): Promise<void> {
    const messageAttributes: Record<string, MessageAttributeValue> = {};
    for (const [name, value] of Object.entries(original)) {
      messageAttributes[name] = {
        DataType: value.dataType,
        ...(value.stringValue === undefined ? {} : { StringValue: value.stringValue }),
        ...(value.binaryValue === undefined ? {} : { BinaryValue: Buffer.from(value.binaryValue, 'base64') }),
      };
    }
    for (const [name, value] of Object.entries(attributes)) {
      if (value) messageAttributes[name] = { DataType: 'String', StringValue: value.slice(0, MAX_ATTRIBUTE_LENGTH) };
    }
    await this.sqs.send(
      new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: body, MessageAttributes: messageAttributes }),
    );
  }
}
