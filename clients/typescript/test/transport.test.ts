import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRelayClient, RelayRateLimitError } from '../src/index.ts';
import { createTransport, retryAfterMs } from '../src/transport.ts';
import { json, manualClock, scriptedFetch } from './scripted-fetch.ts';

const job = { id: 'job_1', user_id: 'u1', member_guid: 'MBR-1', status: 'aggregating' };
const accepted = () => json(202, { job });

function relay(fetch: ReturnType<typeof scriptedFetch>, clock = manualClock(), keys = ['key-1', 'key-2', 'key-3']) {
  const client = createRelayClient({
    baseUrl: 'https://relay.test/prod/',
    apiKey: 'nxr_test',
    fetch,
    sleep: clock.sleep,
    now: clock.now,
    idempotencyKey: () => keys.shift()!,
  });
  return { client, clock };
}

describe('retries', () => {
  it('waits what Retry-After asks (seconds) before retrying a 429, and sends the same Idempotency-Key again', async () => {
    const fetch = scriptedFetch(
      json(429, { title: 'Slow down' }, { 'retry-after': '2' }),
      json(503, { title: 'Busy' }, { 'retry-after': '1' }),
      accepted(),
    );
    const { client, clock } = relay(fetch);
    await expect(client.members.refresh({ user_id: 'u1', member_guid: 'MBR-1' })).resolves.toMatchObject(job);
    expect(clock.waits).toEqual([2000, 1000]);
    expect(fetch.sent.map((sent) => sent.headers.get('idempotency-key'))).toEqual(['key-1', 'key-1', 'key-1']);
    expect(fetch.sent.map((sent) => sent.url.pathname)).toEqual(Array(3).fill('/prod/users/u1/members/MBR-1/refresh'));
    expect(fetch.sent[0]!.headers.get('authorization')).toBe('Bearer nxr_test');
  });

  it('honours Retry-After given as an HTTP date', async () => {
    const clock = manualClock();
    const at = new Date(clock.now() + 7_000).toUTCString();
    const fetch = scriptedFetch(json(503, {}, { 'retry-after': at }), json(200, { job }));
    const { client } = relay(fetch, clock);
    await client.jobs.get('job_1');
    expect(clock.waits).toEqual([7000]);
  });

  it('backs off with jitter when no Retry-After is given, and gives up after the attempts with a typed error', async () => {
    const fetch = scriptedFetch(json(429, {}), json(429, {}), json(429, {}));
    const { client, clock } = relay(fetch);
    await expect(client.jobs.get('job_1')).rejects.toBeInstanceOf(RelayRateLimitError);
    expect(fetch.sent).toHaveLength(3);
    expect(clock.waits).toHaveLength(2);
    expect(clock.waits[0]).toBeGreaterThanOrEqual(250);
    expect(clock.waits[0]).toBeLessThanOrEqual(500);
    expect(clock.waits[1]).toBeGreaterThanOrEqual(500);
    expect(clock.waits[1]).toBeLessThanOrEqual(1000);
  });

  it('does not wait out a Retry-After longer than maxDelayMs: the answer is the error', async () => {
    const fetch = scriptedFetch(json(429, {}, { 'retry-after': '3600' }));
    const { client, clock } = relay(fetch);
    await expect(client.jobs.get('job_1')).rejects.toBeInstanceOf(RelayRateLimitError);
    expect(clock.waits).toEqual([]);
  });

  it('retries a request that got no answer when it is safe to repeat', async () => {
    const fetch = scriptedFetch(new TypeError('fetch failed'), accepted());
    const { client } = relay(fetch);
    await client.members.refresh({ user_id: 'u1', member_guid: 'MBR-1' });
    expect(fetch.sent.map((sent) => sent.headers.get('idempotency-key'))).toEqual(['key-1', 'key-1']);
  });

  it('never repeats a POST without an Idempotency-Key, nor retries other statuses', async () => {
    const clock = manualClock();
    const once = scriptedFetch(json(503, {}, { 'retry-after': '1' }));
    const transport = createTransport({ fetch: once, sleep: clock.sleep, now: clock.now });
    const response = await transport(new Request('https://relay.test/x', { method: 'POST', body: '{}' }));
    expect(response.status).toBe(503);
    expect(once.sent).toHaveLength(1);

    const fetch = scriptedFetch(json(502, { title: 'Bad', detail: 'MX', code: 'upstream_error' }));
    await expect(relay(fetch).client.jobs.get('job_1')).rejects.toMatchObject({ code: 'upstream_error' });
    expect(fetch.sent).toHaveLength(1);
  });

  it('uses a caller-given Idempotency-Key and a fresh one per call otherwise', async () => {
    const fetch = scriptedFetch(accepted(), accepted(), accepted());
    const { client } = relay(fetch);
    await client.members.refresh({ user_id: 'u1', member_guid: 'MBR-1' }, { idempotencyKey: 'mine' });
    await client.members.refresh({ user_id: 'u1', member_guid: 'MBR-1' });
    await client.members.refresh({ user_id: 'u1', member_guid: 'MBR-1' });
    expect(fetch.sent.map((sent) => sent.headers.get('idempotency-key'))).toEqual(['mine', 'key-1', 'key-2']);
  });

  it('sends a GET without an Idempotency-Key', async () => {
    const fetch = scriptedFetch(json(200, { job }));
    await relay(fetch).client.jobs.get('job_1');
    expect(fetch.sent[0]!.headers.has('idempotency-key')).toBe(false);
  });

  it('times out an attempt that gets no answer in time', async () => {
    const hang = (request: Request) =>
      new Promise<Response>((_, reject) => request.signal.addEventListener('abort', () => reject(request.signal.reason)));
    const client = createRelayClient({ baseUrl: 'https://relay.test', apiKey: 'k', fetch: hang, timeoutMs: 20, retry: false });
    await expect(client.jobs.get('job_1')).rejects.toMatchObject({ name: 'RelayNetworkError', code: 'timeout' });
  });
});

describe('retryAfterMs', () => {
  it('reads delta-seconds, HTTP dates, and nothing else', () => {
    const now = Date.parse('2026-11-23T08:00:00Z');
    expect(retryAfterMs('0', now)).toBe(0);
    expect(retryAfterMs(' 12 ', now)).toBe(12_000);
    expect(retryAfterMs('Mon, 23 Nov 2026 08:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Mon, 23 Nov 2026 07:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs('-5', now)).toBeUndefined();
  });

  it('never answers a negative or non-finite wait, whatever the header says', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 0, max: 4_102_444_800_000 }), (value, now) => {
        const wait = retryAfterMs(value, now);
        return wait === undefined || (Number.isFinite(wait) && wait >= 0);
      }),
    );
  });
});
