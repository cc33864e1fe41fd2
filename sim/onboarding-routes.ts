import type { IncomingHttpHeaders } from 'node:http';
import { headerValue } from './http.ts';
import { jsonBody, objectField } from './connect-routes.ts';
import { MxError } from './mx-errors.ts';
import type { MediaProfile, MxRoute } from './mx-endpoint.ts';
import { paginate, parsePageRequest } from './pagination.ts';
import type { SimulatorState } from './state.ts';

/**
 * Where the simulator serves MX's onboarding API (MX's is the Platform API host, int-api.mx.com / api.mx.com): a base
 * of its own, as MDX Real Time has.
 */
export const ONBOARDING_PATH = '/platform';

/** The Platform API's media type (docs.mx.com/other/onboarding-api). */
const PLATFORM_MEDIA: MediaProfile = {
  contentType: 'application/vnd.mx.api.v1+json',
  acceptable: ['application/vnd.mx.api.v1+json', '*/*'],
};

/** One address or a range of /22 to /32 (MX permits no wider range). */
const ADDRESS = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\/(?:2[2-9]|3[0-2]))?$/;

interface IpAddress {
  guid: string;
  ip_address: string;
  status: 'PENDING';
  created_at: string;
  updated_at: string;
}

/**
 * MX's IP allow-list for the client (docs.mx.com/other/onboarding-api/reference/whitelist-ip-address and
 * list-ip-addresses): `POST /ip_addresses` `{"ip_address":{"ip_address":"1.2.3.4"}}` answers the entry `PENDING`;
 * `GET /ip_addresses[?ip_address=]` pages them. Basic `client_id:api_key`.
 */
export function onboardingRoutes(state: SimulatorState): MxRoute[] {
  const listed = new Map<string, IpAddress>();
  const checkBasic = (headers: IncomingHttpHeaders) => {
    const expected = `Basic ${Buffer.from(`${state.clientId}:${state.apiKey}`).toString('base64')}`;
    if (headerValue(headers, 'authorization') !== expected) throw new MxError(401, 'Invalid credentials.');
  };
  return [
    {
      methods: ['POST'],
      pattern: `${ONBOARDING_PATH}/ip_addresses`,
      handler: {
        media: PLATFORM_MEDIA,
        handle(request) {
          checkBasic(request.headers);
          const address = objectField(jsonBody(request), 'ip_address').ip_address;
          if (typeof address !== 'string' || !ADDRESS.test(address)) {
            throw new MxError(400, 'ip_address must be an IPv4 address, or a range from /22 to /32.');
          }
          const now = new Date(state.clock.now()).toISOString();
          const entry = listed.get(address) ?? {
            guid: `IPA-${listed.size + 1}`,
            ip_address: address,
            status: 'PENDING' as const,
            created_at: now,
            updated_at: now,
          };
          listed.set(address, entry);
          return { status: 200, body: { ip_address: entry } };
        },
      },
    },
    {
      methods: ['GET'],
      pattern: `${ONBOARDING_PATH}/ip_addresses`,
      handler: {
        media: PLATFORM_MEDIA,
        handle(request) {
          checkBasic(request.headers);
          const wanted = request.query.get('ip_address');
          const all = [...listed.values()].filter((entry) => wanted === null || entry.ip_address === wanted);
          const { items, pagination } = paginate(all, parsePageRequest(request.query));
          return { status: 200, body: { ip_addresses: items, pagination } };
        },
      },
    },
  ];
}
