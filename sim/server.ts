import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Clock, systemClock } from './clock.ts';
import { createConnectPage, isConnectPageTarget } from './connect-page.ts';
import { createOAuthPage, isOAuthPageTarget } from './oauth-page.ts';
import { createControlApi, isControlTarget } from './control-api.ts';
import { MDX_REALTIME_PATH } from './mdx-realtime-routes.ts';
import { createMxApi } from './mx-api.ts';
import { MxError, mxErrorBody } from './mx-errors.ts';
import { sendJson } from './http.ts';
import { NEXUS_MEDIA_TYPE } from './mx-endpoint.ts';
import { checkedSettings } from './sim-settings.ts';
import { type Dialect, parseDialect } from './dialect.ts';
import { createSimulatorState } from './state.ts';

export interface MxSimulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /**
   * Drives every expiry and aggregation; pass a ManualClock for deterministic tests. With any clock but the system
   * clock nothing runs on timers: webhooks are pushed by `deliverDueWebhooks()`.
   */
  clock?: Clock;
  /** Seeds generated guids and fault draws. */
  seed?: number;
  /** Default 'sim-client'. */
  clientId?: string;
  /** Default 'sim-api-key'. */
  apiKey?: string;
  /** Where failed webhook pushes are reported; default console.warn. */
  log?: (line: string) => void;
  /**
   * Every this many minutes MX's background aggregation runs a round (on timers only with the system clock; else
   * `runDueBackgroundAggregations()`); default 0, none. `POST /_sim/settings` changes it.
   */
  backgroundAggregationMinutes?: number;
  /** MX's throttle window after a successful aggregation, in minutes; default 0, none. `POST /_sim/settings` changes it. */
  throttleWindowMinutes?: number;
  /** The dialect to start with, where it differs from the default (`POST /_sim/dialect` changes it). */
  dialect?: Partial<Dialect>;
}

export interface MxSimulator {
  url: string;
  /** MDX Real Time's base (users): under `url`, apart from SSO's routes (MX_REALTIME_BASE_URL). */
  realtimeUrl: string;
  port: number;
  /** Pushes the webhooks due at the clock's now and waits for the attempts (for a ManualClock). */
  deliverDueWebhooks(): Promise<void>;
  /**
   * Runs the background-aggregation round due at the clock's now, if one is (for a ManualClock); returns the guids
   * of the members it started. Their webhooks follow through `deliverDueWebhooks()` once the runs end.
   */
  runDueBackgroundAggregations(): string[];
  close(): Promise<void>;
}

const DEFAULT_SEED = 1;

/** Starts the MX Nexus simulator: SSO, MDX Real Time and Nexus on one port, with its control API under `/_sim/`. */
export async function startMxSimulator(options: MxSimulatorOptions = {}): Promise<MxSimulator> {
  const shutdown = new AbortController();
  const clock = options.clock ?? systemClock;
  const state = createSimulatorState({
    clock,
    seed: options.seed ?? DEFAULT_SEED,
    clientId: options.clientId ?? 'sim-client',
    apiKey: options.apiKey ?? 'sim-api-key',
    shutdown: shutdown.signal,
    realTimers: clock === systemClock,
    log: options.log ?? console.warn,
    settings: checkedSettings(options),
    dialect: parseDialect(options.dialect ?? {}),
  });
  const handleMx = createMxApi(state);
  const handleControl = createControlApi(state);
  const handleConnectPage = createConnectPage(state);
  const handleOAuthPage = createOAuthPage(state);

  const server = createServer((request, response) => {
    const target = request.url ?? '/';
    const handle = isConnectPageTarget(target)
      ? handleConnectPage
      : isOAuthPageTarget(target)
        ? handleOAuthPage
        : isControlTarget(target)
          ? handleControl
          : handleMx;
    handle(request, response).catch((error: unknown) => {
      if (shutdown.signal.aborted || response.headersSent) {
        response.destroy();
        return;
      }
      const message = `Simulator failure: ${error instanceof Error ? error.message : String(error)}`;
      sendJson(response, 500, mxErrorBody(new MxError(500, message)), NEXUS_MEDIA_TYPE);
    });
  });

  const host = options.host ?? '127.0.0.1';
  try {
    await listen(server, options.port ?? 0, host);
  } catch (error) {
    shutdown.abort(); // no timer of a simulator that never listened may fire
    throw error;
  }
  const { port } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url,
    realtimeUrl: `${url}${MDX_REALTIME_PATH}`,
    port,
    deliverDueWebhooks: () => state.webhooks.deliverDue(),
    runDueBackgroundAggregations: () => state.background.runDue(),
    close() {
      closing ??= stop(server, shutdown);
      return closing;
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function stop(server: Server, shutdown: AbortController): Promise<void> {
  shutdown.abort();
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}
