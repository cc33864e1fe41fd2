import middy from '@middy/core';
import { RECONCILE_DISPATCH_EVERY_MINUTES, ReconcileDispatcher } from '../aggregation/reconcile-dispatcher.ts';
import { ReconcileRepository } from '../aggregation/reconcile-repo.ts';
import type { Config } from '../config.ts';
import { MxPushRepository } from '../aggregation/mx-push-repo.ts';
import { inLogContext, observability } from './observability.ts';
import { reconcileQueueOf, sqsOf } from './queues.ts';
import { type Given, runtimeOf } from './runtime.ts';
import { tableOf } from './storage.ts';

/** A run takes no new page after this long: its Lambda's timeout leaves a page's work after it. */
export const RUN_BUDGET_MS = 40_000;

/** reconcile-dispatch: on a schedule, sends the turns of the users due for the reconcile to worker-poll. */
export function composeReconcileDispatch(config: Config, given?: Given) {
  const runtime = runtimeOf(config, given);
  const { clock, log, metrics } = runtime;
  const table = tableOf(config);
  const dispatcher = new ReconcileDispatcher({
    schedule: new ReconcileRepository(table),
    pushes: new MxPushRepository(table),
    queue: reconcileQueueOf(runtime, sqsOf(runtime)),
    intervalMs: config.aggregation.reconcileIntervalMinutes * 60_000,
    inactiveAfterMs: config.aggregation.reconcileInactiveDays * 24 * 3600_000,
    turnsPerMinute: config.aggregation.reconcileTurnsPerMinute,
    periodMs: RECONCILE_DISPATCH_EVERY_MINUTES * 60_000,
    budgetMs: RUN_BUDGET_MS,
    clock,
    log,
    metrics,
  });
  return { handler: inLogContext(middy(() => dispatcher.dispatch()).use(observability(runtime))), runtime, dispatcher };
}
