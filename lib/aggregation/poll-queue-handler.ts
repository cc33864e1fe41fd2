import type { Clock } from '../clock.ts';
import type { Log } from '../logger.ts';
import type { AggregationMetrics } from './aggregation-metrics.ts';
import { MxError } from '../mx/errors.ts';
import { classifyFailure } from '../mx/retry-policy.ts';
import { API_TOKEN_ROUTE } from '../mx/sso.ts';
import type { DelayedQueue } from '../queue/delayed-queue.ts';
import type {
  ErasureMessage,
  MemberReport,
  MxHintsMessage,
  PollMessage,
  PollQueueMessage,
  ReconcileMessage,
} from '../queue/poll-message.ts';
import type { MemberWatch } from './member-watch.ts';
import type { PollService } from './poll-service.ts';

/** A forgetting left for later (more to delete, or the lease busy) comes back after this. */
const FORGET_AGAIN_MS = 5_000;
/** The first wait of a read MX could not serve; each next one doubles. */
export const MX_WAIT_FIRST_MS = 30_000;
/**
 * What waited through an outage is back within 5 minutes of MX answering again; longer than the breaker's minute, so
 * a long outage costs each waiting message a receive every 5 minutes, not every one.
 */
export const MX_WAIT_MAX_MS = 5 * 60_000;

/**
 * How long a read MX could not serve waits on its queue the `waits`-th time (1: the first): half to all of the doubled
 * wait at random, so work MX failed at once does not all come back at once; never sooner than MX's own Retry-After.
 */
export function mxWaitMs(
  waits: number,
  retryAfterSeconds: number | undefined,
  random: () => number,
  firstWaitMs = MX_WAIT_FIRST_MS,
): number {
  const doubled = Math.min(firstWaitMs * 2 ** (waits - 1), MX_WAIT_MAX_MS);
  return Math.max(Math.round(doubled * (0.5 + random() / 2)), (retryAfterSeconds ?? 0) * 1000);
}

export interface PollQueueHandlerDeps {
  poll: Pick<PollService, 'handle'>;
  watch: Pick<MemberWatch, 'handleReport' | 'readHints' | 'reconcileTurn'>;
  /** A user's erasure, a step a message. */
  erasure: { step(userId: string): Promise<'more' | 'done'> };
  /** Each kind waits on its own queue: one SQS delay, as no wait is longer than SQS's longest. */
  queues: {
    memberReports: Pick<DelayedQueue<MemberReport | MxHintsMessage>, 'schedule'>;
    reconcile: Pick<DelayedQueue<ReconcileMessage>, 'schedule'>;
    erasures: Pick<DelayedQueue<ErasureMessage>, 'schedule'>;
  };
  clock: Clock;
  log: Log;
  metrics: AggregationMetrics;
  /** Spreads the waits, so work MX failed at once does not all come back at once. */
  random?: () => number;
  firstWaitMs?: number;
}

/**
 * worker-poll's messages. A read MX cannot serve now waits for MX on the queue, the waits doubling, never left to SQS's
 * receive limit and its dead-letter queue: MX does not send its webhook again, and the next reconcile is hours away.
 */
export function createPollQueueHandler(deps: PollQueueHandlerDeps): (message: PollQueueMessage) => Promise<void> {
  const { poll, watch, erasure, queues, clock, log, metrics } = deps;
  const random = deps.random ?? Math.random;
  const firstWaitMs = deps.firstWaitMs ?? MX_WAIT_FIRST_MS;

  const waitForMx = async (
    message: MemberReport | MxHintsMessage | ReconcileMessage | ErasureMessage,
    error: MxError,
  ): Promise<void> => {
    const waits = (message.mx_waits ?? 0) + 1;
    const waitMs = mxWaitMs(waits, error.retryAfterSeconds, random, firstWaitMs);
    const due = { mx_waits: waits, due_at: clock.now() + waitMs };
    if ('reconcile' in message) await queues.reconcile.schedule({ ...message, ...due });
    else if ('erase' in message) await queues.erasures.schedule({ ...message, ...due });
    else await queues.memberReports.schedule({ ...message, ...due });
    const kind =
      'member_report' in message
        ? 'member_report'
        : 'mx_hints' in message
          ? 'mx_hints'
          : 'erase' in message
            ? 'erasure'
            : 'reconcile';
    metrics.add('MxUnavailableWaits', 1, { kind });
    log.warn('MX could not serve the message; it waits on the queue', {
      kind,
      mx_waits: waits,
      wait_ms: waitMs,
      error_code: error.code,
      status: error.status,
    });
  };

  return async (message) => {
    try {
      if ('job_id' in message) return await poll.handle(message as PollMessage);
      try {
        if ('member_report' in message) await watch.handleReport(message);
        else if ('mx_hints' in message) await watch.readHints(message.mx_hints.user_id);
        else if ('erase' in message) {
          if ((await erasure.step(message.erase.user_id)) === 'more') {
            await queues.erasures.schedule({ erase: message.erase, due_at: clock.now() });
          }
        } else {
          const next = await watch.reconcileTurn(message.reconcile);
          if (next) await queues.reconcile.schedule({ reconcile: next, due_at: clock.now() + FORGET_AGAIN_MS });
        }
      } catch (error) {
        if (error instanceof MxError && classifyFailure(error) !== 'final') return await waitForMx(message, error);
        throw error;
      }
    } catch (error) {
      // A read for a user MX does not know (erased, or never made: worker-poll makes none): done.
      if (!(error instanceof MxError && error.code === 'MX_NOT_FOUND' && error.route === API_TOKEN_ROUTE)) throw error;
      log.info('message for a user MX does not know dropped');
    }
  };
}
