import { JOB_ROUTES } from './aggregation/job-routes.ts';
import { CALLER_ROUTES } from './http/caller-routes.ts';
import { MEMBER_STATE_ROUTES } from './aggregation/member-state-routes.ts';
import { REFRESH_ROUTES } from './aggregation/refresh-routes.ts';
import { API_DOCS_ROUTES } from './api-docs/api-docs-routes.ts';
import { CONNECT_ROUTES } from './connect/connect-routes.ts';
import { MEMBER_ROUTES } from './connect/member-routes.ts';
import type { HttpFunctionName, Route } from './http/route.ts';
import { MX_EVENT_ROUTES } from './mx-events/mx-event-routes.ts';
import { DELIVERY_ROUTES } from './notify/delivery-routes.ts';
import { WEBHOOK_ROUTES } from './notify/webhook-routes.ts';
import { QUEUE_ROUTES } from './queue/queue-routes.ts';
import { NEXUS_ROUTES } from './nexus/nexus-routes.ts';
import { SYNC_ROUTE } from './transactions/sync-routes.ts';

/**
 * THE route table: the stack, the local gateway and the API document all read it, in this order. Lambdas never import
 * it: each composition imports its own slices' routes.
 */
export const ROUTES: readonly Route<never>[] = [
  ...CONNECT_ROUTES,
  ...MEMBER_STATE_ROUTES,
  ...MEMBER_ROUTES,
  ...REFRESH_ROUTES,
  ...JOB_ROUTES,
  ...QUEUE_ROUTES,
  ...CALLER_ROUTES,
  ...NEXUS_ROUTES,
  SYNC_ROUTE,
  ...WEBHOOK_ROUTES,
  ...DELIVERY_ROUTES,
  ...MX_EVENT_ROUTES,
  ...API_DOCS_ROUTES,
];

/** The functions that serve routes, api-fallback (`$default`) included. */
export const HTTP_FUNCTIONS: readonly HttpFunctionName[] = [...new Set(ROUTES.map((route) => route.fn)), 'api-fallback'];
