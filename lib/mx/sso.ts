import * as z from '../zod.ts';
import type { MxCredentialsProvider } from './credentials.ts';
import type { Deadline } from './deadline.ts';
import type { MxRequestOptions, MxTransport } from './transport.ts';
import type { MxMetrics } from './mx-metrics.ts';
import { partnerCall } from './partner-call.ts';

export const SSO_MEDIA_TYPE = 'application/vnd.moneydesktop.sso.v3+json';

export const apiTokenResponse = z.looseObject({ api_token: z.looseObject({ token: z.string().check(z.minLength(1)) }) });

export interface SsoClientOptions {
  /** On the SSO origin, not the data host. */
  transport: MxTransport;
  credentials: MxCredentialsProvider;
  metrics: MxMetrics;
}

/** MX's SSO API token route. */
export const API_TOKEN_ROUTE = '/{client_id}/users/{user_id}/api_token.json';
/** SSO API v3 "Get Widget URL With Configuration Options". */
export const WIDGET_URL_ROUTE = '/{client_id}/users/{user_id}/urls.json';

export const widgetUrlResponse = z.looseObject({
  url: z.looseObject({ url: z.string().check(z.minLength(1)), type: z.string(), user_id: z.string() }),
});

/** A widget URL as MX answers it: single-use, for ten minutes. */
export type MxWidgetUrl = z.output<typeof widgetUrlResponse>['url'];

const API = 'SSO API';

/** MX's SSO API v3: API tokens (the first step to a session) and widget URLs. Users are made through MDX Real Time. */
export class SsoClient {
  readonly #transport: MxTransport;
  readonly #credentials: MxCredentialsProvider;
  readonly #metrics: MxMetrics;

  constructor(options: SsoClientOptions) {
    this.#transport = options.transport;
    this.#credentials = options.credentials;
    this.#metrics = options.metrics;
  }

  /** One call's whole budget, shared by an operation of several partner calls so it ends within the function's timeout. */
  newDeadline(): Deadline {
    return this.#transport.newDeadline();
  }

  /** A one-time API token for the user (valid 10 minutes): the input of `POST /sessions`. */
  async apiToken(userId: string, options: MxRequestOptions = {}): Promise<string> {
    const { clientId, apiKey } = await this.#credentials();
    const { body } = await partnerCall(API, { route: API_TOKEN_ROUTE, method: 'GET' }, this.#metrics, () =>
      this.#transport.request(
        {
          method: 'GET',
          route: API_TOKEN_ROUTE,
          kind: 'sso',
          params: { client_id: clientId, user_id: userId },
          headers: { Accept: SSO_MEDIA_TYPE, 'MD-API-KEY': apiKey },
          schema: apiTokenResponse,
        },
        options,
      ),
    );
    return body.api_token.token;
  }

  /**
   * A widget URL for the user; `url` is MX's `url` object. The URL embeds a one-time token: a credential. Not idempotent:
   * a retry after a lost answer would make a second URL.
   */
  async widgetUrl(userId: string, url: Record<string, unknown>, options: MxRequestOptions = {}): Promise<MxWidgetUrl> {
    const { clientId, apiKey } = await this.#credentials();
    const { body } = await partnerCall(API, { route: WIDGET_URL_ROUTE, method: 'POST' }, this.#metrics, () =>
      this.#transport.request(
        {
          method: 'POST',
          route: WIDGET_URL_ROUTE,
          kind: 'sso',
          params: { client_id: clientId, user_id: userId },
          headers: { Accept: SSO_MEDIA_TYPE, 'Content-Type': SSO_MEDIA_TYPE, 'MD-API-KEY': apiKey },
          body: { url },
          schema: widgetUrlResponse,
          idempotent: false,
        },
        options,
      ),
    );
    return body.url;
  }
}
