import { Webhook } from 'standardwebhooks';
import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { AddressGuard, type Resolver } from '../../../lib/notify/address-guard.ts';
import { RESPONSE_EXCERPT_BYTES, USER_AGENT, WebhookSender } from '../../../lib/notify/attempt.ts';
import { createGuardedAgent } from '../../../lib/notify/guarded-agent.ts';
import { generateSecret } from '../../../lib/notify/signing.ts';
import { closedPort, Receiver } from './support/receiver.ts';

const secret = generateSecret();
const payload = '{"type":"aggregation.succeeded","timestamp":"2026-01-01T00:00:00.000Z","data":{}}';
const attempt = (url: string) => ({ url, msgId: 'msg_job_1_succeeded', payload, secrets: [secret] });

describe('WebhookSender', () => {
  let receiver: Receiver;
  const clock = new ManualClock();
  const dispatcher = new Agent();
  const sender = new WebhookSender({ timeoutMs: 2_000, clock, dispatcher });

  beforeAll(async () => {
    receiver = await Receiver.start();
  });
  afterAll(async () => {
    await receiver.close();
    await dispatcher.close();
  });
  beforeEach(() => {
    receiver.requests.length = 0;
    clock.set(Date.now());
  });

  it('POSTs the payload as JSON with a signature the standardwebhooks library accepts; 2xx is ok', async () => {
    receiver.respond = (_, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end('thanks');

    const outcome = await sender.send(attempt(receiver.url()));

    expect(outcome).toMatchObject({ ok: true, statusCode: 200, responseExcerpt: 'thanks' });
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(0);
    const [request] = receiver.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/hook', body: payload });
    expect(request!.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'webhook-id': 'msg_job_1_succeeded',
      'webhook-timestamp': String(Math.floor(clock.now() / 1000)),
    });
    expect(new Webhook(secret).verify(request!.body, request!.headers as Record<string, string>)).toEqual(JSON.parse(payload));
  });

  it('reports 410 and 500 as failures with their status and body', async () => {
    receiver.respond = (_, response) => response.writeHead(410).end('gone');
    expect(await sender.send(attempt(receiver.url()))).toMatchObject({ ok: false, statusCode: 410, responseExcerpt: 'gone' });

    receiver.respond = (_, response) => response.writeHead(500).end('boom');
    expect(await sender.send(attempt(receiver.url()))).toMatchObject({ ok: false, statusCode: 500, responseExcerpt: 'boom' });
  });

  it('does not follow a redirect: a 302 is a failure', async () => {
    receiver.respond = (request, response) =>
      request.path === '/hook'
        ? response.writeHead(302, { location: receiver.url('/moved') }).end()
        : response.writeHead(204).end();

    const outcome = await sender.send(attempt(receiver.url()));

    expect(outcome).toMatchObject({ ok: false, statusCode: 302 });
    expect(outcome).not.toHaveProperty('error');
    expect(receiver.to('/moved')).toHaveLength(0);
  });

  it('keeps the first 1 KiB of a large answer and does not wait for the rest', async () => {
    receiver.respond = (_, response) => {
      response.writeHead(500);
      response.write('é'.repeat(RESPONSE_EXCERPT_BYTES)); // 2 KiB of two-byte characters, then the body never ends
    };

    const outcome = await sender.send(attempt(receiver.url()));

    expect(outcome).toMatchObject({ ok: false, statusCode: 500, responseExcerpt: 'é'.repeat(RESPONSE_EXCERPT_BYTES / 2) });
    expect(outcome.latencyMs).toBeLessThan(2_000);
  });

  it('times out an endpoint that never answers', async () => {
    receiver.respond = () => {};
    const impatient = new WebhookSender({ timeoutMs: 150, clock, dispatcher });

    const outcome = await impatient.send(attempt(receiver.url()));

    expect(outcome).toMatchObject({ ok: false, error: 'timeout' });
    expect(outcome).not.toHaveProperty('statusCode');
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(140);
    expect(receiver.requests).toHaveLength(1);
  });

  it('gives up an exchange not answered within the patience: slow, not an outcome', async () => {
    receiver.respond = () => {};
    const outcome = await sender.send(attempt(receiver.url()), { patienceMs: 100 });
    expect(outcome).toMatchObject({ ok: false, slow: true });
    expect(outcome).not.toHaveProperty('error');
    expect(receiver.requests).toHaveLength(1);
  });

  it('goes by the status when the answer began within the patience', async () => {
    receiver.respond = (_, response) => {
      response.writeHead(200);
      response.write('ok so far');
    };
    expect(await sender.send(attempt(receiver.url()), { patienceMs: 100 })).toMatchObject({
      ok: true,
      statusCode: 200,
      responseExcerpt: 'ok so far',
    });
  });

  it('goes by the status when a 2xx body stalls past the timeout', async () => {
    receiver.respond = (_, response) => {
      response.writeHead(200);
      response.write('ok so far');
    };
    const impatient = new WebhookSender({ timeoutMs: 150, clock, dispatcher });

    expect(await impatient.send(attempt(receiver.url()))).toMatchObject({
      ok: true,
      statusCode: 200,
      responseExcerpt: 'ok so far',
    });
  });

  it('classifies a refused connection', async () => {
    const outcome = await sender.send(attempt(`http://127.0.0.1:${await closedPort()}/hook`));
    expect(outcome).toMatchObject({ ok: false, error: 'connection', errorCode: 'ECONNREFUSED' });
  });

  it('classifies a failed name lookup', async () => {
    const noDns = new Agent({
      connect: {
        lookup: (_host, _options, callback) => callback(Object.assign(new Error('no such host'), { code: 'ENOTFOUND' }), '', 4),
      },
    });
    const outcome = await new WebhookSender({ timeoutMs: 2_000, clock, dispatcher: noDns }).send(
      attempt('https://hooks.example.com/x'),
    );
    await noDns.close();
    expect(outcome).toMatchObject({ ok: false, error: 'dns', errorCode: 'ENOTFOUND' });
  });

  it('keeps at most 1 KiB of an answer that is not UTF-8, measured as stored', async () => {
    receiver.respond = (_, response) => response.writeHead(500).end(Buffer.alloc(4096, 0xff));

    const outcome = await sender.send(attempt(receiver.url()));

    expect(Buffer.byteLength(outcome.responseExcerpt!)).toBeLessThanOrEqual(RESPONSE_EXCERPT_BYTES);
    expect(outcome.responseExcerpt).toMatch(/^\uFFFD+$/);
  });

  it('classifies a TLS failure', async () => {
    const outcome = await sender.send(attempt(`https://127.0.0.1:${receiver.port}/hook`));
    expect(outcome).toMatchObject({ ok: false, error: 'tls' });
  });
});

describe('WebhookSender through the guarded agent', () => {
  let receiver: Receiver;
  const clock = new ManualClock(Date.now());
  const agents: Agent[] = [];
  const senderWith = (guard: AddressGuard) => {
    const agent = createGuardedAgent(guard);
    agents.push(agent);
    return new WebhookSender({ timeoutMs: 2_000, clock, dispatcher: agent });
  };
  const resolver =
    (address: string): Resolver =>
    async () => [{ address, family: 4 }];

  beforeAll(async () => {
    receiver = await Receiver.start();
  });
  afterAll(async () => {
    await receiver.close();
    await Promise.all(agents.map((agent) => agent.close()));
  });
  beforeEach(() => {
    receiver.requests.length = 0;
  });

  it('connects to the address the guard resolved and checked (a name only the test resolver knows)', async () => {
    const sender = senderWith(new AddressGuard({ allowLoopback: true, resolver: resolver('127.0.0.1') }));

    const outcome = await sender.send(attempt(`http://hooks.nexus-relay.test:${receiver.port}/pinned`));

    expect(outcome).toMatchObject({ ok: true, statusCode: 204 });
    expect(receiver.to('/pinned')).toHaveLength(1);
    expect(receiver.requests[0]!.headers.host).toBe(`hooks.nexus-relay.test:${receiver.port}`);
  });

  it('refuses to connect when the name resolves to a refused address (DNS rebinding)', async () => {
    const sender = senderWith(new AddressGuard({ allowLoopback: false, resolver: resolver('127.0.0.1') }));

    const outcome = await sender.send(attempt(`http://hooks.nexus-relay.test:${receiver.port}/hook`));

    expect(outcome).toMatchObject({ ok: false, error: 'blocked_address', errorCode: 'NOTIFY_BLOCKED_ADDRESS' });
    expect(receiver.requests).toHaveLength(0);
  });

  it('refuses IP literals, which never reach a lookup', async () => {
    const sender = senderWith(new AddressGuard({ allowLoopback: false, resolver: () => expect.fail('resolved a literal') }));

    for (const url of [
      `http://127.0.0.1:${receiver.port}/hook`,
      `http://[::1]:${receiver.port}/hook`,
      `http://2130706433:${receiver.port}/`,
    ]) {
      expect(await sender.send(attempt(url)), url).toMatchObject({ ok: false, error: 'blocked_address' });
    }
    expect(receiver.requests).toHaveLength(0);
  });
});
