import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { withTimestamps } from './dialect.ts';
import { type FaultSettings, drawFault, drawLatencyMs } from './faults.ts';
import { PayloadTooLargeError, acceptsAnyOf, headerValue, readBody, sendJson, splitTarget } from './http.ts';
import { accountRoutes } from './account-routes.ts';
import { beatRoutes } from './beat-routes.ts';
import { connectRoutes } from './connect-routes.ts';
import { institutionRoutes } from './institution-routes.ts';
import { mdxRealtimeRoutes } from './mdx-realtime-routes.ts';
import { memberRoutes } from './member-routes.ts';
import { onboardingRoutes } from './onboarding-routes.ts';
import { premiumRoutes } from './premium-routes.ts';
import { MxError, mxErrorBody } from './mx-errors.ts';
import { type MxEndpoint, type MxReply, type MxRequest, NEXUS_MEDIA } from './mx-endpoint.ts';
import { type RouteMatch, createRouter, routeKey } from './router.ts';
import { sessionRoutes } from './session-routes.ts';
import { spendingPlanRoutes } from './spending-plan-routes.ts';
import type { SimulatorState } from './state.ts';
import { transactionRoutes } from './transaction-routes.ts';
// PFM resources (categories, tags, transaction rules, transaction writes, budgets, goals, insights, merchants).
import { budgetRoutes } from './budget-routes.ts';
import { categoryRoutes } from './category-routes.ts';
import { goalRoutes, insightRoutes } from './goal-routes.ts';
import { transactionRuleRoutes } from './transaction-rule-routes.ts';
import { transactionWriteRoutes } from './transaction-write-routes.ts';
import { credentialRoutes } from './credential-routes.ts';
import { holdingRoutes } from './holding-routes.ts';
import { microDepositRoutes } from './micro-deposit-routes.ts';
import { notificationRoutes } from './notification-routes.ts';
import { scheduledPaymentRoutes } from './scheduled-payment-routes.ts';
import { userRoutes } from './user-routes.ts';

/**
 * The MX side: SSO, MDX Real Time (under its own base) and Nexus on one port. Every request is counted, then meets the injected faults, then is routed,
 * content-negotiated and handled.
 */
export function createMxApi(state: SimulatorState) {
  const route = createRouter([
    ...sessionRoutes(state),
    ...connectRoutes(state),
    ...mdxRealtimeRoutes(state),
    ...onboardingRoutes(state),
    ...institutionRoutes(state),
    ...memberRoutes(state),
    ...premiumRoutes(state),
    ...accountRoutes(state),
    ...transactionRoutes(state),
    ...transactionWriteRoutes(state),
    ...transactionRuleRoutes(state),
    ...categoryRoutes(state),
    ...budgetRoutes(state),
    ...goalRoutes(state),
    ...insightRoutes(state),
    ...beatRoutes(state),
    ...spendingPlanRoutes(state),
    ...credentialRoutes(state),
    ...holdingRoutes(state),
    ...notificationRoutes(state),
    ...userRoutes(state),
    ...scheduledPaymentRoutes(state),
    ...microDepositRoutes(state),
  ]);

  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const method = request.method ?? 'GET';
    const target = request.url ?? '/';
    const { path, query } = splitTarget(target);
    const match = route(method, path);
    const memberGuid = match.kind === 'matched' ? match.params.member_guid : undefined;
    // Counted per member only for members that exist, so that the per-member counts stay bounded.
    state.stats.record(routeKey(method, match), target, memberGuid && state.members.member(memberGuid) && memberGuid);

    // What aggregations changed by now, before anything reads it.
    state.transactions.settle(state.clock.now());
    const faults = state.faults;
    const latencyMs = drawLatencyMs(faults, state.faultRandom);
    if (latencyMs > 0) await delay(latencyMs, undefined, { signal: state.shutdown });
    const fault = drawFault(faults, state.faultRandom);
    if (fault.kind === 'drop') {
      request.socket.destroy();
      return;
    }
    if (fault.kind === 'error') {
      sendMxError(response, MxError.plain(fault.status), NEXUS_MEDIA.contentType, retryAfter(faults));
      return;
    }

    const contentType = match.kind === 'matched' ? match.route.handler.media.contentType : NEXUS_MEDIA.contentType;
    try {
      const body = await readBody(request);
      const reply = serve(match, { query, headers: request.headers, body });
      if (reply.raw) {
        response.writeHead(reply.status, { 'content-type': reply.raw.contentType }).end(reply.raw.text);
      } else if (reply.body === undefined) {
        response.writeHead(reply.status, { 'content-type': contentType, 'content-length': 0 }).end();
      } else {
        sendJson(response, reply.status, withTimestamps(reply.body, state.dialect.timestamps), contentType);
      }
    } catch (error) {
      if (error instanceof PayloadTooLargeError) sendMxError(response, new MxError(413, error.message), contentType);
      else if (error instanceof MxError) sendMxError(response, error, contentType, allowHeader(error, match));
      else throw error;
    }
  };
}

function serve(match: RouteMatch<MxEndpoint>, request: Omit<MxRequest, 'params'>): MxReply {
  if (match.kind === 'not-found') throw new MxError(404, 'No such endpoint.');
  if (match.kind === 'method-not-allowed') throw MxError.plain(405);

  const { media, handle } = match.route.handler;
  if (!acceptsAnyOf(headerValue(request.headers, 'accept'), media.acceptable)) {
    throw new MxError(406, `Accept must allow ${media.contentType}.`);
  }
  return handle({ ...request, params: match.params });
}

function sendMxError(response: ServerResponse, error: MxError, contentType: string, headers?: Record<string, string>) {
  sendJson(response, error.status, mxErrorBody(error), contentType, headers);
}

const retryAfter = (faults: FaultSettings): Record<string, string> =>
  faults.retryAfterS === null ? {} : { 'retry-after': String(faults.retryAfterS) };

const allowHeader = (error: MxError, match: RouteMatch<MxEndpoint>): Record<string, string> =>
  error.status === 405 && match.kind === 'method-not-allowed' ? { allow: match.route.methods.join(', ') } : {};
