import type { HttpMethod, Route } from '../../lib/http/route.ts';

type Handled = Pick<Route, 'body' | 'query' | 'erasedUsers'> &
  (
    | { auth: 'none'; handle: Extract<Route, { auth: 'none' }>['handle'] }
    | Pick<Extract<Route, { auth: 'api_key' }>, 'auth' | 'access' | 'handle'>
  );

/** A route for a pipeline test: `key` is its route key (`"POST /things"`), the rest its handling. */
export function testRoute(key: string, handled: Handled): Route {
  const [method, path] = key.split(' ') as [HttpMethod, string];
  return { method, path: path!, fn: 'api-read', summary: key, docs: () => ({ responses: {} }), ...handled } as Route;
}
