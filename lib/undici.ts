import type { Dispatcher } from 'undici';
import dispatcherRequest from 'undici/lib/api/api-request.js';

/**
 * The parts of undici nexus-relay uses, imported one by one: undici's index also loads fetch, WebSocket,
 * EventSource, caches and the mocks, at every cold start (BENCHMARKS.md, cold start, prices both). Not undici's
 * public API: test/unit/undici-modules.test.ts fails when a release moves them. Import dispatchers and `request`
 * from here, not from 'undici' (types excepted).
 */
export { default as Agent } from 'undici/lib/dispatcher/agent.js';
export { default as Pool } from 'undici/lib/dispatcher/pool.js';
export { default as buildConnector } from 'undici/lib/core/connect.js';

/**
 * `dispatcher.request(options)`: the method undici's index puts on every dispatcher when it loads, called on
 * `dispatcher` without that index (and without touching any prototype). Works on any Dispatcher, MockAgent included.
 */
export function request(dispatcher: Dispatcher, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData> {
  return (dispatcherRequest as (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>).call(
    dispatcher,
    options,
  );
}
