import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../../infra/local/local-stack.ts';

/**
 * Bytes taken as sent: a body that is not UTF-8 is refused (never stored with U+FFFD in it), and every route refuses
 * query parameters it does not define, naming them — through the real local gateway.
 */
let stack: LocalStack;
let webhookId: string;

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, simPort: 0, env: { LOG_LEVEL: 'ERROR' } });
  const created = await send('POST', '/webhooks', Buffer.from(JSON.stringify({ url: 'http://127.0.0.1:1/hook' })));
  expect(created.status).toBe(201);
  webhookId = created.json.webhook.id;
});

afterAll(async () => {
  await stack?.stop();
});

/** Raw bytes over node:http (fetch would re-encode a string body as UTF-8). */
function send(method: string, path: string, body?: Buffer): Promise<{ status: number; type: string; json: any }> {
  return new Promise((resolve, reject) => {
    const req = request(`${stack.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${stack.apiKey}`,
        ...(body ? { 'content-type': 'application/json', 'content-length': body.length } : {}),
      },
    });
    req.on('response', async (response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of response) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      resolve({
        status: response.statusCode!,
        type: String(response.headers['content-type']),
        json: text ? JSON.parse(text) : undefined,
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** `{"url":"https://example.com/h\xff\xfe"}`: JSON around two bytes that are not UTF-8. */
const notUtf8 = Buffer.concat([Buffer.from('{"url":"https://example.com/h'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);

describe('a body that is not valid UTF-8', () => {
  it.each([
    ['POST', () => '/webhooks'],
    ['PATCH', () => `/webhooks/${webhookId}`],
  ])('%s is refused with 400 invalid_body, and nothing is stored', async (method, path) => {
    const answer = await send(method, path(), notUtf8);
    expect(answer.status).toBe(400);
    expect(answer.type).toContain('application/problem+json');
    expect(answer.json).toMatchObject({ code: 'invalid_body', status: 400, request_id: expect.any(String) });
    const { json } = await send('GET', '/webhooks');
    expect(JSON.stringify(json)).not.toContain('\uFFFD');
  });

  it('valid UTF-8 beyond ASCII is taken as sent', async () => {
    const body = Buffer.from(JSON.stringify({ description: 'café ☕ — 日本' }), 'utf8');
    const answer = await send('PATCH', `/webhooks/${webhookId}`, body);
    expect(answer.status).toBe(200);
    expect(answer.json.webhook.description).toBe('café ☕ — 日本');
  });
});

describe('query parameters a route does not define', () => {
  it.each([
    ['GET', () => '/webhooks?x=1'],
    ['GET', () => '/jobs/job_0000000000000000000000000?x=1'],
    ['GET', () => `/webhooks/${webhookId}?x=1`],
    ['DELETE', () => `/webhooks/${webhookId}?x=1`],
    ['POST', () => '/users/u1/members/MBR-1/refresh?include_transactions=true&x=1'],
    ['GET', () => `/webhooks/${webhookId}/deliveries?x=1`],
    ['GET', () => '/users/u1/jobs?x=1'],
  ])('%s %s → 400 naming x', async (method, path) => {
    const answer = await send(method, path());
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ code: 'validation_failed', field: 'x' });
    expect(answer.json.detail).toContain('x');
  });
});
