import { READ_ENDPOINTS, readRoutePath } from '../reads/read-endpoints.ts';

/**
 * THE route table: the CDK stack creates exactly these HttpApi routes and the local gateway serves exactly these.
 * Each function's module in lib/api/ declares the operations it handles under the same route keys (a test holds
 * both sides equal).
 */
export const FUNCTIONS = [
  'api-refresh',
  'api-jobs',
  'api-read',
  'api-webhooks',
  'api-fallback',
  'mx-events',
  'api-docs',
] as const;
export type HttpFunctionName = (typeof FUNCTIONS)[number];

/** The module of lib/api/ holding a function's operations and docs: `api-refresh` → `refresh`, `mx-events` as is. */
export const apiModuleOf = (fn: HttpFunctionName): string => fn.replace(/^api-/, '');

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
  api('api-refresh', 'PUT', `${member}/resume`, "Answer MX's MFA challenges; tracking resumes on the same job"),
  api('api-jobs', 'GET', '/jobs/{job_id}', 'Read an aggregation job'),
  api('api-jobs', 'GET', `${member}/aggregation`, "The member's latest aggregation job"),
  api('api-jobs', 'GET', '/users/{user_id}/jobs', "The user's aggregation jobs, newest first (cursor, limit)"),
];

const readRoutes: RouteDefinition[] = [
  ...READ_ENDPOINTS.map((endpoint) => api('api-read', 'GET', readRoutePath(endpoint), endpoint.summary)),
  api(
    'api-read',
    'GET',
    '/users/{user_id}/transactions/sync',
    "What changed in the user's transactions since the cursor: added, modified, removed (cursor, count)",
  ),
];

const webhookRoutes: RouteDefinition[] = [
  api('api-webhooks', 'POST', '/webhooks', 'Subscribe an endpoint to events'),
  api('api-webhooks', 'GET', '/webhooks', 'List webhook subscriptions'),
  api('api-webhooks', 'GET', '/webhooks/{webhook_id}', 'Read a webhook subscription'),
  api('api-webhooks', 'PATCH', '/webhooks/{webhook_id}', 'Change url, event types, description or enabled'),
  api('api-webhooks', 'DELETE', '/webhooks/{webhook_id}', 'Delete a webhook subscription'),
  api('api-webhooks', 'POST', '/webhooks/{webhook_id}/rotate-secret', 'New signing secret; the old one signs for 24 h more'),
  api('api-webhooks', 'POST', '/webhooks/{webhook_id}/enable', 'Enable a subscription and deliver what it missed'),
  api('api-webhooks', 'POST', '/webhooks/{webhook_id}/test', 'Send a webhook.test event and report the attempt'),
  api('api-webhooks', 'GET', '/webhooks/{webhook_id}/deliveries', 'The delivery log, newest first, with attempts'),
  api('api-webhooks', 'POST', '/webhooks/{webhook_id}/deliveries/{msg_id}/replay', 'Send one delivery again'),
  api('api-webhooks', 'POST', '/webhooks/{webhook_id}/replay', 'Send the deliveries of a time range again'),
];

/** Called by MX, not by client apps: HTTP Basic, checked by the function itself. */
const mxEventRoutes: RouteDefinition[] = [
  {
    method: 'POST',
    path: '/mx/webhooks',
    fn: 'mx-events',
    auth: 'none',
    summary: "MX's AGGREGATION and CONNECTION_STATUS webhooks (HTTP Basic): an immediate poll of the member's active job",
  },
];

/** The API's own description, generated from the schemas the operations validate with, and the operator console. */
const docsRoutes: RouteDefinition[] = [
  { method: 'GET', path: '/openapi.json', fn: 'api-docs', auth: 'none', summary: 'This API as an OpenAPI 3.1 document' },
  {
    method: 'GET',
    path: '/console',
    fn: 'api-docs',
    auth: 'none',
    summary: 'The operator console: jobs and webhook deliveries in a browser (sign in with an API key)',
  },
  { method: 'GET', path: '/console/{asset}', fn: 'api-docs', auth: 'none', summary: "The console's script and style" },
];

export const ROUTES: readonly RouteDefinition[] = [
  ...aggregationRoutes,
  ...readRoutes,
  ...webhookRoutes,
  ...mxEventRoutes,
  ...docsRoutes,
];

/** API Gateway's route key for a route (`"POST /webhooks"`); functions register operations under it. */
export const routeKey = (route: Pick<RouteDefinition, 'method' | 'path'>): string => `${route.method} ${route.path}`;

/** HttpApi's catch-all route key; served by `api-fallback` (problem+json 404/405 instead of API Gateway's own). */
export const DEFAULT_ROUTE_KEY = '$default';
