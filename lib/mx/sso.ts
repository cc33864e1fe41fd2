import * as z from '../zod.ts';
import type { MxCredentialsProvider } from './credentials.ts';
import type { Deadline } from './deadline.ts';
import type { MxRequestOptions, MxTransport } from './transport.ts';
import type { MetricsSink } from '../metrics.ts';
import { MxError } from './errors.ts';

export const SSO_MEDIA_TYPE = 'application/vnd.moneydesktop.sso.v3+json';

export const apiTokenResponse = z.onFirstUse(() =>
  z.looseObject({ api_token: z.looseObject({ token: z.string().check(z.minLength(1)) }) }),
);

export interface SsoClientOptions {
  /** A transport on the SSO origin (not the data host's). */
  transport: MxTransport;
  credentials: MxCredentialsProvider;
  metrics: MetricsSink;
}

/** MX's SSO API token route: its pages show the format suffix (`api_token.json` / `.xml`). */
export const API_TOKEN_ROUTE = '/{client_id}/users/{user_id}/api_token.json';
/** SSO API v3 "Get Widget URL With Configuration Options". */
export const WIDGET_URL_ROUTE = '/{client_id}/users/{user_id}/urls.json';
/** SSO API v3 create user. */
export const USERS_ROUTE = '/{client_id}/users.json';
/** SSO API v3 delete user. */
export const USER_ROUTE = '/{client_id}/users/{user_id}.json';

export const widgetUrlResponse = z.onFirstUse(() =>
  z.looseObject({
    url: z.looseObject({ url: z.string().check(z.minLength(1)), type: z.string(), user_id: z.string() }),
  }),
);

/** A widget URL as MX answers it: single-use, for ten minutes. */
export type MxWidgetUrl = z.output<ReturnType<typeof widgetUrlResponse>>['url'];

/** MX's SSO API: the only place the partner API key (`MD-API-KEY`) is sent. */
export class SsoClient {
  readonly #transport: MxTransport;
  readonly #credentials: MxCredentialsProvider;
  readonly #metrics: MetricsSink;

  constructor(options: SsoClientOptions) {
    this.#transport = options.transport;
    this.#credentials = options.credentials;
    this.#metrics = options.metrics;
  }

  /**
   * A deadline of one MX call's whole budget (MX_RETRY_BUDGET_MS), for operations of several SSO calls (a widget URL
   * for a user MX does not know yet: the URL, the user, the URL again) to share, so they end within the function's
   * timeout.
   */
  newDeadline(): Deadline {
    return this.#transport.newDeadline();
  }

  /** A one-time API token for the user (valid once, for 10 minutes): the input of `POST /sessions`. */
  async apiToken(userId: string, options: MxRequestOptions = {}): Promise<string> {
    const { clientId, apiKey } = await this.#credentials();
    const { body } = await this.#partnerCall(API_TOKEN_ROUTE, 'GET', () =>
      this.#transport.request(
        {
          method: 'GET',
          route: API_TOKEN_ROUTE,
          kind: 'sso',
          params: { client_id: clientId, user_id: userId },
          headers: { Accept: SSO_MEDIA_TYPE, 'MD-API-KEY': apiKey },
          schema: apiTokenResponse(),
        },
        options,
      ),
    );
    return body.api_token.token;
  }

  /**
   * A widget URL for the user (SSO API v3, with configuration options): `url` is MX's `url` object, `type` first.
   * The URL embeds a token: a credential, used once within ten minutes. Not retried after a lost answer (a second
   * call would make a second URL, harmless but not idempotent).
   */
  async widgetUrl(userId: string, url: Record<string, unknown>, options: MxRequestOptions = {}): Promise<MxWidgetUrl> {
    const { clientId, apiKey } = await this.#credentials();
    const { body } = await this.#partnerCall(WIDGET_URL_ROUTE, 'POST', () =>
      this.#transport.request(
        {
          method: 'POST',
          route: WIDGET_URL_ROUTE,
          kind: 'sso',
          params: { client_id: clientId, user_id: userId },
          headers: { Accept: SSO_MEDIA_TYPE, 'Content-Type': SSO_MEDIA_TYPE, 'MD-API-KEY': apiKey },
          body: { url },
          schema: widgetUrlResponse(),
          idempotent: false,
        },
        options,
      ),
    );
    return body.url;
  }

  /**
   * Creates the user at MX with `id` = the relay's user id; false when MX already has it (409). A 404 here is the
   * partner's client id, not the user: reported as MX_CREDENTIALS_REFUSED, as SSO's 401/403 are.
   */
  async createUser(userId: string, options: MxRequestOptions = {}): Promise<boolean> {
    const { clientId, apiKey } = await this.#credentials();
    try {
      await this.#partnerCall(USERS_ROUTE, 'POST', () =>
        this.#transport.request(
          {
            method: 'POST',
            route: USERS_ROUTE,
            kind: 'sso',
            params: { client_id: clientId },
            headers: { Accept: SSO_MEDIA_TYPE, 'Content-Type': SSO_MEDIA_TYPE, 'MD-API-KEY': apiKey },
            body: { user: { id: userId } },
            // A lost answer is retried: a user made by the first attempt is a 409 to the second, which is an answer.
            idempotent: true,
          },
          options,
        ),
      );
      return true;
    } catch (error) {
      if (error instanceof MxError && error.status === 409) return false;
      if (error instanceof MxError && error.status === 404) {
        this.#metrics.add('MxCredentialsRefused', 1, {});
        throw new MxError('MX_CREDENTIALS_REFUSED', "MX's SSO API does not know the partner's client id (HTTP 404)", {
          method: 'POST',
          route: USERS_ROUTE,
          status: 404,
          mxCode: error.mxCode,
          cause: error,
        });
      }
      throw error;
    }
  }

  /**
   * Deletes the user at MX, with its members and their data; false when MX has no such user (already deleted, or
   * never made): erasure goes on either way.
   */
  async deleteUser(userId: string, options: MxRequestOptions = {}): Promise<boolean> {
    const { clientId, apiKey } = await this.#credentials();
    try {
      await this.#partnerCall(USER_ROUTE, 'DELETE', () =>
        this.#transport.request(
          {
            method: 'DELETE',
            route: USER_ROUTE,
            kind: 'sso',
            params: { client_id: clientId, user_id: userId },
            headers: { Accept: SSO_MEDIA_TYPE, 'MD-API-KEY': apiKey },
            // A lost answer is retried: a user deleted by the first attempt is a 404 to the second, which is an answer.
            idempotent: true,
          },
          options,
        ),
      );
      return true;
    } catch (error) {
      if (error instanceof MxError && error.status === 404) return false;
      throw error;
    }
  }

  /** `call`, with SSO's 401/403 told apart: the partner's key, client id or IP allow-list, not the user — no retry fixes it. */
  async #partnerCall<T>(route: string, method: 'GET' | 'POST' | 'DELETE', call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof MxError && (error.status === 401 || error.status === 403)) {
        this.#metrics.add('MxCredentialsRefused', 1, {});
        throw new MxError('MX_CREDENTIALS_REFUSED', `MX's SSO API refused the partner credentials (HTTP ${error.status})`, {
          method,
          route,
          status: error.status,
          mxCode: error.mxCode,
          cause: error,
        });
      }
      throw error;
    }
  }
}
