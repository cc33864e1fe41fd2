import type { Log } from '../logger.ts';
import type { ErasedUsers } from './erased-users.ts';
import type { ConnectMetrics } from './connect-metrics.ts';
import { MxError } from '../mx/errors.ts';
import type { MdxRealtimeClient } from '../mx/mdx-realtime.ts';
import type { MxRequestOptions } from '../mx/transport.ts';

export interface MxUsersDeps {
  realtime: Pick<MdxRealtimeClient, 'createUser'>;
  /** Read fresh before a user is made: an erased user is never made at MX again. */
  erased: Pick<ErasedUsers, 'refuseErased'>;
  log: Log;
  metrics: ConnectMetrics;
}

/**
 * Users at MX, made when a call first gets MX's 404 for one; the call then runs again. Concurrent calls in a container
 * share one creation; containers racing for one new user each ask, and MX's 409 to all but the first counts as made.
 */
export class MxUsers {
  readonly #creating = new Map<string, Promise<void>>();

  constructor(private readonly deps: MxUsersDeps) {}

  /** `call` for the user, made at MX first if needed; every MX call shares the deadline in `options`. */
  async withUser<T>(userId: string, call: (options: MxRequestOptions) => Promise<T>, options: MxRequestOptions): Promise<T> {
    try {
      return await call(options);
    } catch (error) {
      if (!(error instanceof MxError && error.code === 'MX_NOT_FOUND')) throw error;
      await this.#create(userId, options);
      return call(options);
    }
  }

  #create(userId: string, options: MxRequestOptions): Promise<void> {
    let creating = this.#creating.get(userId);
    if (!creating) {
      creating = this.#createAtMx(userId, options).finally(() => this.#creating.delete(userId));
      this.#creating.set(userId, creating);
    }
    return creating;
  }

  async #createAtMx(userId: string, options: MxRequestOptions): Promise<void> {
    const { realtime, erased, log, metrics } = this.deps;
    try {
      await erased.refuseErased(userId, { fresh: true });
    } catch (error) {
      metrics.add('ErasedUserRefusals', 1, { at: 'mx_user' });
      log.info('erased user not made at MX', { user_id: userId });
      throw error;
    }
    try {
      const created = await realtime.createUser(userId, options);
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
