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
  MEMBER_REPORTS_QUEUE_URL: 'http://127.0.0.1:1/000000000000/member-reports',
  RECONCILE_QUEUE_URL: 'http://127.0.0.1:1/000000000000/reconcile',
  ERASURES_QUEUE_URL: 'http://127.0.0.1:1/000000000000/erasures',
  DELIVERY_QUEUE_URL: 'http://127.0.0.1:1/000000000000/delivery',
  DELIVERY_SLOW_QUEUE_URL: 'http://127.0.0.1:1/000000000000/delivery-slow',
  MX_BASE_URL: 'http://127.0.0.1:1',
  MX_USE_CASES_ENABLED: 'true',
  MX_REALTIME_BASE_URL: 'http://127.0.0.1:1/mdx-realtime',
  MX_CLIENT_ID: 'client',
  MX_API_KEY: 'key',
  AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:1',
  AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:1',
  LOCAL_SECRETS_KEY: Buffer.alloc(32, 7).toString('base64'),
  LOG_LEVEL: 'ERROR',
};

const dlq = 'http://127.0.0.1:1/000000000000/dlq';
const WORKER_POLL_DLQS = ['POLL_DLQ_URL', 'MEMBER_REPORTS_DLQ_URL', 'RECONCILE_DLQ_URL', 'ERASURES_DLQ_URL'];
const WORKER_DELIVER_DLQS = ['DELIVERY_DLQ_URL', 'DELIVERY_SLOW_DLQ_URL'];

describe('a queue worker without the dead-letter queue of a queue it consumes', () => {
  it.each([
    ...WORKER_POLL_DLQS.map((variable) => ['worker-poll', composeWorkerPoll, variable, WORKER_POLL_DLQS] as const),
    ...WORKER_DELIVER_DLQS.map((variable) => ['worker-deliver', composeWorkerDeliver, variable, WORKER_DELIVER_DLQS] as const),
  ])('%s fails at start, naming %s (a malformed message has nowhere to go)', (_, compose, variable, all) => {
    const allBut = Object.fromEntries(all.filter((name) => name !== variable).map((name) => [name, dlq]));
    const start = () => compose(parseConfig({ ...environment, ...allBut }));
    expect(start).toThrow(ConfigError);
    expect(start).toThrow(`${variable} is required`);
    expect(() => compose(parseConfig({ ...environment, ...allBut, [variable]: dlq }))).not.toThrow();
  });
});

describe('worker-deliver without the slow lane', () => {
  it('fails at start, naming DELIVERY_SLOW_QUEUE_URL', () => {
    const { DELIVERY_SLOW_QUEUE_URL: _, ...without } = environment;
    const dlqs = Object.fromEntries(WORKER_DELIVER_DLQS.map((name) => [name, dlq]));
    expect(() => composeWorkerDeliver(parseConfig({ ...without, ...dlqs }))).toThrow('DELIVERY_SLOW_QUEUE_URL is required');
  });
});
