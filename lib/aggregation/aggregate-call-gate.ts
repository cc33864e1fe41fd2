import type { Dispatcher } from 'undici';
import { RateLimitExceededError, type RateLimiter } from './refresh-rate-limiter.ts';

/** Nexus's aggregate call (`NexusClient.aggregateMember`), under any base path. */
const AGGREGATE_PATH = /\/members\/[^/?]+\/aggregate(?:\?|$)/;

/**
 * An undici interceptor holding each aggregate call until a permit of `limiter`, so the call leaves at its slot:
 * whatever came before it (the job writes, getting or creating the user's session) cannot make MX see it late.
 * Every other call passes straight through. A refused permit, or a call that timed out while it waited, fails
 * before it is sent, with a RateLimitExceededError that the MX client reports as the cause of its error and does not
 * retry (the call starts something; see `isRateLimited`).
 */
export function aggregateCallGate(limiter: Pick<RateLimiter, 'acquire'>): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (options, handler) => {
    if (!AGGREGATE_PATH.test(options.path)) return dispatch(options, handler);
    const { signal } = options as { signal?: AbortSignal };
    limiter.acquire().then(
      () => {
        // The call's own timeout (`request()` passes its signal along) may have run out while it waited.
        if (signal?.aborted) handler.onResponseError?.(null as never, timedOutWaiting(signal));
        else dispatch(options, handler);
      },
      (error: Error) => handler.onResponseError?.(null as never, error),
    );
    return true;
  };
}

/** Never sent, so safe to hand back like any refused permit. */
const timedOutWaiting = (signal: AbortSignal) =>
  new RateLimitExceededError('The call timed out waiting for its slot', { cause: signal.reason });
