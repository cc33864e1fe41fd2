import type { Log } from '../logger.ts';
import type { MetricsSink } from '../metrics.ts';
import { MxError } from '../mx/errors.ts';
import type { SsoClient } from '../mx/sso.ts';

export interface MxUsersDeps {
  sso: Pick<SsoClient, 'createUser'>;
  log: Log;
  metrics: MetricsSink;
}

/**
 * Users at MX, made when the relay first needs one: a call for a user MX does not know (404) creates the user (`id` =
 * the relay's user id) and runs again. Concurrent calls for one new user in a container share one creation; a
 * creation another container made first is MX's 409, an answer like a creation.
 */
export class MxUsers {
  readonly #creating = new Map<string, Promise<void>>();

  constructor(private readonly deps: MxUsersDeps) {}

  /** `call` for the user, made at MX first when MX does not know it. */
  async withUser<T>(userId: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof MxError && error.code === 'MX_NOT_FOUND')) throw error;
      await this.#create(userId);
      return call();
    }
  }

  #create(userId: string): Promise<void> {
    let creating = this.#creating.get(userId);
    if (!creating) {
      creating = this.#createAtMx(userId).finally(() => this.#creating.delete(userId));
      this.#creating.set(userId, creating);
    }
    return creating;
  }

  async #createAtMx(userId: string): Promise<void> {
    const { sso, log, metrics } = this.deps;
    try {
      const created = await sso.createUser(userId);
      metrics.add('MxUserCreations', 1, { outcome: created ? 'created' : 'existed' });
      log.info('mx user created', { user_id: userId, outcome: created ? 'created' : 'existed' });
    } catch (error) {
      metrics.add('MxUserCreations', 1, { outcome: 'refused' });
      log.warn('mx user creation failed', {
        user_id: userId,
        error_code: error instanceof MxError ? error.code : 'unexpected',
        status: error instanceof MxError ? error.status : undefined,
      });
      throw error;
    }
  }
}
