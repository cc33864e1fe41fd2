import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ROUTE_KEY, FUNCTIONS, ROUTES, routeKey, type HttpFunctionName } from '../../../lib/http/routes.ts';
import type { Operations } from '../../../lib/http/http-handler.ts';
import { loadApiModules } from '../../support/api-modules.ts';

/** Function modules read their configuration when loaded; any valid configuration will do here. */
const env = {
  TABLE_NAME: 'routes-test',
  POLL_QUEUE_URL: 'http://127.0.0.1:1/000000000000/poll',
  DELIVERY_QUEUE_URL: 'http://127.0.0.1:1/000000000000/delivery',
  MX_BASE_URL: 'http://127.0.0.1:1',
  MX_CLIENT_ID: 'client',
  MX_API_KEY: 'key',
  AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:1',
  AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:1',
  LOCAL_SECRETS_KEY: Buffer.alloc(32, 7).toString('base64'),
};

let operationsOf: Record<HttpFunctionName, Operations>;

beforeAll(async () => {
  Object.assign(process.env, env);
  const modules = await loadApiModules();
  operationsOf = Object.fromEntries(FUNCTIONS.map((fn) => [fn, modules[fn].operations])) as Record<HttpFunctionName, Operations>;
});

describe('route table ⇄ function operations', () => {
  it('every route is served by an operation of its function, with the same auth', () => {
    for (const route of ROUTES) {
      const operation = operationsOf[route.fn][routeKey(route)];
      expect(operation, `${routeKey(route)} in ${route.fn}`).toBeDefined();
      expect(operation!.auth, routeKey(route)).toBe(route.auth);
    }
  });

  it('every operation has a route (the fallback serves only $default)', () => {
    const routed = new Set(ROUTES.map((route) => `${route.fn} ${routeKey(route)}`));
    for (const fn of FUNCTIONS) {
      for (const key of Object.keys(operationsOf[fn])) {
        if (fn === 'api-fallback') expect(key).toBe(DEFAULT_ROUTE_KEY);
        else expect(routed.has(`${fn} ${key}`), `${fn} ${key} has no route`).toBe(true);
      }
    }
  });
});
