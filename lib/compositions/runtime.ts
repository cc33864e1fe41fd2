import type { SQSClient } from '@aws-sdk/client-sqs';
import { type Clock, systemClock } from '../clock.ts';
import type { Config, ConfigSection } from '../config.ts';
import { createLogger, type RelayLogger } from '../logger.ts';
import type { MxDispatchers } from '../mx/create-mx-clients.ts';
import { EmfMetrics } from '../metrics.ts';
import { METRICS, type RelayMetrics } from './metric-catalogue.ts';

/** What a composition may be given instead of building it from the configuration (tests, benchmarks). */
export interface Given {
  clock?: Clock;
  sqs?: SQSClient;
  mxDispatchers?: MxDispatchers;
  metrics?: RelayMetrics;
}

/** What every composition reads of the configuration: the environment and the log level. */
export const RUNTIME_CONFIG = ['env', 'logLevel'] as const satisfies readonly ConfigSection[];
export type RuntimeConfig = Pick<Config, (typeof RUNTIME_CONFIG)[number]>;

/** What every Lambda's composition starts from. `C`: what it reads of the configuration, so functions/ parses no more. */
export interface Runtime<C extends RuntimeConfig = Config> {
  readonly config: C;
  readonly given: Given;
  readonly clock: Clock;
  readonly log: RelayLogger;
  /** Written as EMF at the invocation's end. */
  readonly metrics: RelayMetrics;
}

export function runtimeOf<C extends RuntimeConfig>(config: C, given: Given = {}): Runtime<C> {
  return {
    config,
    given,
    clock: given.clock ?? systemClock,
    log: createLogger('nexus-relay', config.logLevel),
    metrics: given.metrics ?? new EmfMetrics(METRICS, { environment: config.env ?? 'local' }),
  };
}
