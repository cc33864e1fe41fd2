import Dispatcher from 'undici/lib/dispatcher/dispatcher.js';
import request from 'undici/lib/api/api-request.js';

/**
 * The parts of undici nexus-relay uses, imported one by one: undici's index also loads fetch, WebSocket,
 * EventSource, caches and the mocks, at every cold start (BENCHMARKS.md, cold start, prices both). Not undici's
 * public API: test/unit/undici-modules.test.ts fails when a release moves them. Import dispatchers from here, not
 * from 'undici' (types excepted).
 */
export { default as Agent } from 'undici/lib/dispatcher/agent.js';
export { default as Pool } from 'undici/lib/dispatcher/pool.js';
export { default as buildConnector } from 'undici/lib/core/connect.js';

// What undici's index does when loaded: every dispatcher gets `request()`.
Dispatcher.prototype.request ??= request;
