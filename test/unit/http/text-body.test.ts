import { noMetrics } from '../../../lib/metrics.ts';
import { describe, expect, it } from 'vitest';
import type { ApiEvent } from '../../../lib/http/api-event.ts';
import { createHttpHandler } from '../../../lib/http/http-handler.ts';
import { silentLog } from '../../../lib/logger.ts';
import { lambdaContext } from '../../../infra/local/lambda-context.ts';
import { testRoute } from '../../support/test-route.ts';

const event = (body: string | undefined, extra: Partial<ApiEvent> = {}): ApiEvent => ({
  routeKey: 'POST /text',
  rawPath: '/text',
  headers: { 'content-type': 'text/plain' },
  body,
  isBase64Encoded: false,
  requestContext: { requestId: 'req-00000001', http: { method: 'POST', path: '/text' } },
  ...extra,
});

describe("an operation with body: 'text'", () => {
  const seen: unknown[] = [];
  const handler = createHttpHandler(
    [
      testRoute('POST /text', {
        auth: 'none',
        body: 'text',
        async handle(request) {
          seen.push(request.body);
          return { status: 204 };
        },
      }),
    ],
    {},
    { metrics: noMetrics, log: silentLog },
  );
  const call = (e: ApiEvent) => handler(e, lambdaContext('test'));

  it('gets the text as sent, whatever its type or syntax, where a JSON operation would get 400 or 415', async () => {
    for (const text of ['not json {', '{"type":"AGGREGATION"}', 'ünïcödé']) {
      expect((await call(event(text))).statusCode).toBe(204);
      expect(seen.at(-1)).toBe(text);
    }
  });

  it('decodes a base64 body, and still refuses one over the size limit', async () => {
    await call(event(Buffer.from('{"a":1}').toString('base64'), { isBase64Encoded: true }));
    expect(seen.at(-1)).toBe('{"a":1}');
    expect((await call(event('x'.repeat(70_000)))).statusCode).toBe(413);
  });
});
