import * as z from 'zod';
import type { MxCredentialsProvider } from './credentials.ts';
import type { MxRequestOptions, MxTransport } from './transport.ts';

export const SSO_MEDIA_TYPE = 'application/vnd.moneydesktop.sso.v3+json';

export const apiTokenResponse = z.object({ api_token: z.object({ token: z.string().min(1) }).loose() }).loose();

export interface SsoClientOptions {
  /** A transport on the SSO origin (not the data host's). */
  transport: MxTransport;
  credentials: MxCredentialsProvider;
}

/** MX's SSO API: the only place the partner API key (`MD-API-KEY`) is sent. */
export class SsoClient {
  readonly #transport: MxTransport;
  readonly #credentials: MxCredentialsProvider;

  constructor(options: SsoClientOptions) {
    this.#transport = options.transport;
    this.#credentials = options.credentials;
  }

  /** A one-time API token for the user (valid once, for 10 minutes): the input of `POST /sessions`. */
  async apiToken(userId: string, options: MxRequestOptions = {}): Promise<string> {
    const { clientId, apiKey } = await this.#credentials();
    const { body } = await this.#transport.request(
      {
        method: 'GET',
        route: '/{client_id}/users/{user_id}/api_token',
        params: { client_id: clientId, user_id: userId },
        headers: { Accept: SSO_MEDIA_TYPE, 'MD-API-KEY': apiKey },
        schema: apiTokenResponse,
      },
      options,
    );
    return body.api_token.token;
  }
}
