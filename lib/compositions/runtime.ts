import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Dispatcher } from 'undici';
import { type Clock, systemClock } from '../clock.ts';
import type { Config } from '../config.ts';
import { createLogger } from '../logger.ts';
import { EmfMetrics } from '../metrics.ts';

/** What a composition may be given instead of building it from the configuration (tests, benchmarks). */
export interface Given {
  clock?: Clock;
  sqs?: SQSClient;
  mxDispatchers?: { data?: Dispatcher; sso?: Dispatcher };
  webhookDispatcher?: Dispatcher;
  metrics?: EmfMetrics;
}

/** What every Lambda's composition starts from: its configuration, clock, logger and metrics. */
export interface Runtime {
  readonly config: Config;
  readonly given: Given;
  readonly clock: Clock;
  readonly log: Logger;
  /** Recorded during an invocation, written as EMF at its end (observability.ts). */
  readonly metrics: EmfMetrics;
}

export function runtimeOf(config: Config, given: Given = {}): Runtime {
  return {
    config,
    given,
    clock: given.clock ?? systemClock,
    log: createLogger('nexus-relay', config.logLevel),
    metrics: given.metrics ?? new EmfMetrics({ environment: config.env ?? 'local' }),
  };
}
