import type { Dispatcher } from 'undici';
import { createNexusClient } from '../mx/create-mx-clients.ts';
import type { NexusClient } from '../mx/nexus-client.ts';
import type { SsoClient } from '../mx/sso.ts';
import type { TableRef } from '../store/table.ts';
import type { Runtime } from './runtime.ts';
import { sessionTokenBox } from './secret-boxes.ts';

/**
 * The MX client: one keep-alive dispatcher per MX origin (unless given), sessions shared through the table. `options`
 * changes what one function needs differently (events-refresh: a gated data dispatcher and longer timeouts).
 */
export function nexusClientOf(
  runtime: Runtime,
  table: TableRef,
  options: { dispatchers?: { data?: Dispatcher; sso?: Dispatcher }; extraWaitMs?: number; sso?: SsoClient } = {},
): NexusClient {
  const { config, clock, log, metrics, given } = runtime;
  const { mx } = config;
  const extraWaitMs = options.extraWaitMs ?? 0;
  return createNexusClient(
    { ...mx, requestTimeoutMs: mx.requestTimeoutMs + extraWaitMs, retryBudgetMs: mx.retryBudgetMs + extraWaitMs },
    {
      table,
      clock,
      log,
      metrics,
      dispatchers: options.dispatchers ?? given.mxDispatchers,
      sessionBox: sessionTokenBox(runtime),
      sso: options.sso,
    },
  );
}
