import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lib/config.ts';
import { composeWorkerDeliver } from '../../../lib/compositions/worker-deliver.ts';
import { composeWorkerPoll } from '../../../lib/compositions/worker-poll.ts';
import { ConfigError } from '../../../lib/errors.ts';

/** A deployed queue worker's environment (its queues, MX, its keys), without its dead-letter queue. */
const environment = {
  NEXUS_RELAY_ENV: 'local',
  TABLE_NAME: 'dlq-test',
  POLL_QUEUE_URL: 'http://127.0.0.1:1/000000000000/poll',
  DELIVERY_QUEUE_URL: 'http://127.0.0.1:1/000000000000/delivery',
  MX_BASE_URL: 'http://127.0.0.1:1',
  MX_REALTIME_BASE_URL: 'http://127.0.0.1:1/mdx-realtime',
  MX_CLIENT_ID: 'client',
  MX_API_KEY: 'key',
  AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:1',
  AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:1',
  LOCAL_SECRETS_KEY: Buffer.alloc(32, 7).toString('base64'),
  LOG_LEVEL: 'ERROR',
};

describe('a queue worker without its dead-letter queue', () => {
  it.each([
    ['worker-poll', composeWorkerPoll, 'POLL_DLQ_URL'],
    ['worker-deliver', composeWorkerDeliver, 'DELIVERY_DLQ_URL'],
  ] as const)('%s fails at start, naming %s (a malformed message has nowhere to go)', (_, compose, variable) => {
    const start = () => compose(parseConfig(environment));
    expect(start).toThrow(ConfigError);
    expect(start).toThrow(`${variable} is required`);
    expect(() => compose(parseConfig({ ...environment, [variable]: 'http://127.0.0.1:1/000000000000/dlq' }))).not.toThrow();
  });
});
