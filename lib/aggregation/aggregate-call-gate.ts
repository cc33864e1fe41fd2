import type { MxCallSite } from '../mx/errors.ts';
import { AGGREGATE_ROUTE } from '../mx/nexus-client.ts';
import { RateLimitExceededError, type RateLimiter } from './refresh-rate-limiter.ts';

/**
 * Holds each aggregate call for a permit right before it is sent, so nothing before it can make MX see it late. A refused
 * permit fails the call unsent, and it is not retried (it starts something).
 */
export function aggregateCallGate(limiter: Pick<RateLimiter, 'acquire'>) {
  return async (call: MxCallSite, signal: AbortSignal): Promise<void> => {
    if (call.route !== AGGREGATE_ROUTE) return;
    await limiter.acquire();
    if (signal.aborted) throw new RateLimitExceededError('The call timed out waiting for its slot', { cause: signal.reason });
  };
}
