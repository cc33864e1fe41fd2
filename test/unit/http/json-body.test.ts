import { noMetrics } from '../../../lib/metrics.ts';
import { describe, expect, it } from 'vitest';
import type { ApiEvent } from '../../../lib/http/api-event.ts';
import { createHttpHandler } from '../../../lib/http/http-handler.ts';
import { silentLog } from '../../../lib/logger.ts';
import { lambdaContext } from '../../../infra/local/lambda-context.ts';
import { testRoute } from '../../support/test-route.ts';

const event = (body: string): ApiEvent => ({
  routeKey: 'POST /json',
  rawPath: '/json',
  headers: { 'content-type': 'application/json' },
  body,
  isBase64Encoded: false,
  requestContext: { requestId: 'req-00000001', http: { method: 'POST', path: '/json' } },
});

describe('a JSON body with a lone surrogate', () => {
  const seen: unknown[] = [];
  const handler = createHttpHandler(
    [
      testRoute('POST /json', {
        auth: 'none',
        async handle(request) {
          seen.push(request.body);
          return { status: 204 };
        },
      }),
    ],
    {},
    { metrics: noMetrics, log: silentLog },
  );
  const call = async (body: string) => {
    const result = await handler(event(body), lambdaContext('test'));
    return { status: result.statusCode, problem: result.body ? JSON.parse(result.body) : undefined };
  };

  it('is refused at the edge (400 naming the field): dynalite stores it, DynamoDB refuses it as invalid UTF-8', async () => {
    for (const [body, field] of [
      ['{"description":"\\ud800"}', 'description'],
      ['{"description":"a\\udc00b"}', 'description'],
      ['{"items":[{"name":"ok"},{"name":"\\udbff!"}]}', 'items.1.name'],
      ['{"\\ud800":1}', 'body'],
      ['"\\ud800"', 'body'],
    ] as const) {
      const { status, problem } = await call(body);
      expect(status, body).toBe(400);
      expect(problem, body).toMatchObject({ code: 'validation_failed', field });
    }
    expect(seen).toEqual([]);
  });

  it('lets well-formed text through, surrogate pairs included', async () => {
    expect((await call('{"description":"\\ud83d\\ude00 ünïcødé"}')).status).toBe(204);
    expect(seen.at(-1)).toEqual({ description: '😀 ünïcødé' });
  });

  it('walks a body nested deeper than the stack without overflowing', async () => {
    const depth = 20_000;
    expect((await call(`${'['.repeat(depth)}${']'.repeat(depth)}`)).status).toBe(204);
  });
});
