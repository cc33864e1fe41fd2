import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { generateSecret, webhookHeaders } from '../../../lib/notify/signing.ts';
import { webhookApp as expressApp } from '../examples/express.ts';
import { webhookApp as honoApp } from '../examples/hono.ts';
import { createWebhookReceiver } from '../examples/node-http.ts';
import { onDelivery } from '../examples/client-app.ts';
import type { RelayEvent } from '../src/index.ts';

/**
 * The receiver examples (node:http, Express, Hono; node-http.ts is the one docs/api.md shows) against deliveries
 * signed by the relay's own signing code: they accept them, also during a secret rotation, and refuse forgeries.
 */
const oldSecret = generateSecret();
const newSecret = generateSecret();
const body = JSON.stringify({
  type: 'aggregation.succeeded',
  timestamp: '2026-11-23T10:00:00.000Z',
  data: { job: { id: 'job_1', user_id: 'u1', member_guid: 'MBR-1', status: 'succeeded' }, member: { guid: 'MBR-1' } },
});
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

type Post = (init: { headers: Record<string, string>; body: string }) => Promise<number>;
type Handler = (event: RelayEvent, id: string) => Promise<void>;

async function listen(server: Server): Promise<Post> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return async (init) => (await fetch(url, { method: 'POST', ...init })).status;
}

const EXAMPLES: Record<string, (secrets: string[], onEvent: Handler) => Promise<Post>> = {
  'node:http': (secrets, onEvent) => listen(createWebhookReceiver(secrets, onEvent)),
  Express: (secrets, onEvent) => listen(expressApp(secrets, onEvent).listen(0, '127.0.0.1')),
  Hono: async (secrets, onEvent) => {
    const app = honoApp(secrets, onEvent);
    return async (init) => (await app.request('http://receiver.test/hooks', { method: 'POST', ...init })).status;
  },
};

const nowSeconds = () => Math.floor(Date.now() / 1000);
function delivery(options: { id?: string; at?: number; payload?: string; secrets?: string[] } = {}) {
  const headers = webhookHeaders(options.id ?? 'msg_1', options.at ?? nowSeconds(), body, options.secrets ?? [oldSecret]);
  return { headers: { 'content-type': 'application/json', ...headers }, body: options.payload ?? body };
}

describe.each(Object.keys(EXAMPLES))('the %s receiver example', (name) => {
  const start = EXAMPLES[name]!;

  it('accepts what the relay signs, with the old or the new secret during a rotation, and hands over the typed event', async () => {
    const seen: [string, string][] = [];
    const post = await start([newSecret, oldSecret], async (event, id) => void seen.push([event.type, id]));
    expect(await post(delivery({ id: 'msg_old' }))).toBe(204);
    expect(await post(delivery({ id: 'msg_both', secrets: [newSecret, oldSecret] }))).toBe(204);
    expect(await post(delivery({ id: 'msg_new', secrets: [newSecret] }))).toBe(204);
    expect(seen).toEqual([
      ['aggregation.succeeded', 'msg_old'],
      ['aggregation.succeeded', 'msg_both'],
      ['aggregation.succeeded', 'msg_new'],
    ]);
  });

  it('refuses a changed body, an unknown secret and a stale timestamp, handing nothing over', async () => {
    const seen: string[] = [];
    const post = await start([oldSecret], async (_event, id) => void seen.push(id));
    expect(await post(delivery({ payload: body.replace('succeeded', 'failed') }))).toBe(401);
    expect(await post(delivery({ secrets: [generateSecret()] }))).toBe(401);
    expect(await post(delivery({ at: nowSeconds() - 10 * 60 }))).toBe(401);
    expect(seen).toEqual([]);
  });
});

describe('the node:http receiver example', () => {
  it('hands each webhook-id over once, and answers 500 when the application fails so the delivery comes again', async () => {
    let calls = 0;
    const post = await EXAMPLES['node:http']!([oldSecret], async () => {
      calls += 1;
      if (calls === 1) throw new Error('database down');
    });
    expect(await post(delivery())).toBe(500);
    expect(await post(delivery())).toBe(204);
    expect(await post(delivery())).toBe(204); // a retry of a handled delivery: acknowledged, not handed over again
    expect(calls).toBe(2);
  });
});

describe('the client app example’s webhook half', () => {
  it('verifies and answers the typed event', () => {
    const { headers, body: raw } = delivery();
    expect(onDelivery(raw, headers, [oldSecret])).toMatchObject({ type: 'aggregation.succeeded' });
  });
});
