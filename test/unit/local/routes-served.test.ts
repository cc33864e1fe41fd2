import { beforeAll, describe, expect, it } from 'vitest';
import { httpFunctions } from '../../../infra/local/handlers.ts';
import { lambdaContext } from '../../../infra/local/lambda-context.ts';
import type { ApiEvent } from '../../../lib/http/api-event.ts';
import { DEFAULT_ROUTE_KEY, routeKey } from '../../../lib/http/route.ts';
import { ROUTES } from '../../../lib/route-table.ts';
import { FUNCTION_TEST_ENV } from '../../support/function-env.ts';

beforeAll(() => {
  Object.assign(process.env, FUNCTION_TEST_ENV);
});

const event = (key: string, path: string): ApiEvent => ({
  routeKey: key,
  rawPath: path,
  headers: {},
  isBase64Encoded: false,
  requestContext: { requestId: 'req-00000001', http: { method: key.split(' ')[0] ?? 'GET', path } },
});

/** What the function answers for a request without credentials that API Gateway sent by `key`. */
async function answer(fn: keyof typeof httpFunctions, key: string, path: string) {
  const handler = await httpFunctions[fn]();
  const result = await handler(event(key, path), lambdaContext(fn));
  const problem = result.headers?.['content-type'] === 'application/problem+json';
  return { status: result.statusCode, code: problem ? (JSON.parse(result.body) as { code?: string }).code : undefined };
}

describe('each function composes the routes that name it', () => {
  it.each(ROUTES.map((route) => [routeKey(route), route] as const))('%s', async (key, route) => {
    const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => `x-${name}`);
    const { status, code } = await answer(route.fn, key, path);
    expect(code, `${route.fn} does not serve ${key}`).not.toBe('route_not_found');
    // Without credentials, a route that takes them is refused before it runs.
    if (route.auth === 'api_key' || route.path === '/mx/webhooks') expect(status).toBe(401);
  });

  it('api-fallback answers $default: 405 on a known path, 404 elsewhere', async () => {
    expect(await answer('api-fallback', DEFAULT_ROUTE_KEY, '/webhooks')).toMatchObject({ status: 405 });
    expect(await answer('api-fallback', DEFAULT_ROUTE_KEY, '/nowhere')).toMatchObject({ status: 404, code: 'route_not_found' });
  });
});
