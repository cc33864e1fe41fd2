import type { MxCallSite } from '../mx/errors.ts';
import { AGGREGATE_ROUTE } from '../mx/nexus-client.ts';
import { RateLimitExceededError, type RateLimiter } from './refresh-rate-limiter.ts';

/**
 * Holds each aggregate call until a permit of `limiter`, right before the MX transport sends it (its `beforeSend`),
 * so the call leaves at its slot: whatever came before it (the job writes, getting or creating the user's session)
 * cannot make MX see it late. Every other call passes at once. A refused permit, or a call whose time limit ran out
 * while it waited, fails before it is sent, with a RateLimitExceededError that the MX client reports as the cause of
 * its error and does not retry (the call starts something; see `isRateLimited`).
 */
export function aggregateCallGate(limiter: Pick<RateLimiter, 'acquire'>) {
  return async (call: MxCallSite, signal: AbortSignal): Promise<void> => {
    if (call.route !== AGGREGATE_ROUTE) return;
    await limiter.acquire();
    if (signal.aborted) throw new RateLimitExceededError('The call timed out waiting for its slot', { cause: signal.reason });
  };
}
