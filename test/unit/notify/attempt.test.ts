import { Webhook } from 'standardwebhooks';
import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { RESPONSE_EXCERPT_BYTES, USER_AGENT, WebhookSender } from '../../../lib/notify/attempt.ts';
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

  it('classifies a TLS failure', async () => {
    const outcome = await sender.send(attempt(`https://127.0.0.1:${receiver.port}/hook`));
    expect(outcome).toMatchObject({ ok: false, error: 'tls' });
  });
});
