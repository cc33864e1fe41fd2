import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { z } from 'zod';
import { type Dispatcher, Pool } from 'undici';
import { aggregateCallGate } from './aggregation/aggregate-call-gate.ts';
import { MxPush } from './aggregation/mx-push.ts';
import { PushCoverage } from './aggregation/push-coverage.ts';
import { MxPushRepository } from './store/mx-push-repo.ts';
import { RefreshService } from './aggregation/refresh-service.ts';
import { RateLimiter } from './aggregation/refresh-rate-limiter.ts';
import type { DeferredRefreshRequest } from './aggregation/refresh-request-message.ts';
import { RefreshRequests } from './aggregation/refresh-requests.ts';
import { PollService } from './aggregation/poll-service.ts';
import { ResumeService } from './aggregation/resume-service.ts';
import { Sweeper } from './aggregation/sweeper.ts';
import { InstitutionTiming } from './aggregation/institution-timing.ts';
import { InstitutionStatsRepository } from './store/institution-stats-repo.ts';
import { createDocumentClient, createSqsClient } from './aws-clients.ts';
import { type Clock, systemClock } from './clock.ts';
import { type Config, getConfig } from './config.ts';
import { ConfigError } from './errors.ts';
import { ApiKeyAuthenticator } from './http/auth.ts';
import { BasicAuthenticator } from './http/basic-auth.ts';
import { createHttpHandler, type Operations } from './http/http-handler.ts';
import type { IdempotencyDeps } from './http/idempotency.ts';
import { createLogger } from './logger.ts';
import { createNexusClient } from './mx/index.ts';
import { mxWebhookCredentialsProvider } from './mx/webhook-credentials.ts';
import { createNotifier } from './notify/index.ts';
import { DeadLetterQueue } from './queue/dead-letter-queue.ts';
import { DelayedQueue } from './queue/delayed-queue.ts';
import type { PollMessage } from './queue/poll-message.ts';
import { createSqsBatchHandler } from './queue/sqs-batch-handler.ts';
import { createSqsRecordHandler, type QueueMessage } from './queue/sqs-record-handler.ts';
import { ApiKeysRepository } from './store/api-keys-repo.ts';
import { IdempotencyRepository } from './store/idempotency-repo.ts';
import { JobsRepository } from './store/jobs-repo.ts';
import { RateLimitRepository } from './store/rate-limit-repo.ts';
import type { TableRef } from './store/table.ts';

/** What tests may replace; everything else is built from the config. */
export interface ServiceOverrides {
  clock?: Clock;
  sqs?: SQSClient;
  mxDispatchers?: { data?: Dispatcher; sso?: Dispatcher };
  webhookDispatcher?: Dispatcher;
}

/**
 * The per-container composition root. Each dependency is built on first use and then reused across warm
 * invocations (one DynamoDB client, one SQS client, one keep-alive dispatcher per origin). Functions reach
 * their dependencies only through here; lib/ never reads the environment.
 */
export class Services {
  readonly #made = new Map<string, unknown>();

  constructor(
    readonly config: Config,
    private readonly overrides: ServiceOverrides = {},
  ) {}

  #once<T>(name: string, make: () => T): T {
    if (!this.#made.has(name)) this.#made.set(name, make());
    return this.#made.get(name) as T;
  }

  get clock(): Clock {
    return this.overrides.clock ?? systemClock;
  }

  get log() {
    return this.#once('log', () => createLogger('nexus-relay', this.config.logLevel));
  }

  get table(): TableRef {
    return this.#once('table', () => ({ client: createDocumentClient(this.config.aws), tableName: this.config.tableName }));
  }

  get sqs(): SQSClient {
    return this.#once('sqs', () => this.overrides.sqs ?? createSqsClient(this.config.aws));
  }

  get jobs(): JobsRepository {
    return this.#once('jobs', () => new JobsRepository(this.table));
  }

  /** What `idempotent` / `idempotentWrites` need: the key store, the clock and the logger. */
  get idempotency(): IdempotencyDeps {
    return this.#once('idempotency', () => ({ store: new IdempotencyRepository(this.table), clock: this.clock, log: this.log }));
  }

  get authenticator(): ApiKeyAuthenticator {
    return this.#once(
      'authenticator',
      () => new ApiKeyAuthenticator(new ApiKeysRepository(this.table), this.clock, { log: this.log }),
    );
  }

  get nexus() {
    return this.#once('nexus', () =>
      createNexusClient(this.config.mx, {
        table: this.table,
        clock: this.clock,
        log: this.log,
        dispatchers: this.overrides.mxDispatchers,
      }),
    );
  }

  get pollQueue(): DelayedQueue<PollMessage> {
    return this.#once('pollQueue', () => new DelayedQueue<PollMessage>(this.sqs, this.config.queues.poll, this.clock));
  }

  get notifier() {
    return this.#once('notifier', () =>
      createNotifier({
        table: this.table,
        sqs: this.sqs,
        deliveryQueueUrl: this.config.queues.delivery,
        clock: this.clock,
        log: this.log,
        timeoutMs: this.config.webhooks.timeoutMs,
        allowInsecureUrls: this.config.webhooks.allowInsecureUrls,
        dispatcher: this.overrides.webhookDispatcher,
      }),
    );
  }

  /** What the refresh and poll services share. */
  #aggregation() {
    return {
      jobs: this.jobs,
      nexus: this.nexus,
      pollQueue: this.pollQueue,
      events: this.notifier.publisher,
      clock: this.clock,
      log: this.log,
    };
  }

  get refresh(): RefreshService {
    return this.#once(
      'refresh',
      () => new RefreshService({ ...this.#aggregation(), deadlineSeconds: this.config.aggregation.deadlineSeconds }),
    );
  }

  /** Refreshes asked for through the `refresh-requests` queue: the refresh service behind the cross-container rate cap. */
  get refreshRequests(): RefreshRequests {
    return this.#once('refreshRequests', () => {
      const { perSecond, queueUrl, deadLetterQueueUrl } = this.config.refreshRequests;
      if (!queueUrl || !deadLetterQueueUrl) {
        throw new ConfigError(
          ['REFRESH_REQUESTS_QUEUE_URL', 'REFRESH_REQUESTS_DLQ_URL'],
          'Refresh requests need REFRESH_REQUESTS_QUEUE_URL and REFRESH_REQUESTS_DLQ_URL',
        );
      }
      const limiter = new RateLimiter({
        counter: new RateLimitRepository(this.table),
        name: 'refresh',
        perSecond,
        clock: this.clock,
      });
      return new RefreshRequests({
        refresh: new RefreshService({
          ...this.#aggregation(),
          nexus: this.#gatedNexus(limiter),
          deadlineSeconds: this.config.aggregation.deadlineSeconds,
        }),
        idempotency: new IdempotencyRepository(this.table),
        events: this.notifier.publisher,
        queue: new DelayedQueue<DeferredRefreshRequest>(this.sqs, queueUrl, this.clock),
        deadLetters: new DeadLetterQueue(this.sqs, deadLetterQueueUrl),
        clock: this.clock,
        log: this.log,
      });
    });
  }

  /** An MX client of its own, whose aggregate calls each wait for a permit of `limiter` right before they are sent. */
  #gatedNexus(limiter: RateLimiter) {
    const { mx } = this.config;
    const data =
      this.overrides.mxDispatchers?.data ?? new Pool(new URL(mx.baseUrl).origin, { connect: { timeout: mx.requestTimeoutMs } });
    // The wait at the gate comes on top of the MX timeouts. Sessions are shared with the other client through the table.
    const timeouts = {
      requestTimeoutMs: mx.requestTimeoutMs + limiter.maxWaitMs,
      retryBudgetMs: mx.retryBudgetMs + limiter.maxWaitMs,
    };
    return createNexusClient(
      { ...mx, ...timeouts },
      {
        table: this.table,
        clock: this.clock,
        log: this.log,
        dispatchers: { data: data.compose(aggregateCallGate(limiter)), sso: this.overrides.mxDispatchers?.sso },
      },
    );
  }

  /** Whether MX is pushing its webhooks here: mx-events records pushes, the poll loop polls sparsely while they come. */
  get pushCoverage(): PushCoverage {
    return this.#once(
      'pushCoverage',
      () => new PushCoverage({ pushes: new MxPushRepository(this.table), clock: this.clock, log: this.log }),
    );
  }

  get poll(): PollService {
    return this.#once(
      'poll',
      () =>
        new PollService({
          ...this.#aggregation(),
          timing: new InstitutionTiming(new InstitutionStatsRepository(this.table), this.clock, this.log),
          coverage: this.pushCoverage,
          maxPollDelaySeconds: this.config.aggregation.maxPollDelaySeconds,
        }),
    );
  }

  get sweeper(): Sweeper {
    return this.#once(
      'sweeper',
      () => new Sweeper({ jobs: this.jobs, pollQueue: this.pollQueue, clock: this.clock, log: this.log }),
    );
  }

  get resume(): ResumeService {
    return this.#once(
      'resume',
      () =>
        new ResumeService({
          jobs: this.jobs,
          nexus: this.nexus,
          pollQueue: this.pollQueue,
          clock: this.clock,
          log: this.log,
          deadlineSeconds: this.config.aggregation.deadlineSeconds,
        }),
    );
  }

  /** MX's webhooks: their HTTP Basic check and the poll-loop nudge they cause. */
  get mxEvents(): { authenticator: BasicAuthenticator; push: MxPush } {
    return this.#once('mxEvents', () => {
      const { credentials } = this.config.mxWebhooks;
      return {
        authenticator: new BasicAuthenticator({
          realm: 'mx-webhooks',
          credentials: credentials && mxWebhookCredentialsProvider(credentials),
          unconfiguredHint: 'set MX_WEBHOOK_USERNAME and MX_WEBHOOK_PASSWORD, or MX_WEBHOOK_CREDENTIALS_SECRET_ARN',
          log: this.log,
        }),
        push: new MxPush({
          jobs: this.jobs,
          pollQueue: this.pollQueue,
          clock: this.clock,
          log: this.log,
          coverage: this.pushCoverage,
        }),
      };
    });
  }

  /** An API Gateway handler for `operations`, with the container's authenticator and logger. */
  httpHandler(operations: Operations) {
    return createHttpHandler(operations, this).use(injectLambdaContext(this.log));
  }

  /** An SQS handler applying `handle` to each record that parses with `schema`, reporting failures per record. */
  sqsHandler<S extends z.ZodType>(schema: S, handle: (message: z.output<S>) => Promise<void>) {
    return middy(createSqsBatchHandler(schema, handle, this.log)).use(injectLambdaContext(this.log));
  }

  /** An SQS handler giving `handle` each record's id and raw body, reporting failures per record. */
  sqsRecordHandler(handle: (message: QueueMessage) => Promise<void>) {
    return middy(createSqsRecordHandler(handle)).use(injectLambdaContext(this.log));
  }
}

let services: Services | undefined;

/** The container's services, built from the environment on first use. */
export function getServices(): Services {
  services ??= new Services(getConfig());
  return services;
}
