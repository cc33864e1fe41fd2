import { describe, expect, it } from 'vitest';
import type { ApiEvent } from '../../../lib/http/api-event.ts';
import { createHttpHandler } from '../../../lib/http/http-handler.ts';
import { DEFAULT_ROUTE_KEY } from '../../../lib/http/route.ts';
import { silentLog } from '../../../lib/logger.ts';
import { noMetrics } from '../../../lib/metrics.ts';
import { lambdaContext } from '../../../infra/local/lambda-context.ts';
import { testRoute } from '../../support/test-route.ts';

/** An event as a function URL hands it: route key `$default`, no path parameters, whatever the path. */
const atFunctionUrl = (method: string, path: string): ApiEvent => ({
  routeKey: DEFAULT_ROUTE_KEY,
  rawPath: path,
  headers: {},
  isBase64Encoded: false,
  requestContext: { requestId: 'req-00000001', http: { method, path } },
});

describe('a function serving a route at its function URL', () => {
  const served: string[] = [];
  const handler = createHttpHandler(
    [
      {
        ...testRoute('POST /hooks', {
          auth: 'none',
          body: 'text',
          handle: async (r) => (served.push(r.routeKey), { status: 204 }),
        }),
        endpoint: 'function-url' as const,
      },
      // The same function's route behind the API: never reached through the URL.
      testRoute('POST /things', { auth: 'none', handle: async (r) => (served.push(r.routeKey), { status: 204 }) }),
    ],
    {},
    { metrics: noMetrics, log: silentLog },
  );
  const call = (e: ApiEvent) => handler(e, lambdaContext('test'));

  it('matches the URL’s $default by method and path, and hands the route its own key', async () => {
    expect((await call(atFunctionUrl('POST', '/hooks'))).statusCode).toBe(204);
    expect(served).toEqual(['POST /hooks']);
  });

  it('answers 404 for a route behind the API, another method or another spelling of the path', async () => {
    for (const [method, path] of [
      ['POST', '/things'],
      ['GET', '/hooks'],
      ['POST', '/hooks/'],
      ['POST', '//hooks'],
    ] as const) {
      const answer = await call(atFunctionUrl(method, path));
      expect(answer.statusCode, `${method} ${path}`).toBe(404);
      expect(JSON.parse(answer.body!)).toMatchObject({ code: 'route_not_found' });
    }
    expect(served).not.toContain('POST /things');
  });
});
