import { digestKeysOf } from './digest-keys.ts';
import { aggregateCallGate } from '../aggregation/aggregate-call-gate.ts';
import { RateLimiter } from '../aggregation/refresh-rate-limiter.ts';
import type { DeferredRefreshRequest } from '../aggregation/refresh-request-message.ts';
import { REFRESH_REQUEST_KEY_LEASE_MS, RefreshRequests } from '../aggregation/refresh-requests.ts';
import { RefreshService } from '../aggregation/refresh-service.ts';
import type { Config } from '../config.ts';
import { ConfigError } from '../errors.ts';
import { IdempotencyKeys } from '../idempotency-keys.ts';
import { DeadLetterQueue } from '../queue/dead-letter-queue.ts';
import { DelayedQueue } from '../queue/delayed-queue.ts';
import { IdempotencyRepository } from '../store/idempotency-repo.ts';
import { mxPool } from '../mx/transport.ts';
import { RateLimitRepository } from '../store/rate-limit-repo.ts';
import { aggregationDepsOf } from './aggregation.ts';
import { sqsRecordHandler } from './queue-handlers.ts';
import { nexusClientOf } from './mx.ts';
import { sqsOf } from './queues.ts';
import { type Given, runtimeOf } from './runtime.ts';
import { tableOf } from './storage.ts';
import { deliveryStoreOf, eventPublisherOf } from './delivery-store.ts';

/** events-refresh. Composed at start, so a function missing its queue URLs fails its first invocation, not every message. */
export function composeEventsRefresh(config: Config, given?: Given) {
  const { perSecond, queueUrl } = config.refreshRequests;
  const deadLetterQueueUrl = config.deadLetterQueues['refresh-requests'];
  if (!queueUrl || !deadLetterQueueUrl) {
    throw new ConfigError(
      ['REFRESH_REQUESTS_QUEUE_URL', 'REFRESH_REQUESTS_DLQ_URL'],
      'Refresh requests need REFRESH_REQUESTS_QUEUE_URL and REFRESH_REQUESTS_DLQ_URL',
    );
  }
  const runtime = runtimeOf(config, given);
  const { clock, log, metrics } = runtime;
  const table = tableOf(config);
  const sqs = sqsOf(runtime);
  const limiter = new RateLimiter({ counter: new RateLimitRepository(table), name: 'refresh', perSecond, clock });
  // Aggregate calls wait for a permit right before they are sent: on top of the MX timeouts, but not of connecting (a
  // connection refused in time is a call never sent, retried even for aggregate).
  const dispatchers = runtime.given.mxDispatchers;
  const mxData = dispatchers?.data ?? mxPool(config.mx.baseUrl, config.mx.requestTimeoutMs);
  const nexus = nexusClientOf(runtime, table, {
    dispatchers: { ...dispatchers, data: mxData },
    beforeDataCall: aggregateCallGate(limiter),
    extraWaitMs: limiter.maxWaitMs,
    priority: 'queued',
  });
  const events = eventPublisherOf(runtime, deliveryStoreOf(runtime, table, sqs), table);
  const refreshRequests = new RefreshRequests({
    refresh: new RefreshService({
      ...aggregationDepsOf(runtime, { table, sqs, nexus, events }),
      deadlineSeconds: config.aggregation.deadlineSeconds,
      trigger: 'refresh_request',
    }),
    idempotency: new IdempotencyKeys(
      new IdempotencyRepository(table),
      clock,
      REFRESH_REQUEST_KEY_LEASE_MS,
      digestKeysOf(runtime),
    ),
    digests: digestKeysOf(runtime),
    events,
    queue: new DelayedQueue<DeferredRefreshRequest>(sqs, queueUrl, clock),
    deadLetters: new DeadLetterQueue(sqs, deadLetterQueueUrl),
    clock,
    log,
    metrics,
  });
  return {
    handler: sqsRecordHandler(runtime, (message) => refreshRequests.handle(message)),
    runtime,
    refreshRequests,
    mxData,
  };
}
