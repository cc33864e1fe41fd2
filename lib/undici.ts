import type { Dispatcher } from 'undici';
import dispatcherRequest from 'undici/lib/api/api-request.js';

/**
 * The parts of undici nexus-relay uses, imported one by one to keep its index out of cold starts (decision 0008).
 * Import dispatchers and `request` from here, not from 'undici' (types excepted).
 */
export { default as Agent } from 'undici/lib/dispatcher/agent.js';
export { default as Pool } from 'undici/lib/dispatcher/pool.js';
export { default as buildConnector } from 'undici/lib/core/connect.js';

/** `dispatcher.request(options)` without undici's index, which adds it; works on any Dispatcher, MockAgent included. */
export function request(dispatcher: Dispatcher, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData> {
  return (dispatcherRequest as (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>).call(
    dispatcher,
    options,
  );
}
