import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, expect } from 'vitest';
import type { LocalEngines } from '../../infra/local/engines.ts';
import { localServicesConfig } from '../../infra/local/local-services.ts';
import { type Relay, relayOf } from '../../infra/local/relay.ts';
import { createSqsClient } from '../../lib/aws/sqs-client.ts';
import type { ManualClock } from '../../lib/clock.ts';
import { type MxSimulator, startMxSimulator } from '../../sim/server.ts';
import { startEnginesProcess } from '../integration/notify/engines-process.ts';
import { ManualSqs } from './manual-sqs.ts';
import { MX_WORK_QUEUES } from '../../lib/queue/queue-names.ts';

/**
 * The relay's functions in this process over dynalite, fauxqs and the simulator, on one ManualClock, their queues in
 * simulated time (ManualSqs): `settle` runs worker-poll on whatever its queues hold until none is left, so a test
 * knows the whole consequence of what it did. Started before the file's tests; `env` adds to the local services'.
 */
export function useInProcessRelay(clock: ManualClock, env: Record<string, string> = {}) {
  const harness = {
    relay: undefined as unknown as Relay,
    engines: undefined as unknown as LocalEngines,
    simulator: undefined as unknown as MxSimulator,
    queues: undefined as unknown as ManualSqs,
    /** The simulator's control API: GET without a body, POST with one. */
    async control(path: string, body?: unknown): Promise<any> {
      const response = await fetch(
        `${harness.simulator.url}${path}`,
        body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) },
      );
      return response.json();
    },
    /**
     * Runs worker-poll on every message its queues hold, the clock moved to each as it falls due (up to a minute
     * ahead), until none is left. Answers the delivery messages sent meanwhile (what reached apps).
     */
    async settle(): Promise<number> {
      const { engines, queues, relay } = harness;
      const deliveries = () => queues.sent.get(engines.queueUrls.delivery) ?? 0;
      const before = deliveries();
      const workerQueues = new Set(MX_WORK_QUEUES.map((queue) => engines.queueUrls[queue]));
      for (let round = 0; round < 1_000; round++) {
        const visible = queues.takeVisible().filter((message) => workerQueues.has(message.queueUrl));
        if (visible.length === 0) {
          const next = queues.nextVisibleAt();
          if (next === undefined || next > clock.now() + 60_000) return deliveries() - before;
          clock.set(Math.max(next, clock.now()));
          continue;
        }
        const event: SQSEvent = {
          Records: visible.map((message) => ({
            messageId: String(message.seq),
            receiptHandle: `rh-${message.seq}`,
            body: message.body,
            attributes: {
              ApproximateReceiveCount: '1',
              SentTimestamp: String(message.sentAt),
              SenderId: 'in-process-relay',
              ApproximateFirstReceiveTimestamp: String(clock.now()),
            },
            messageAttributes: {},
            md5OfBody: '',
            eventSource: 'aws:sqs',
            eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${message.queueUrl.split('/').at(-1)}`,
            awsRegion: 'us-east-1',
          })),
        };
        const { batchItemFailures } = await relay.workerPoll.handler(event, {
          getRemainingTimeInMillis: () => 30_000,
        } as Context);
        expect(batchItemFailures).toEqual([]);
      }
      throw new Error('the queues did not settle');
    },
  };
  let sqs: SQSClient;
  beforeAll(async () => {
    harness.engines = await startEnginesProcess();
    harness.simulator = await startMxSimulator({ clock, log: () => {} });
    sqs = createSqsClient({ region: harness.engines.region, sqsEndpoint: harness.engines.sqsEndpoint });
    harness.queues = new ManualSqs(sqs, clock, { visibilityTimeoutMs: 180_000, maxReceiveCount: 5 });
    harness.relay = relayOf(localServicesConfig(harness.engines, harness.simulator.url, env), { clock, sqs });
  }, 60_000);
  afterAll(async () => {
    await harness.simulator?.close();
    await harness.engines?.stop();
  });
  return harness;
}
