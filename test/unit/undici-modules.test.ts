import Dispatcher from 'undici/lib/dispatcher/dispatcher.js';
import request from 'undici/lib/api/api-request.js';
import * as undici from 'undici';
import { describe, expect, it } from 'vitest';
import { Agent, Pool, buildConnector } from '../../lib/undici.ts';

/**
 * lib/undici.ts imports undici's dispatchers from their own modules, not from undici's index (which also loads fetch,
 * WebSocket, caches and the mocks: BENCHMARKS.md, cold start, prices both), and gives every dispatcher `request()` as
 * the index does. Neither is undici's public API: this fails when an undici release moves or changes what it takes.
 */
describe("lib/undici.ts against undici's index", () => {
  it('exports the very classes and function the index exports', () => {
    expect(Agent).toBe(undici.Agent);
    expect(Pool).toBe(undici.Pool);
    expect(buildConnector).toBe(undici.buildConnector);
  });

  it('gives dispatchers the request() the index gives them', () => {
    expect(Dispatcher).toBe(undici.Dispatcher);
    expect(undici.Pool.prototype).toBeInstanceOf(Dispatcher);
    expect(Dispatcher.prototype.request).toBe(request);
    expect(new Agent().request).toBe(request);
  });
});
