import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../../infra/local/local-stack.ts';
import { compilePathTemplate } from '../../../lib/path-template.ts';

/**
 * The edges of the local gateway: paths match their templates exactly (literals escaped), and what Node's HTTP
 * server refuses before any function — oversized heads, URLs, bodies, broken syntax — is still problem+json with a
 * request id.
 */
let stack: LocalStack;
let gateway: { url: string; port: number };

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, simPort: 0, env: { LOG_LEVEL: 'ERROR' } });
  gateway = { url: stack.url, port: Number(new URL(stack.url).port) };
});
afterAll(async () => {
  await stack?.stop();
});

/** One raw HTTP/1.1 exchange: what a client that does not check its own request would send. */
function raw(request: string): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(gateway.port, '127.0.0.1');
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString('utf8')));
    socket.on('end', () => {
      const [head = '', body = ''] = text.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), headers: head.toLowerCase(), body });
    });
    socket.on('error', reject);
    socket.end(request);
  });
}

const expectProblem = (answer: { headers: string; body: string }, status: number, code: string) => {
  expect(answer.headers).toContain('content-type: application/problem+json');
  const body = JSON.parse(answer.body);
  expect(body).toMatchObject({ status, code, request_id: expect.any(String) });
  expect(answer.headers).toContain(`x-request-id: ${body.request_id.toLowerCase()}`);
};

describe('path templates', () => {
  it('escape their literals: /openapiXjson is not /openapi.json', async () => {
    const response = await fetch(`${gateway.url}/openapiXjson`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({ code: 'route_not_found' });
    expect((await fetch(`${gateway.url}/openapi.json`)).status).toBe(200);
  });

  it('take a doubled slash as the path it is, and say which route it meant: //mx/webhooks is not /webhooks', async () => {
    // A base URL ending in / joined to /mx/webhooks: before, the gateway read //mx as a host and answered POST /webhooks.
    const response = await fetch(`${gateway.url}//mx/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({ code: 'route_not_found' });
    // An API route's path with an empty segment: the answer names the route it meant.
    const doubled = await fetch(`${gateway.url}//jobs`, { headers: { authorization: 'Bearer nxr_unknown' } });
    expect(doubled.status).toBe(404);
    expect(await doubled.json()).toMatchObject({
      code: 'route_not_found',
      detail: expect.stringContaining('did you mean /jobs?'),
    });
  });

  it('match a parameter to exactly one non-empty segment', () => {
    const template = compilePathTemplate('/users/{user_id}/jobs');
    expect(template.match('/users/u.1/jobs')).toEqual({ user_id: 'u.1' });
    expect(template.match('/users//jobs')).toBeUndefined();
    expect(template.match('/users/a/b/jobs')).toBeUndefined();
    expect(compilePathTemplate('/a.b').match('/aXb')).toBeUndefined();
    expect(compilePathTemplate('/a+(b)').match('/a+(b)')).toEqual({});
  });
});

describe('requests the HTTP server refuses itself', () => {
  it('a 40 KB header → 431 problem+json with a request id', async () => {
    const answer = await raw(`GET /webhooks HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(40_000)}\r\n\r\n`);
    expect(answer.status).toBe(431);
    expectProblem(answer, 431, 'headers_too_large');
  });

  it('an 11 KB URL → 414 problem+json', async () => {
    const answer = await raw(`GET /webhooks?${'q'.repeat(11_000)} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
    expect(answer.status).toBe(414);
    expectProblem(answer, 414, 'uri_too_long');
  });

  it('a request that is not HTTP → 400 problem+json', async () => {
    const answer = await raw('NOT HTTP AT ALL\r\n\r\n');
    expect(answer.status).toBe(400);
    expectProblem(answer, 400, 'bad_request');
  });

  it('a body over the gateway limit → 413 problem+json', async () => {
    const size = 11 * 1024 * 1024;
    const answer = await raw(
      `POST /webhooks HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${size}\r\n\r\n${'x'.repeat(size)}`,
    );
    expect(answer.status).toBe(413);
    expectProblem(answer, 413, 'payload_too_large');
  });
});
