import type { MxMetrics } from './mx-metrics.ts';
import type { MxCredentialsProvider } from './credentials.ts';
import { MxError } from './errors.ts';
import { credentialsRefused, partnerCall } from './partner-call.ts';
import type { MxRequestOptions, MxTransport } from './transport.ts';

/** MDX Real Time's JSON media type (v5), both ways. */
export const MDX_MEDIA_TYPE = 'application/vnd.moneydesktop.mdx.v5+json';
/** MDX Real Time create user. */
export const MDX_USERS_ROUTE = '/{client_id}/users.json';
/** By MDX's CRUD convention; the `.json` path is unconfirmed (MX's path-core sends `.xml`). */
export const MDX_USER_ROUTE = '/{client_id}/users/{user_id}.json';

const API = 'MDX Real Time API';

export interface MdxRealtimeClientOptions {
  /** On MDX Real Time's base, without the client id. */
  transport: MxTransport;
  credentials: MxCredentialsProvider;
  metrics: MxMetrics;
}

/**
 * MX's MDX Real Time API, where MX requires users be made and deleted. The user's `id` is the relay's user id.
 *
 * @example
 * const created = await realtime.createUser('alice'); // false: MX had the user already (409)
 */
export class MdxRealtimeClient {
  readonly #transport: MxTransport;
  readonly #credentials: MxCredentialsProvider;
  readonly #metrics: MxMetrics;

  constructor(options: MdxRealtimeClientOptions) {
    this.#transport = options.transport;
    this.#credentials = options.credentials;
    this.#metrics = options.metrics;
  }

  /** False when MX already has the user (409). A 404 means MX does not know the client id: MX_CREDENTIALS_REFUSED. */
  async createUser(userId: string, options: MxRequestOptions = {}): Promise<boolean> {
    const { clientId, apiKey } = await this.#credentials();
    const site = { route: MDX_USERS_ROUTE, method: 'POST' } as const;
    try {
      await partnerCall(API, site, this.#metrics, () =>
        this.#transport.request(
          {
            ...site,
            kind: 'users',
            params: { client_id: clientId },
            headers: { Accept: MDX_MEDIA_TYPE, 'Content-Type': MDX_MEDIA_TYPE, 'MD-API-KEY': apiKey },
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
        throw credentialsRefused(API, site, this.#metrics, error, "does not know the partner's client id");
      }
      throw error;
    }
  }

  /** Deletes the user at MX, with its members and data; false when MX has no such user (erasure goes on either way). */
  async deleteUser(userId: string, options: MxRequestOptions = {}): Promise<boolean> {
    const { clientId, apiKey } = await this.#credentials();
    const site = { route: MDX_USER_ROUTE, method: 'DELETE' } as const;
    try {
      await partnerCall(API, site, this.#metrics, () =>
        this.#transport.request(
          {
            ...site,
            kind: 'users',
            params: { client_id: clientId, user_id: userId },
            headers: { Accept: MDX_MEDIA_TYPE, 'MD-API-KEY': apiKey },
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
}
