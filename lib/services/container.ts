import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Dispatcher } from 'undici';
import { type Clock, systemClock } from '../clock.ts';
import { type Config, getConfig } from '../config.ts';
import type { Logger } from '@aws-lambda-powertools/logger';
import { createLogger } from '../logger.ts';
import { EmfMetrics } from '../metrics.ts';

/** A composition function of `lib/services/*.ts`: what it provides, made once per container. */
export type Provider<T> = (services: Services) => T;

/** What tests may replace; everything else is built from the config. */
export interface ServiceOverrides {
  clock?: Clock;
  sqs?: SQSClient;
  mxDispatchers?: { data?: Dispatcher; sso?: Dispatcher };
  webhookDispatcher?: Dispatcher;
  metrics?: EmfMetrics;
}

/**
 * The per-container composition root: the config, the overrides and the dependencies built so far. Each
 * dependency is built on first use by its composition module (`lib/services/*.ts`, one concern each) and then
 * reused across warm invocations. A function imports the modules of what it uses and nothing else, so its
 * bundle loads only those (SDK clients, undici, services). lib/ never reads the environment.
 */
export class Services {
  readonly #made = new Map<Provider<unknown>, unknown>();
  #log: Logger | undefined;
  #metrics: EmfMetrics | undefined;

  constructor(
    readonly config: Config,
    readonly overrides: ServiceOverrides = {},
  ) {}

  /**
   * What `provider` provides, made by `make` on first use and the same object afterwards. The provider function
   * itself is the key: `services.once(nexusClient, () => …)` inside `nexusClient` (no string names to collide).
   */
  once<T>(provider: Provider<T>, make: () => T): T {
    if (!this.#made.has(provider)) this.#made.set(provider, make());
    return this.#made.get(provider) as T;
  }

  get clock(): Clock {
    return this.overrides.clock ?? systemClock;
  }

  get log(): Logger {
    this.#log ??= createLogger('nexus-relay', this.config.logLevel);
    return this.#log;
  }

  /** Recorded during an invocation, written as EMF at its end (lib/services/observability.ts). */
  get metrics(): EmfMetrics {
    this.#metrics ??= this.overrides.metrics ?? new EmfMetrics({ environment: this.config.env ?? 'local' });
    return this.#metrics;
  }
}

let services: Services | undefined;

/** The container's services, built from the environment on first use. */
export function getServices(): Services {
  services ??= new Services(getConfig());
  return services;
}
