import * as z from '../zod.ts';
import type { MxCredentialsProvider } from './credentials.ts';
import type { MxRequestOptions, MxTransport } from './transport.ts';
import { type MetricsSink, noMetrics } from '../metrics.ts';
import { MxError } from './errors.ts';

export const SSO_MEDIA_TYPE = 'application/vnd.moneydesktop.sso.v3+json';

export const apiTokenResponse = z.looseObject({ api_token: z.looseObject({ token: z.string().check(z.minLength(1)) }) });

export interface SsoClientOptions {
  /** A transport on the SSO origin (not the data host's). */
  transport: MxTransport;
  credentials: MxCredentialsProvider;
  metrics?: MetricsSink;
}

/** MX's SSO API token route: its pages show the format suffix (`api_token.json` / `.xml`). */
export const API_TOKEN_ROUTE = '/{client_id}/users/{user_id}/api_token.json';

/** MX's SSO API: the only place the partner API key (`MD-API-KEY`) is sent. */
export class SsoClient {
  readonly #transport: MxTransport;
  readonly #credentials: MxCredentialsProvider;
  readonly #metrics: MetricsSink;

  constructor(options: SsoClientOptions) {
    this.#transport = options.transport;
    this.#credentials = options.credentials;
    this.#metrics = options.metrics ?? noMetrics;
  }

  /** A one-time API token for the user (valid once, for 10 minutes): the input of `POST /sessions`. */
  async apiToken(userId: string, options: MxRequestOptions = {}): Promise<string> {
    const { clientId, apiKey } = await this.#credentials();
    try {
      const { body } = await this.#transport.request(
        {
          method: 'GET',
          route: API_TOKEN_ROUTE,
          params: { client_id: clientId, user_id: userId },
          headers: { Accept: SSO_MEDIA_TYPE, 'MD-API-KEY': apiKey },
          schema: apiTokenResponse,
        },
        options,
      );
      return body.api_token.token;
    } catch (error) {
      // 401/403 from SSO: the partner's key, client id or IP allow-list, not this user — no retry can fix it.
      if (error instanceof MxError && (error.status === 401 || error.status === 403)) {
        this.#metrics.add('MxCredentialsRefused', 1, {});
        throw new MxError('MX_CREDENTIALS_REFUSED', `MX's SSO API refused the partner credentials (HTTP ${error.status})`, {
          method: 'GET',
          route: API_TOKEN_ROUTE,
          status: error.status,
          mxCode: error.mxCode,
          cause: error,
        });
      }
      throw error;
    }
  }
}
