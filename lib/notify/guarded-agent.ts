import { isIP } from 'node:net';
import { Agent, buildConnector } from '../undici.ts';
import type { AddressGuard } from './address-guard.ts';

/**
 * An undici Agent that only opens connections the guard allows. IP literals never reach a lookup, so they are checked
 * here (undici hands IPv6 literals over without their brackets).
 */
export function createGuardedAgent(guard: AddressGuard): Agent {
  const connect = buildConnector({ lookup: guard.lookup });
  return new Agent({
    connect(options, callback) {
      if (isIP(options.hostname) !== 0) {
        try {
          guard.assertAllowed(options.hostname, options.hostname);
        } catch (error) {
          callback(error as Error, null);
          return;
        }
      }
      connect(options, callback);
    },
  });
}
