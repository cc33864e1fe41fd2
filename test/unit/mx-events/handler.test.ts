import type { Context } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ApiEvent, ApiResult } from '../../../lib/http/api-event.ts';
import { FUNCTION_TEST_ENV } from '../../support/function-env.ts';

let handler: (event: ApiEvent, context: Context) => Promise<ApiResult>;

beforeAll(async () => {
  Object.assign(process.env, FUNCTION_TEST_ENV);
  ({ handler } = await import('../../../functions/mx-events.ts'));
});

const basic = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

/** A request as mx-events' function URL hands it over: route key `$default`, whatever the path. */
const call = (method: string, path: string, body: string | undefined, headers: Record<string, string>) =>
  handler(
    {
      routeKey: '$default',
      rawPath: path,
      headers,
      body,
      isBase64Encoded: false,
      requestContext: { requestId: 'req-12345678', http: { method, path } },
    },
    { functionName: 'mx-events', awsRequestId: 'req-12345678' } as Context,
  );
const post = (body: string | undefined, headers: Record<string, string>) => call('POST', '/mx/webhooks', body, headers);

describe('POST /mx/webhooks', () => {
  it('checks the credentials before looking at the body: 401 with a Basic challenge', async () => {
    for (const [body, contentType] of [
      ['{"type":"AGGREGATION"', 'application/json'],
      ['hello', 'text/plain'],
    ] as const) {
      for (const authorization of [undefined, basic('mx-webhooks', 'wrong')]) {
        const result = await post(body, { 'content-type': contentType, ...(authorization ? { authorization } : {}) });
        expect(result.statusCode).toBe(401);
        expect(result.headers).toMatchObject({
          'content-type': 'application/problem+json',
          'www-authenticate': 'Basic realm="mx-webhooks"',
        });
        expect(JSON.parse(result.body)).toMatchObject({ status: 401, code: 'unauthorized' });
      }
    }
  });

  it('answers 204 to anything MX sends with the right credentials, even what it cannot read', async () => {
    const authorization = basic('mx-webhooks', 'the-password');
    for (const [body, contentType] of [
      ['{"type":"AGGREGATION"', 'application/json'],
      ['hello', 'text/plain'],
      ['{"type":"STATEMENT","member_guid":"MBR-1"}', 'application/json'],
      [undefined, 'application/json'],
    ] as const) {
      const result = await post(body, { 'content-type': contentType, authorization });
      expect(result.statusCode).toBe(204);
      expect(result.body).toBe('');
    }
  });
});

describe("mx-events' function URL", () => {
  it('answers any other path or method 404 problem+json, naming it', async () => {
    const authorization = basic('mx-webhooks', 'the-password');
    for (const [method, path] of [
      ['POST', '/'],
      ['GET', '/mx/webhooks'],
      ['POST', '/mx/webhooks/'],
      ['POST', '/users/u/members'],
    ] as const) {
      const result = await call(method, path, '{}', { authorization });
      expect(result.statusCode).toBe(404);
      expect(result.headers).toMatchObject({ 'content-type': 'application/problem+json' });
      expect(JSON.parse(result.body)).toMatchObject({ code: 'route_not_found', detail: `No route for ${method} ${path}.` });
    }
  });
});
