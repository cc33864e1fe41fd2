import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { matchRoute, toApiEvent } from '../../../infra/local/gateway.ts';
import { DEFAULT_ROUTE_KEY, routeKey } from '../../../lib/http/route.ts';
import { ROUTES } from '../../../lib/route-table.ts';

describe('local gateway routing', () => {
  it('matches every route of the table to its own key and function', () => {
    for (const route of ROUTES) {
      const path = route.path.replace(/\{([^}]+)\}/g, (_, name: string) => `x-${name}`);
      const match = matchRoute(route.method, path);
      expect(match.routeKey).toBe(routeKey(route));
      expect(match.fn).toBe(route.fn);
    }
  });

  it('decodes path parameters once, as API Gateway does', () => {
    const match = matchRoute('GET', '/users/u%40example.com/members/MBR-1');
    expect(match.pathParameters).toEqual({ user_id: 'u@example.com', member_guid: 'MBR-1' });
  });

  it('sends unknown paths and methods to the $default route', () => {
    expect(matchRoute('GET', '/nope').routeKey).toBe(DEFAULT_ROUTE_KEY);
    expect(matchRoute('PATCH', '/webhooks').routeKey).toBe(DEFAULT_ROUTE_KEY);
    expect(matchRoute('GET', '/users/a/members/b/c/d').fn).toBe('api-fallback');
  });

  it("hands a function-url route's function the event its URL would: $default, no path parameters", () => {
    const route = matchRoute('POST', '/mx/webhooks');
    expect(route).toMatchObject({ routeKey: 'POST /mx/webhooks', fn: 'mx-events', functionUrl: true });
    const request = { url: '/mx/webhooks', method: 'POST', headers: {}, socket: {} } as unknown as IncomingMessage;
    const event = toApiEvent(request, Buffer.from('{}'), route);
    expect(event).toMatchObject({ routeKey: DEFAULT_ROUTE_KEY, rawPath: '/mx/webhooks' });
    expect(event.pathParameters).toBeUndefined();
    expect(toApiEvent(request, Buffer.from('{}'), matchRoute('GET', '/webhooks')).routeKey).toBe('GET /webhooks');
  });
});
