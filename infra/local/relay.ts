import { composeApiJobs } from '../../lib/compositions/api-jobs.ts';
import { composeApiRead } from '../../lib/compositions/api-read.ts';
import { composeApiRefresh } from '../../lib/compositions/api-refresh.ts';
import { composeMxEvents } from '../../lib/compositions/mx-events.ts';
import type { Given } from '../../lib/compositions/runtime.ts';
import { composeReconcileDispatch } from '../../lib/compositions/reconcile-dispatch.ts';
import { composeSweeper } from '../../lib/compositions/sweeper.ts';
import { composeWorkerDeliver } from '../../lib/compositions/worker-deliver.ts';
import { composeWorkerPoll } from '../../lib/compositions/worker-poll.ts';
import type { Config } from '../../lib/config.ts';

/**
 * The relay's Lambdas composed in this process as each composes itself (lib/compositions/), over one configuration
 * and what `given` replaces (a ManualClock, an SQS client): each built on first use, then the same. Tests and
 * benchmarks drive the parts a Lambda built — its RefreshService, PollService, Notifier, Sweeper, ReconcileDispatcher — directly.
 */
export function relayOf(config: Config, given: Given = {}) {
  const once = <T>(compose: () => T) => {
    let made: T | undefined;
    return () => (made ??= compose());
  };
  const apiRefresh = once(() => composeApiRefresh(config, given));
  const apiJobs = once(() => composeApiJobs(config, given));
  const apiRead = once(() => composeApiRead(config, given));
  const mxEvents = once(() => composeMxEvents(config, given));
  const workerPoll = once(() => composeWorkerPoll(config, given));
  const workerDeliver = once(() => composeWorkerDeliver(config, given));
  const sweeper = once(() => composeSweeper(config, given));
  const reconcileDispatch = once(() => composeReconcileDispatch(config, given));
  return {
    get apiRefresh() {
      return apiRefresh();
    },
    get apiJobs() {
      return apiJobs();
    },
    get apiRead() {
      return apiRead();
    },
    get mxEvents() {
      return mxEvents();
    },
    get workerPoll() {
      return workerPoll();
    },
    get workerDeliver() {
      return workerDeliver();
    },
    get sweeper() {
      return sweeper();
    },
    get reconcileDispatch() {
      return reconcileDispatch();
    },
  };
}

export type Relay = ReturnType<typeof relayOf>;
