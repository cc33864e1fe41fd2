import { type Message, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

/**
 * Messages received from `queueUrl`, with their attributes, until `count` came or `timeoutMs` passed (long polls of
 * 1 s). `visibilityTimeout` keeps them hidden for longer than the queue's own, so that a slow test reads each once.
 */
export async function receiveMessages(
  sqs: SQSClient,
  queueUrl: string,
  count: number,
  { timeoutMs, visibilityTimeout }: { timeoutMs: number; visibilityTimeout?: number },
): Promise<Message[]> {
  const messages: Message[] = [];
  const deadline = Date.now() + timeoutMs;
  while (messages.length < count && Date.now() < deadline) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
        ...(visibilityTimeout === undefined ? {} : { VisibilityTimeout: visibilityTimeout }),
      }),
    );
    messages.push(...Messages);
  }
  return messages;
}
