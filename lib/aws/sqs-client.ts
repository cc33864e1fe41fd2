import { SQSClient } from '@aws-sdk/client-sqs';
import type { Config } from '../config.ts';
import { localCredentials } from './local-endpoint.ts';

export function createSqsClient(aws: Config['aws']): SQSClient {
  return new SQSClient({
    region: aws.region,
    // fauxqs names its queues http://sqs.<region>.localhost:<port>/…, which glibc does not resolve: with an
    // endpoint override, send every call to the endpoint and let the queue URL travel in the body.
    ...(aws.sqsEndpoint ? { endpoint: aws.sqsEndpoint, credentials: localCredentials, useQueueUrlAsEndpoint: false } : {}),
  });
}
