import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { sign } from '../../../lib/notify/signing.ts';
import { createWebhookReceiver, type NexusRelayEvent } from '../../../scripts/examples/verify-webhook.ts';

/**
 * The README's receiver (scripts/examples/verify-webhook.ts) against deliveries signed the way nexus-relay signs them:
 * it must accept them, refuse forgeries and stale ones, and hand each webhook-id to the application once.
 */
const secret = `whsec_${Buffer.from('a-demo-secret-of-32-bytes-length').toString('base64')}`;
const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

async function start(onEvent: (event: NexusRelayEvent, id: string) => Promise<void>) {
  const server = createWebhookReceiver(secret, onEvent);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
}

const body = JSON.stringify({
  type: 'aggregation.succeeded',
  timestamp: '2026-11-22T10:00:00.000Z',
  data: { job: { id: 'job_1', user_id: 'u1', member_guid: 'MBR-1', status: 'succeeded' }, member: { guid: 'MBR-1' } },
});

function deliver(url: string, options: { id?: string; at?: Date; payload?: string; signature?: string } = {}) {
  const id = options.id ?? 'msg_job_1_s1_succeeded';
  const at = options.at ?? new Date();
  const signed = new Webhook(secret).sign(id, at, body);
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': options.signature ?? signed,
    },
    body: options.payload ?? body,
  });
}

describe('the README webhook receiver', () => {
  it('accepts a signed delivery, hands the parsed event over once per webhook-id, and answers 204', async () => {
    const seen: [string, string][] = [];
    const url = await start(async (event, id) => void seen.push([event.type, id]));
    expect((await deliver(url)).status).toBe(204);
    expect((await deliver(url)).status).toBe(204); // a retry: acknowledged, not handed over again
    expect((await deliver(url, { id: 'msg_job_1_started' })).status).toBe(204);
    expect(seen).toEqual([
      ['aggregation.succeeded', 'msg_job_1_s1_succeeded'],
      ['aggregation.succeeded', 'msg_job_1_started'],
    ]);
  });

  it('accepts the signature nexus-relay itself computes, also during a rotation (two signatures)', async () => {
    const seen: string[] = [];
    const url = await start(async (_event, id) => void seen.push(id));
    const at = new Date();
    const other = `whsec_${Buffer.from('another-secret-another-secret-12').toString('base64')}`;
    const signature = sign('msg_rotation', Math.floor(at.getTime() / 1000), body, [other, secret]);
    expect(signature).toContain(' ');
    expect((await deliver(url, { id: 'msg_rotation', at, signature })).status).toBe(204);
    expect(seen).toEqual(['msg_rotation']);
  });

  it('refuses a changed body, a wrong signature and a stale timestamp, without handing anything over', async () => {
    const seen: string[] = [];
    const url = await start(async (_event, id) => void seen.push(id));
    expect((await deliver(url, { payload: body.replace('succeeded', 'failed') })).status).toBe(401);
    expect((await deliver(url, { signature: 'v1,AAAA' })).status).toBe(401);
    expect((await deliver(url, { at: new Date(Date.now() - 10 * 60_000) })).status).toBe(401);
    expect(seen).toEqual([]);
  });

  it('answers 500 when the application fails, so the delivery is retried and handed over again', async () => {
    let calls = 0;
    const url = await start(async () => {
      calls += 1;
      if (calls === 1) throw new Error('database down');
    });
    expect((await deliver(url)).status).toBe(500);
    expect((await deliver(url)).status).toBe(204);
    expect(calls).toBe(2);
  });
});
