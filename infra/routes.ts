import { READ_ENDPOINTS, readRoutePath } from '../lib/reads/read-endpoints.ts';

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
const api = (fn: HttpFunctionName, method: HttpMethod, path: string, summary: string): RouteDefinition => ({
  method,
  path,
  fn,
  auth: 'api_key',
  summary,
});

const aggregationRoutes: RouteDefinition[] = [
  api('api-refresh', 'POST', `${member}/refresh`, 'Refresh (aggregate) a member; returns the tracking job'),
  api('api-refresh', 'POST', `${member}/aggregate`, 'Alias of refresh'),
  api('api-jobs', 'GET', '/jobs/{job_id}', 'Read an aggregation job'),
  api('api-jobs', 'GET', `${member}/aggregation`, "The member's latest aggregation job"),
];

const readRoutes: RouteDefinition[] = READ_ENDPOINTS.map((endpoint) =>
  api('api-read', 'GET', readRoutePath(endpoint), endpoint.summary),
);

const webhookRoutes: RouteDefinition[] = [
  api('api-webhooks', 'POST', '/webhooks', 'Subscribe an endpoint to events'),
  api('api-webhooks', 'GET', '/webhooks', 'List webhook subscriptions'),
  api('api-webhooks', 'GET', '/webhooks/{webhook_id}', 'Read a webhook subscription'),
  api('api-webhooks', 'DELETE', '/webhooks/{webhook_id}', 'Delete a webhook subscription'),
];

export const ROUTES: readonly RouteDefinition[] = [...aggregationRoutes, ...readRoutes, ...webhookRoutes];

/** API Gateway's route key for a route (`"POST /webhooks"`); functions register operations under it. */
export const routeKey = (route: Pick<RouteDefinition, 'method' | 'path'>): string => `${route.method} ${route.path}`;

/** HttpApi's catch-all route key; served by `api-fallback` (problem+json 404/405 instead of API Gateway's own). */
export const DEFAULT_ROUTE_KEY = '$default';
