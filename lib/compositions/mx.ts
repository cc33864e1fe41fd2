import { createNexusClient, type MxDispatchers, type NexusClientDeps } from '../mx/create-mx-clients.ts';
import type { NexusClient } from '../mx/nexus-client.ts';
import { reconcileEnrolmentOf } from './reconcile.ts';
import { mxUsersOf, type MxUsersParts, ssoClientOf } from './sso.ts';
import type { TableRef } from '../store/table.ts';
import type { Runtime } from './runtime.ts';
import { sessionTokenBox } from './secret-boxes.ts';
import { erasedUsersOf } from './erased-users.ts';
import { mxCallBudgetOf } from './mx-call-budget.ts';
import type { BudgetPriority } from '../mx/call-budget.ts';

/**
 * The MX client: sessions shared through the table, a user made at MX when an app first needs it, each user served put on
 * the reconcile's schedule. `options` is for what one function needs differently.
 */
export function nexusClientOf(
  runtime: Runtime,
  table: TableRef,
  options: {
    dispatchers?: MxDispatchers;
    /** Awaited before each data-host call is sent. */
    beforeDataCall?: NexusClientDeps['beforeDataCall'];
    extraWaitMs?: number;
    mxUsers?: MxUsersParts;
    /** false for worker-poll, whose calls no app asked for: MX's webhooks alone never create anything. */
    forApps?: false;
    /** `queued` for work waiting on a queue: it leaves apps their part of MX's budget. */
    priority?: BudgetPriority;
  } = {},
): NexusClient {
  const { config, clock, log, metrics, given } = runtime;
  const forApps = options.forApps !== false;
  const { sso, users } = forApps
    ? (options.mxUsers ?? mxUsersOf(runtime, table, erasedUsersOf(runtime, table), options.dispatchers, options.priority))
    : { sso: ssoClientOf(runtime, table, options.dispatchers?.sso, options.priority), users: undefined };
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
      beforeDataCall: options.beforeDataCall,
      budget: mxCallBudgetOf(runtime, table, 'mx-data', options.priority),
      sessionBox: sessionTokenBox(runtime, table),
      sso,
      users,
      served: forApps ? reconcileEnrolmentOf(runtime, table) : undefined,
    },
  );
}
