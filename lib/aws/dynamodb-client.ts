import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Config } from '../config.ts';
import { NexusRelayError } from '../errors.ts';
import { localCredentials } from './local-endpoint.ts';

/** DynamoDB's answers to requests over a table's, an index's or a partition's capacity. */
const THROTTLES: ReadonlySet<string> = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
]);

/** Raised when DynamoDB throttled a request through the SDK's retries: `TABLE_THROTTLED`, DynamoDB's error its cause. */
export class TableThrottledError extends NexusRelayError {
  constructor(cause: Error) {
    super('TABLE_THROTTLED', `DynamoDB throttled the request through the SDK's retries (${cause.name})`, { cause });
    this.name = 'TableThrottledError';
  }
}

export function createDocumentClient(aws: Config['aws']): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    region: aws.region,
    ...(aws.dynamoDbEndpoint ? { endpoint: aws.dynamoDbEndpoint, credentials: localCredentials } : {}),
  });
  // Outside the retries (they run at `finalizeRequest`): what still fails is DynamoDB's own, told apart from KMS's and
  // SQS's throttles of the same name.
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        throw error instanceof Error && THROTTLES.has(error.name) ? new TableThrottledError(error) : error;
      }
    },
    { step: 'initialize', name: 'tableThrottledError' },
  );
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}
