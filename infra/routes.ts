/**
 * THE route table: the CDK stack creates exactly these HttpApi routes and the local gateway serves exactly these.
 * Each function declares the operations it handles under the same route keys (a test holds both sides equal).
 */
export const FUNCTIONS = ['api-refresh', 'api-jobs', 'api-read', 'api-webhooks', 'api-fallback'] as const;
export type HttpFunctionName = (typeof FUNCTIONS)[number];

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteDefinition {
  method: HttpMethod;
  /** API Gateway path template: `{name}` matches one segment. */
  path: string;
  fn: HttpFunctionName;
  auth: 'api_key' | 'none';
  summary: string;
}

const member = '/users/{user_id}/members/{member_guid}';

export const ROUTES: readonly RouteDefinition[] = [
  {
    method: 'POST',
    path: `${member}/refresh`,
    fn: 'api-refresh',
    auth: 'api_key',
    summary: 'Refresh (aggregate) a member; returns the tracking job',
  },
  { method: 'POST', path: `${member}/aggregate`, fn: 'api-refresh', auth: 'api_key', summary: 'Alias of refresh' },
  { method: 'GET', path: '/jobs/{job_id}', fn: 'api-jobs', auth: 'api_key', summary: 'Read an aggregation job' },
  {
    method: 'GET',
    path: `${member}/aggregation`,
    fn: 'api-jobs',
    auth: 'api_key',
    summary: "The member's latest aggregation job",
  },
  { method: 'POST', path: '/webhooks', fn: 'api-webhooks', auth: 'api_key', summary: 'Subscribe an endpoint to events' },
  { method: 'GET', path: '/webhooks', fn: 'api-webhooks', auth: 'api_key', summary: 'List webhook subscriptions' },
  { method: 'GET', path: '/webhooks/{webhook_id}', fn: 'api-webhooks', auth: 'api_key', summary: 'Read a webhook subscription' },
  {
    method: 'DELETE',
    path: '/webhooks/{webhook_id}',
    fn: 'api-webhooks',
    auth: 'api_key',
    summary: 'Delete a webhook subscription',
  },
];

/** API Gateway's route key for a route (`"POST /webhooks"`); functions register operations under it. */
export const routeKey = (route: Pick<RouteDefinition, 'method' | 'path'>): string => `${route.method} ${route.path}`;

/** HttpApi's catch-all route key; served by `api-fallback` (problem+json 404/405 instead of API Gateway's own). */
export const DEFAULT_ROUTE_KEY = '$default';
