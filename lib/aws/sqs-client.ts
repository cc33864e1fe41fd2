import { SQSClient } from '@aws-sdk/client-sqs';
import type { Config } from '../config.ts';
import { localCredentials } from './local-endpoint.ts';

export function createSqsClient(aws: Config['aws']): SQSClient {
  return new SQSClient({
    region: aws.region,
    // glibc does not resolve fauxqs's queue hosts (sqs.<region>.localhost): send every call to the endpoint instead.
    ...(aws.sqsEndpoint ? { endpoint: aws.sqsEndpoint, credentials: localCredentials, useQueueUrlAsEndpoint: false } : {}),
  });
}
