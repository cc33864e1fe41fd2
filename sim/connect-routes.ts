import { headerValue, parseJsonBody } from './http.ts';
import { MxError } from './mx-errors.ts';
import { type MxRequest, type MxRoute, SSO_MEDIA } from './mx-endpoint.ts';
import { newSecretToken } from './identifiers.ts';
import type { SimulatorState } from './state.ts';

const USE_CASES = new Set(['PFM', 'MONEY_MOVEMENT']);
const CONNECT_WIDGETS = new Set(['connect_widget', 'connections_widget']);

/** The partner checks of SSO and MDX Real Time: the client id of the path, then the API key. */
export function checkPartner(state: SimulatorState, { params, headers }: MxRequest): void {
  if (params.client_id !== state.clientId) throw new MxError(404, 'Client not found or Nexus not enabled.');
  if (headerValue(headers, 'md-api-key') !== state.apiKey) throw new MxError(401, 'Invalid API key.');
}

export function objectField(body: unknown, name: string): Record<string, unknown> {
  const value = body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new MxError(400, `${name} is required.`);
  return value as Record<string, unknown>;
}

export function jsonBody(request: MxRequest): unknown {
  try {
    return parseJsonBody(request.body);
  } catch {
    throw new MxError(400, 'The body is not valid JSON.');
  }
}

/**
 * SSO API v3: widget URLs with configuration options (docs.mx.com/api-reference/sso/v3/reference/widget-urls). A URL
 * embeds a one-time token, good for ten minutes. Users are made through MDX Real Time (mdx-realtime-routes.ts): the
 * SSO host has no users route, so a client that makes users here gets MX's 404.
 */
export function connectRoutes(state: SimulatorState): MxRoute[] {
  return [
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
