import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Config } from '../config.ts';
import { localCredentials } from './local-endpoint.ts';

export function createDocumentClient(aws: Config['aws']): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    region: aws.region,
    ...(aws.dynamoDbEndpoint ? { endpoint: aws.dynamoDbEndpoint, credentials: localCredentials } : {}),
  });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}
