import dispatcherRequest from 'undici/lib/api/api-request.js';
import * as undici from 'undici';
import { describe, expect, it } from 'vitest';
import { Agent, Pool, buildConnector, request } from '../../lib/undici.ts';

/**
 * lib/undici.ts imports undici's dispatchers from their own modules, not from undici's index (which also loads fetch,
 * WebSocket, caches and the mocks: BENCHMARKS.md, cold start, prices both), and calls the `request()` the index gives
 * every dispatcher. Neither is undici's public API: this fails when an undici release moves or changes what it takes.
 */
describe("lib/undici.ts against undici's index", () => {
  it('exports the very classes and function the index exports', () => {
    expect(Agent).toBe(undici.Agent);
    expect(Pool).toBe(undici.Pool);
    expect(buildConnector).toBe(undici.buildConnector);
  });

  it('calls the request() the index gives every dispatcher, and it answers', async () => {
    expect(undici.Dispatcher.prototype.request).toBe(dispatcherRequest);
    const agent = new undici.MockAgent();
    agent.disableNetConnect();
    agent.get('http://mx.test').intercept({ path: '/ping', method: 'GET' }).reply(200, 'pong');
    const response = await request(agent, { origin: 'http://mx.test', path: '/ping', method: 'GET' });
    expect(response.statusCode).toBe(200);
    expect(await response.body.text()).toBe('pong');
    await agent.close();
  });
});
