import type { IncomingHttpHeaders } from 'node:http';
import type { Route } from './router.ts';

/** What an MX host speaks: the content type it answers with and the Accept values it honours. */
export interface MediaProfile {
  contentType: string;
  acceptable: readonly string[];
}

export const NEXUS_MEDIA_TYPE = 'application/vnd.mx.nexus.v1+json';

export const NEXUS_MEDIA: MediaProfile = { contentType: NEXUS_MEDIA_TYPE, acceptable: [NEXUS_MEDIA_TYPE, '*/*'] };

/** The SSO API also serves XML; the simulator speaks only its JSON flavour. */
export const SSO_MEDIA: MediaProfile = {
  contentType: 'application/vnd.moneydesktop.sso.v3+json',
  acceptable: ['application/vnd.moneydesktop.sso.v3+json', 'application/json', '*/*'],
};

/** MDX Real Time (users), JSON flavour. */
export const MDX_MEDIA: MediaProfile = {
  contentType: 'application/vnd.moneydesktop.mdx.v5+json',
  acceptable: ['application/vnd.moneydesktop.mdx.v5+json', 'application/json', '*/*'],
};

export interface MxRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface MxReply {
  status: number;
  /** Sent as JSON in the endpoint's media type; undefined: no body at all (a bare status). */
  body: unknown;
  /** Sent as it is instead, in its own content type (a dialect's XML). */
  raw?: { contentType: string; text: string };
}

export interface MxEndpoint {
  media: MediaProfile;
  handle(request: MxRequest): MxReply;
}

export type MxRoute = Route<MxEndpoint>;
