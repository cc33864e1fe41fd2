import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import type { ApiEvent } from '../../../lib/http/api-event.ts';
import { ApiKeyAuthenticator, hashApiKey } from '../../../lib/http/auth.ts';
import { createHttpHandler } from '../../../lib/http/http-handler.ts';
import { KEY_LIMIT_WINDOW_MS, KeyRequestLimit } from '../../../lib/http/key-request-limit.ts';
import { silentLog } from '../../../lib/logger.ts';
import type { WindowCounter } from '../../../lib/store/rate-limit-repo.ts';
import { lambdaContext } from '../../../infra/local/lambda-context.ts';
import { testRoute } from '../../support/test-route.ts';

/** The shared counter, in memory: what RateLimitRepository's ADD does, with its writes counted. */
function memoryCounter() {
  const taken = new Map<string, number>();
  const writes: { name: string; count: number }[] = [];
  let failing = false;
  const counter: WindowCounter = {
    async take(name, windowStartMs, count) {
      if (failing) throw new Error('DynamoDB is down');
      writes.push({ name, count });
      const key = `${name}#${windowStartMs}`;
      const first = taken.get(key) ?? 0;
      taken.set(key, first + count);
      return first;
    },
  };
  return { counter, writes, fail: (value: boolean) => void (failing = value) };
}

const START = Date.UTC(2026, 10, 23, 12, 0, 0);

describe('KeyRequestLimit', () => {
  it('admits a key perMinute times in a minute, then answers when the minute ends; the next minute starts afresh', async () => {
    const clock = new ManualClock(START + 15_000);
    const { counter } = memoryCounter();
    const limit = new KeyRequestLimit({ perMinute: 5, counter, clock, log: silentLog });
    const admitted = Array.from({ length: 7 }, () => limit.admit('key-a').admitted);
    expect(admitted).toEqual([true, true, true, true, true, false, false]);
    expect(limit.admit('key-a')).toEqual({ admitted: false, retryAfterSeconds: 45 });
    // Another key is its own.
    expect(limit.admit('key-b')).toEqual({ admitted: true });
    clock.set(START + KEY_LIMIT_WINDOW_MS);
    expect(limit.admit('key-a')).toEqual({ admitted: true });
    await limit.settled();
  });

  it('holds a key bound to a user to its own smaller limit (USER_KEY_REQUESTS_PER_MINUTE); a server key to perMinute', async () => {
    const clock = new ManualClock(START);
    const { counter } = memoryCounter();
    const limit = new KeyRequestLimit({ perMinute: 10, userPerMinute: 2, counter, clock, log: silentLog });
    expect(Array.from({ length: 4 }, () => limit.admit('user-key', { userBound: true }).admitted)).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect(Array.from({ length: 10 }, () => limit.admit('server-key').admitted).every(Boolean)).toBe(true);
    // No server limit (0) but a user one: server keys are not counted, user keys are.
    const usersOnly = new KeyRequestLimit({ perMinute: 0, userPerMinute: 1, counter, clock, log: silentLog });
    expect(Array.from({ length: 3 }, () => usersOnly.admit('server-key').admitted)).toEqual([true, true, true]);
    expect([usersOnly.admit('u', { userBound: true }).admitted, usersOnly.admit('u', { userBound: true }).admitted]).toEqual([
      true,
      false,
    ]);
    await limit.settled();
  });

  it('shares counts between containers through the counter: past the limit by at most a second of the others', async () => {
    const clock = new ManualClock(START);
    const { counter, writes } = memoryCounter();
    const containers = [0, 1, 2].map(() => new KeyRequestLimit({ perMinute: 100, counter, clock, log: silentLog }));
    let admitted = 0;
    // 10 requests per container per second, one container at a time, for 10 seconds: 300 asked, the limit is 100.
    for (let request = 0; request < 300; request++) {
      const container = containers[request % 3]!;
      if (container.admit('key-a').admitted) admitted++;
      await container.settled();
      clock.advance(100 / 3);
    }
    // A container's view of the others is at most a second old until the key nears its limit.
    expect(admitted).toBeGreaterThanOrEqual(100);
    expect(admitted).toBeLessThanOrEqual(100 + 2 * 10);
    // Below 80 % of the limit each container writes once a second; above, at the requests it admits.
    expect(writes.length).toBeLessThan(300);
    expect(new Set(writes.map((write) => write.name))).toEqual(new Set(['key:key-a']));
  });

  it('passes the limit by at most what the containers admit while their writes are in flight', async () => {
    const clock = new ManualClock(START);
    const { counter } = memoryCounter();
    const containers = [0, 1, 2].map(() => new KeyRequestLimit({ perMinute: 100, counter, clock, log: silentLog }));
    let admitted = 0;
    // Each container admits a burst of 10 before any of its writes lands.
    for (let second = 0; second < 10; second++) {
      for (const container of containers) {
        for (let i = 0; i < 10; i++) if (container.admit('key-a').admitted) admitted++;
        await container.settled();
      }
      clock.advance(1_000);
    }
    expect(admitted).toBeGreaterThanOrEqual(100);
    expect(admitted).toBeLessThanOrEqual(100 + 2 * 3 * 10);
  });

  it('writes nothing for a key below 1 % of its limit in a container: calling now and then costs no write', async () => {
    const clock = new ManualClock(START);
    const { counter, writes } = memoryCounter();
    const limit = new KeyRequestLimit({ perMinute: 6_000, counter, clock, log: silentLog });
    // One request every 2 s for 10 minutes: 30 a minute, under the 60 that make a container write.
    for (let i = 0; i < 300; i++) {
      expect(limit.admit('key-a').admitted).toBe(true);
      await limit.settled();
      clock.advance(2_000);
    }
    expect(writes).toEqual([]);
    // Past 1 % of the limit in a minute, it writes (at most once a second).
    for (let i = 0; i < 120; i++) limit.admit('key-a');
    await limit.settled();
    expect(writes).toHaveLength(1);
  });

  it('admits when the counter cannot be written (the stage throttle still holds), and says so', async () => {
    const clock = new ManualClock(START);
    const { counter, fail } = memoryCounter();
    const warnings: string[] = [];
    const log = { ...silentLog, warn: (message: string) => void warnings.push(message) };
    const limit = new KeyRequestLimit({ perMinute: 3, counter, clock, log });
    fail(true);
    expect(limit.admit('key-a').admitted).toBe(true);
    await limit.settled();
    expect(warnings).toEqual(['could not share the API key request count; admitting']);
  });
});

describe('the HTTP pipeline with a per-key limit', () => {
  const KEY = 'nxr_limit-test-key-0123456789';
  const OTHER = 'nxr_limit-other-key-0123456789';
  const event = (key: string): ApiEvent => ({
    routeKey: 'GET /things',
    rawPath: '/things',
    headers: { authorization: `Bearer ${key}` },
    isBase64Encoded: false,
    requestContext: { requestId: 'req-00000001', http: { method: 'GET', path: '/things' } },
  });

  it('answers 429 too_many_requests with Retry-After past the limit, counts it, and leaves other keys alone', async () => {
    const clock = new ManualClock(START + 50_000);
    const records = new Map(
      [KEY, OTHER].map((key, i) => [
        hashApiKey(key),
        { hash: hashApiKey(key), name: `k${i}`, createdAt: '2026-01-01T00:00:00Z' },
      ]),
    );
    const metrics: unknown[] = [];
    const limit = new KeyRequestLimit({ perMinute: 2, counter: memoryCounter().counter, clock, log: silentLog });
    const handler = createHttpHandler(
      [
        testRoute('GET /things', {
          auth: 'api_key',
          access: 'server_key',
          handle: async () => ({ status: 200, body: { ok: true } }),
        }),
      ],
      {},
      {
        log: silentLog,
        authenticator: () => new ApiKeyAuthenticator({ get: async (hash) => records.get(hash) }, clock, { log: silentLog }),
        keyLimit: limit,
        metrics: { add: (name) => void metrics.push(name) },
      },
    );
    const call = (key: string) => handler(event(key), lambdaContext('test'));
    expect((await call(KEY)).statusCode).toBe(200);
    expect((await call(KEY)).statusCode).toBe(200);
    const refused = await call(KEY);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('10');
    expect(JSON.parse(refused.body)).toMatchObject({ code: 'too_many_requests', status: 429 });
    expect(metrics).toEqual(['KeyRequestsThrottled']);
    expect((await call(OTHER)).statusCode).toBe(200);
    await limit.settled();
  });
});
