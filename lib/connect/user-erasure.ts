import type { DigestKeys } from '../digest-keys.ts';
import { type EventSink, eventIds } from '../notify/events.ts';
import { type Clock, toIso } from '../clock.ts';
import type { Log } from '../logger.ts';
import type { MetricsSink } from '../metrics.ts';
import type { MdxRealtimeClient } from '../mx/mdx-realtime.ts';
import type { ErasedUsers } from './erased-users.ts';
import type { ErasedItems, UserDataRepository } from './user-data-repo.ts';

export interface UserErasureDeps {
  /** MDX Real Time, where MX deletes users. */
  realtime: Pick<MdxRealtimeClient, 'deleteUser'>;
  erased: Pick<ErasedUsers, 'erase'>;
  data: Pick<UserDataRepository, 'erase'>;
  events: EventSink;
  /** Key the digest of the user id its `user.deleted` id carries. */
  digests: () => Promise<DigestKeys>;
  clock: Clock;
  log: Log;
  metrics: MetricsSink;
}

/**
 * A user's request to be forgotten: the user's tombstone first (from then on nothing serves or makes the user again:
 * lib/connect/erased-users.ts), the user deleted at MX (its members and their data with it), everything the relay
 * holds of the user (lib/connect/user-data-repo.ts), then `user.deleted`. Every step is safe to run again: when MX
 * fails, the request is repeated (the erasure route serves an erased user).
 */
export class UserErasure {
  constructor(private readonly deps: UserErasureDeps) {}

  async erase(userId: string): Promise<ErasedItems & { mxUserDeleted: boolean }> {
    const { realtime, data, events, clock, log, metrics } = this.deps;
    await this.deps.erased.erase(userId);
    const mxUserDeleted = await realtime.deleteUser(userId, {});
    const erased = await data.erase(userId);
    const now = clock.now();
    await events.publish({
      id: eventIds.userDeleted((await this.deps.digests()).of('event user', userId)),
      type: 'user.deleted',
      timestamp: toIso(now),
      data: { user_id: userId, deleted_at: toIso(now) },
    });
    metrics.add('UsersErased', 1, { mx_user: mxUserDeleted ? 'deleted' : 'absent' });
    log.info('user erased', { mx_user_deleted: mxUserDeleted, ...erased });
    return { mxUserDeleted, ...erased };
  }
}
