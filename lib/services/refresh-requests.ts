import { aggregateCallGate } from '../aggregation/aggregate-call-gate.ts';
import { RateLimiter } from '../aggregation/refresh-rate-limiter.ts';
import type { DeferredRefreshRequest } from '../aggregation/refresh-request-message.ts';
import { REFRESH_REQUEST_KEY_LEASE_MS, RefreshRequests } from '../aggregation/refresh-requests.ts';
import { RefreshService } from '../aggregation/refresh-service.ts';
import { ConfigError } from '../errors.ts';
import { IdempotencyKeys } from '../idempotency-keys.ts';
import { createNexusClient } from '../mx/index.ts';
import { DeadLetterQueue } from '../queue/dead-letter-queue.ts';
import { DelayedQueue } from '../queue/delayed-queue.ts';
import { IdempotencyRepository } from '../store/idempotency-repo.ts';
import { RateLimitRepository } from '../store/rate-limit-repo.ts';
import { Pool } from '../undici.ts';
import { aggregationDeps } from './aggregation.ts';
import type { Services } from './container.ts';
import { eventPublisher } from './publisher.ts';
import { sqsClient } from './queues.ts';
import { sessionTokenBox } from './secret-boxes.ts';
import { table } from './store.ts';

/** Refreshes asked for through the `refresh-requests` queue: the refresh service behind the cross-container rate cap. */
export function refreshRequests(services: Services): RefreshRequests {
  return services.once(refreshRequests, () => {
    const { perSecond, queueUrl, deadLetterQueueUrl } = services.config.refreshRequests;
    if (!queueUrl || !deadLetterQueueUrl) {
      throw new ConfigError(
        ['REFRESH_REQUESTS_QUEUE_URL', 'REFRESH_REQUESTS_DLQ_URL'],
        'Refresh requests need REFRESH_REQUESTS_QUEUE_URL and REFRESH_REQUESTS_DLQ_URL',
      );
    }
    const { clock, log } = services;
    const limiter = new RateLimiter({ counter: new RateLimitRepository(table(services)), name: 'refresh', perSecond, clock });
    const sqs = sqsClient(services);
    return new RefreshRequests({
      refresh: new RefreshService({
        ...aggregationDeps(services),
        nexus: gatedNexus(services, limiter),
        deadlineSeconds: services.config.aggregation.deadlineSeconds,
        trigger: 'event',
      }),
      idempotency: new IdempotencyKeys(new IdempotencyRepository(table(services)), clock, REFRESH_REQUEST_KEY_LEASE_MS),
      events: eventPublisher(services),
      queue: new DelayedQueue<DeferredRefreshRequest>(sqs, queueUrl, clock),
      deadLetters: new DeadLetterQueue(sqs, deadLetterQueueUrl),
      clock,
      log,
      metrics: services.metrics,
    });
  });
}

/** An MX client of its own, whose aggregate calls each wait for a permit of `limiter` right before they are sent. */
function gatedNexus(services: Services, limiter: RateLimiter) {
  const { mx } = services.config;
  const { mxDispatchers } = services.overrides;
  const data = mxDispatchers?.data ?? new Pool(new URL(mx.baseUrl).origin, { connect: { timeout: mx.requestTimeoutMs } });
  // The wait at the gate comes on top of the MX timeouts. Sessions are shared with the other client through the table.
  const timeouts = {
    requestTimeoutMs: mx.requestTimeoutMs + limiter.maxWaitMs,
    retryBudgetMs: mx.retryBudgetMs + limiter.maxWaitMs,
  };
  return createNexusClient(
    { ...mx, ...timeouts },
    {
      table: table(services),
      clock: services.clock,
      log: services.log,
      metrics: services.metrics,
      dispatchers: { data: data.compose(aggregateCallGate(limiter)), sso: mxDispatchers?.sso },
      sessionBox: sessionTokenBox(services),
    },
  );
}
