import type { AddressInfo } from 'node:net';
import { waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import dynalite from 'dynalite';
import { buildApp } from 'fauxqs';
import { createDocumentClient } from '../../lib/aws/dynamodb-client.ts';
import { createSqsClient } from '../../lib/aws/sqs-client.ts';
import { QUEUE_NAMES, type QueueName } from '../../lib/queue/queue-names.ts';
import { createTable } from '../../lib/store/table.ts';
import { listenOn, LOOPBACK } from './ports.ts';

export interface LocalEngines {
  region: string;
  dynamoDbEndpoint: string;
  sqsEndpoint: string;
  tableName: string;
  /** Each queue of lib/queue/queue-names.ts, with a dead-letter queue as in AWS. */
  queueUrls: Record<QueueName, string>;
  deadLetterQueueUrls: Record<QueueName, string>;
  stop(): Promise<void>;
}

export interface StartEnginesOptions {
  /** Keep DynamoDB data in this directory between runs (in memory otherwise). */
  persistDir?: string;
  tableName?: string;
  /** Visibility timeout of the work queues; a failed message is retried after it. */
  visibilityTimeoutSeconds?: number;
  maxReceiveCount?: number;
  /** Ports (0 or absent: any free one). */
  dynamoDbPort?: number;
  sqsPort?: number;
}

/**
 * dynalite (DynamoDB) and fauxqs (SQS) on loopback (any free port unless told one), with the table and queues
 * created as the CDK stack creates them. Several stacks can run side by side: nothing here uses a fixed port.
 */
export async function startEngines(options: StartEnginesOptions = {}): Promise<LocalEngines> {
  const region = 'us-east-1';
  const tableName = options.tableName ?? 'nexus-relay-local';

  const dynamo = dynalite({ path: options.persistDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await listenOn(
    'dynamodb',
    options.dynamoDbPort ?? 0,
    () =>
      new Promise<void>((resolve, reject) => {
        dynamo.once('error', reject);
        dynamo.listen(options.dynamoDbPort ?? 0, LOOPBACK, () => resolve());
      }),
  );
  const dynamoDbEndpoint = `http://${LOOPBACK}:${(dynamo.address() as AddressInfo).port}`;

  // fauxqs's own start-up binds every interface; its app, listened on here, binds loopback only.
  const sqs = buildApp({ logger: false });
  try {
    await listenOn('sqs', options.sqsPort ?? 0, () => sqs.listen({ port: options.sqsPort ?? 0, host: LOOPBACK }));
  } catch (error) {
    await new Promise<void>((resolve) => dynamo.close(() => resolve()));
    throw error;
  }
  const sqsEndpoint = `http://${LOOPBACK}:${(sqs.server.address() as AddressInfo).port}`;

  const aws = { region, dynamoDbEndpoint, sqsEndpoint };
  const documentClient = createDocumentClient(aws);
  const sqsClient = createSqsClient(aws);
  try {
    await createTable(documentClient as never, tableName);
    // dynalite answers CreateTable with the table CREATING and makes it ACTIVE a moment later, as DynamoDB does: a
    // write in between is refused (ResourceNotFoundException), seen on a loaded machine at a restart.
    await waitUntilTableExists(
      { client: documentClient as never, maxWaitTime: 30, minDelay: 1, maxDelay: 1 },
      { TableName: tableName },
    );
    const queueUrls = {} as Record<QueueName, string>;
    const deadLetterQueueUrls = {} as Record<QueueName, string>;
    for (const name of QUEUE_NAMES) {
      const dlq = await sqsClient.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
      const dlqArn = await sqsClient.send(
        new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }),
      );
      const queue = await sqsClient.send(
        new CreateQueueCommand({
          QueueName: name,
          Attributes: {
            VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 30),
            RedrivePolicy: JSON.stringify({
              deadLetterTargetArn: dlqArn.Attributes?.QueueArn,
              maxReceiveCount: options.maxReceiveCount ?? 5,
            }),
          },
        }),
      );
      queueUrls[name] = queue.QueueUrl!;
      deadLetterQueueUrls[name] = dlq.QueueUrl!;
    }
    return {
      region,
      dynamoDbEndpoint,
      sqsEndpoint,
      tableName,
      queueUrls,
      deadLetterQueueUrls,
      async stop() {
        documentClient.destroy();
        sqsClient.destroy();
        await sqs.close();
        await new Promise<void>((resolve) => dynamo.close(() => resolve()));
      },
    };
  } catch (error) {
    documentClient.destroy();
    sqsClient.destroy();
    await sqs.close();
    dynamo.close();
    throw error;
  }
}
