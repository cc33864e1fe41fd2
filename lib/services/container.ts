import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Dispatcher } from 'undici';
import { type Clock, systemClock } from '../clock.ts';
import { type Config, getConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { EmfMetrics } from '../metrics.ts';

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
  readonly #made = new Map<string, unknown>();

  constructor(
    readonly config: Config,
    readonly overrides: ServiceOverrides = {},
  ) {}

  /** The container's one `name`, made by `make` on first use. */
  once<T>(name: string, make: () => T): T {
    if (!this.#made.has(name)) this.#made.set(name, make());
    return this.#made.get(name) as T;
  }

  get clock(): Clock {
    return this.overrides.clock ?? systemClock;
  }

  get log() {
    return this.once('log', () => createLogger('nexus-relay', this.config.logLevel));
  }

  /** Recorded during an invocation, written as EMF at its end (lib/services/observability.ts). */
  get metrics(): EmfMetrics {
    return this.once('metrics', () => this.overrides.metrics ?? new EmfMetrics({ environment: this.config.env ?? 'local' }));
  }
}

let services: Services | undefined;

/** The container's services, built from the environment on first use. */
export function getServices(): Services {
  services ??= new Services(getConfig());
  return services;
}
