import type { Config } from '../config.ts';
import { NEXUS_ROUTES, type NexusRouteDeps } from '../nexus/nexus-routes.ts';
import { SYNC_ROUTE, type SyncRouteDeps } from '../transactions/sync-routes.ts';
import { httpHandler } from './http-handler.ts';
import { nexusClientOf } from './mx.ts';
import { type Given, runtimeOf } from './runtime.ts';
import { apiKeyAccessOf, idempotencyOf } from './api-access.ts';
import { idempotent } from '../http/idempotency.ts';
import { mxAnswerBox } from './secret-boxes.ts';
import { tableOf } from './storage.ts';
import { transactionsOf } from './transactions.ts';

/** api-read: every Nexus operation relayed as the user, through the user's MX session, and transactions sync. */
export function composeApiRead(config: Config, given?: Given) {
  const runtime = runtimeOf(config, given);
  const table = tableOf(config);
  const nexus = nexusClientOf(runtime, table);
  const transactions = transactionsOf(runtime, table, nexus).sync;
  const keys = apiKeyAccessOf(runtime, table);
  // A write's answer waits a day for its Idempotency-Key's replay: MX's data about the user, sealed.
  const idempotency = { ...idempotencyOf(runtime, table), sealBodies: mxAnswerBox(runtime) };
  const handler = httpHandler<NexusRouteDeps & SyncRouteDeps>(
    runtime,
    [...NEXUS_ROUTES, SYNC_ROUTE],
    { nexus, transactions },
    { keys, idempotent: (route) => idempotent(route, idempotency) },
  );
  return { handler, runtime, table, nexus, transactions, keys };
}
