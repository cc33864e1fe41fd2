import { toIso } from './clock.ts';
import { headerValue, parseJsonBody } from './http.ts';
import { MxError, invalidSession } from './mx-errors.ts';
import { type MxEndpoint, type MxReply, type MxRequest, type MxRoute, NEXUS_MEDIA, SSO_MEDIA } from './mx-endpoint.ts';
import { type SimUser, throttledAt } from './members.ts';
import { minutesToMs } from './sim-settings.ts';
import type { SimulatorState } from './state.ts';

/** SSO `api_token` and Nexus `POST /sessions`: the two steps to a session. */
export function sessionRoutes(state: SimulatorState): MxRoute[] {
  return [
    {
      methods: ['GET'],
      pattern: '/{client_id}/users/{user_id}/api_token',
      optionalSuffix: '.json',
      handler: {
        media: SSO_MEDIA,
        handle({ params, headers }) {
          if (params.client_id !== state.clientId) throw new MxError(404, 'Client not found or Nexus not enabled.');
          if (headerValue(headers, 'md-api-key') !== state.apiKey) throw new MxError(401, 'Invalid API key.');
          const user = state.members.user(params.user_id ?? '');
          if (!user) throw new MxError(404, 'User not found.');

          if (state.dialect.sso_answer === 'refused') throw new MxError(403, 'Forbidden: this address is not allowed.');
          const { token, expiresAt } = state.sessions.issueApiToken(user.id);
          if (state.dialect.sso_answer === 'xml') {
            return {
              status: 200,
              body: undefined,
              raw: {
                contentType: 'application/vnd.moneydesktop.sso.v3+xml',
                text: `<?xml version="1.0" encoding="UTF-8"?><api_token><token>${token}</token><expires_at>${toIso(expiresAt)}</expires_at></api_token>`,
              },
            };
          }
          return { status: 200, body: { api_token: { token, expires_at: toIso(expiresAt) } } };
        },
      },
    },
    {
      methods: ['POST'],
      pattern: '/sessions',
      handler: {
        media: NEXUS_MEDIA,
        handle({ headers, body }) {
          const apiToken = headerValue(headers, 'md-api-token');
          const session = apiToken === undefined ? null : state.sessions.openSession(apiToken);
          if (!session) throw new MxError(401, 'API token invalid, expired or already used.');

          const user = state.members.user(session.userId)!;
          if (!skipsAggregation(body)) aggregateMembersOf(state, user);
          return { status: 200, body: { session: { token: session.token, user_guid: user.guid } } };
        },
      },
    },
  ];
}

/** `{"session":{"skip_aggregation":true}}`; any other body (`{}`, none, not JSON) lets the session aggregate. */
function skipsAggregation(body: Buffer): boolean {
  try {
    const parsed = parseJsonBody(body) as { session?: { skip_aggregation?: unknown } } | null;
    return parsed?.session?.skip_aggregation === true;
  } catch {
    return false;
  }
}

/**
 * What MX does when a session opens without `skip_aggregation`: "automatic aggregation being initiated for the user's
 * existing members" (docs.mx.com/nexus/verification/api-only). Each run is MX's own (a background run, its webhook at
 * its end), skipped for a member aggregating or inside MX's throttle window, and counted in `/_sim/stats`.
 */
function aggregateMembersOf(state: SimulatorState, user: SimUser): void {
  const now = state.clock.now();
  for (const member of state.members.membersOf(user)) {
    if (throttledAt(member, now, minutesToMs(state.settings.throttleWindowMinutes))) continue;
    if (state.background.start(member) === 'started') state.stats.sessionAggregationStarted();
  }
}

/** The user whose session the request carries; every Nexus data call goes through here first. */
export function sessionUser(state: SimulatorState, request: MxRequest): SimUser {
  const token = headerValue(request.headers, 'md-session-token');
  const userId = token === undefined ? null : state.sessions.use(token);
  const user = userId === null ? undefined : state.members.user(userId);
  if (!user) throw invalidSession(state.dialect);
  return user;
}

/** A Nexus data endpoint: it serves the session's user, and answers 401 without a live session. */
export function userEndpoint(state: SimulatorState, handle: (request: MxRequest, user: SimUser) => MxReply): MxEndpoint {
  return { media: NEXUS_MEDIA, handle: (request) => handle(request, sessionUser(state, request)) };
}
