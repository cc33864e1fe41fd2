import { headerValue, parseJsonBody } from './http.ts';
import { MxError } from './mx-errors.ts';
import { type MxRequest, type MxRoute, SSO_MEDIA } from './mx-endpoint.ts';
import { newSecretToken } from './identifiers.ts';
import type { SimulatorState } from './state.ts';

const USE_CASES = new Set(['PFM', 'MONEY_MOVEMENT']);
const CONNECT_WIDGETS = new Set(['connect_widget', 'connections_widget']);

/** The SSO API's partner checks: the client id of the path, then the API key. */
function checkPartner(state: SimulatorState, { params, headers }: MxRequest): void {
  if (params.client_id !== state.clientId) throw new MxError(404, 'Client not found or Nexus not enabled.');
  if (headerValue(headers, 'md-api-key') !== state.apiKey) throw new MxError(401, 'Invalid API key.');
}

function objectField(body: unknown, name: string): Record<string, unknown> {
  const value = body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new MxError(400, `${name} is required.`);
  return value as Record<string, unknown>;
}

function jsonBody(request: MxRequest): unknown {
  try {
    return parseJsonBody(request.body);
  } catch {
    throw new MxError(400, 'The body is not valid JSON.');
  }
}

/**
 * SSO API v3: create user, and widget URLs with configuration options (MX's pages in
 * ../shared/reference/mx-nexus-api.md §8). A URL embeds a one-time token, good for ten minutes.
 */
export function connectRoutes(state: SimulatorState): MxRoute[] {
  return [
    {
      methods: ['POST'],
      pattern: '/{client_id}/users',
      optionalSuffix: '.json',
      handler: {
        media: SSO_MEDIA,
        handle(request) {
          checkPartner(state, request);
          const user = objectField(jsonBody(request), 'user');
          const id = user.id;
          if (typeof id !== 'string' || !/^[A-Za-z0-9._:@-]{1,128}$/.test(id)) throw new MxError(400, 'user.id is invalid.');
          const created = state.members.createUser(id);
          if (!created) throw new MxError(409, 'A user with this id already exists.');
          return { status: 200, body: { user: { id: created.id, guid: created.guid, is_disabled: false } } };
        },
      },
    },
    {
      methods: ['DELETE'],
      pattern: '/{client_id}/users/{user_id}',
      optionalSuffix: '.json',
      handler: {
        media: SSO_MEDIA,
        handle(request) {
          checkPartner(state, request);
          if (!state.members.deleteUser(request.params.user_id ?? '')) throw new MxError(404, 'User not found.');
          return { status: 204, body: undefined };
        },
      },
    },
    {
      methods: ['POST'],
      pattern: '/{client_id}/users/{user_id}/urls',
      optionalSuffix: '.json',
      handler: {
        media: SSO_MEDIA,
        handle(request) {
          checkPartner(state, request);
          const user = state.members.user(request.params.user_id ?? '');
          if (!user) throw new MxError(404, 'User not found.');
          const url = objectField(jsonBody(request), 'url');
          const type = url.type;
          if (typeof type !== 'string' || !/_widget$/.test(type)) throw new MxError(400, 'url.type must name a widget.');
          const useCases = url.use_cases;
          if (useCases !== undefined) {
            if (state.dialect.use_cases === 'not_opted_in') throw new MxError(400, 'use_cases is not enabled for this client.');
            if (!Array.isArray(useCases) || useCases.length === 0 || !useCases.every((u) => USE_CASES.has(u as string))) {
              throw new MxError(400, 'use_cases must be a non-empty list of PFM and MONEY_MOVEMENT.');
            }
          } else if (state.dialect.use_cases === 'opted_in' && CONNECT_WIDGETS.has(type)) {
            throw new MxError(400, 'use_cases is required for this widget.');
          }
          const token = newSecretToken(32);
          state.widgetUrls.set(token, {
            userId: user.id,
            type,
            expiresAt: state.clock.now() + 10 * 60_000,
            ...(Array.isArray(useCases) ? { useCases: useCases as string[] } : {}),
          });
          // On the host the request came to: where a browser of the same machine reaches the simulator.
          const origin = `http://${headerValue(request.headers, 'host') ?? '127.0.0.1'}`;
          return { status: 200, body: { url: { url: `${origin}/_sim/widgets/${token}`, type, user_id: user.id } } };
        },
      },
    },
  ];
}
