import { createNexusClient, type MxDispatchers, type NexusClientDeps } from '../mx/create-mx-clients.ts';
import type { NexusClient } from '../mx/nexus-client.ts';
import type { ReconcileRepository } from '../aggregation/reconcile-repo.ts';
import { reconcileEnrolmentOf } from './reconcile.ts';
import { mxUsersOf, type MxUsersParts } from './sso.ts';
import type { TableRef } from '../store/table.ts';
import type { Runtime } from './runtime.ts';
import { sessionTokenBox } from './secret-boxes.ts';
import { erasedUsersOf } from './storage.ts';
import { mxCallBudgetOf } from './mx-call-budget.ts';

/**
 * The MX client: one keep-alive dispatcher per MX origin (unless given), sessions shared through the table, a user MX
 * does not know made when its first session needs it, each user a session is made for put on the reconcile's schedule. `options` changes what one function needs differently
 * (events-refresh: its aggregate calls gated, and longer timeouts) or shares (api-refresh: its SSO client and MX users).
 */
export function nexusClientOf(
  runtime: Runtime,
  table: TableRef,
  options: {
    dispatchers?: MxDispatchers;
    /** Awaited before each data-host call is sent: events-refresh's aggregate gate. */
    beforeDataCall?: NexusClientDeps['beforeDataCall'];
    extraWaitMs?: number;
    mxUsers?: MxUsersParts;
    /**
     * The reconcile's schedule, when the function reads it too: worker-poll, whose sessions (polls, MX's reports, the
     * reconcile's reads) are none an app asked for, so enrol users without keeping them on (RECONCILE_INACTIVE_DAYS).
     */
    reconcileSchedule?: ReconcileRepository;
  } = {},
): NexusClient {
  const { config, clock, log, metrics, given } = runtime;
  const { sso, users } = options.mxUsers ?? mxUsersOf(runtime, table, erasedUsersOf(runtime, table), options.dispatchers);
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
      budget: mxCallBudgetOf(runtime, table),
      sessionBox: sessionTokenBox(runtime),
      sso,
      users,
      served: reconcileEnrolmentOf(runtime, table, {
        servesApps: options.reconcileSchedule === undefined,
        schedule: options.reconcileSchedule,
      }),
    },
  );
}
