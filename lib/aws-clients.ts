import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Config } from './config.ts';

type AwsSettings = Config['aws'];

/** Local endpoints accept any credentials; the SDK still insists on having some. */
const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

export function createDocumentClient(aws: AwsSettings): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    region: aws.region,
    ...(aws.dynamoDbEndpoint ? { endpoint: aws.dynamoDbEndpoint, credentials: localCredentials } : {}),
  });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export function createSqsClient(aws: AwsSettings): SQSClient {
  return new SQSClient({
    region: aws.region,
    // fauxqs names its queues http://sqs.<region>.localhost:<port>/…, which glibc does not resolve: with an
    // endpoint override, send every call to the endpoint and let the queue URL travel in the body.
    ...(aws.sqsEndpoint ? { endpoint: aws.sqsEndpoint, credentials: localCredentials, useQueueUrlAsEndpoint: false } : {}),
  });
}
