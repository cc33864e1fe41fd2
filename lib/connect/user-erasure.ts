import type { DigestKeys } from '../digest-keys.ts';
import { eventIds } from '../events.ts';
import type { EventSink } from '../notify/events.ts';
import { type Clock, toIso } from '../clock.ts';
import type { Log } from '../logger.ts';
import type { ConnectMetrics } from './connect-metrics.ts';
import type { MdxRealtimeClient } from '../mx/mdx-realtime.ts';
import type { DelayedQueue } from '../queue/delayed-queue.ts';
import type { ErasureMessage } from '../queue/poll-message.ts';
import type { ErasedUsers } from './erased-users.ts';
import type { ErasuresRepository } from './erasures-repo.ts';
import type { UserDataRepository } from './user-data-repo.ts';

export interface UserErasureDeps {
  erased: Pick<ErasedUsers, 'erase'>;
  erasures: Pick<ErasuresRepository, 'begin'>;
  /** Where worker-poll takes each step (UserErasureSteps). */
  queue: Pick<DelayedQueue<ErasureMessage>, 'schedule'>;
  clock: Clock;
  log: Log;
  metrics: ConnectMetrics;
}

/**
 * A user's request to be forgotten: the tombstone first (from then on nothing serves or makes the user), then the first
 * step queued. Safe to repeat: an erasure under way is kept, and sent on again.
 */
export class UserErasure {
  constructor(private readonly deps: UserErasureDeps) {}

  async begin(userId: string): Promise<void> {
    const { erased, erasures, queue, clock, log, metrics } = this.deps;
    await erased.erase(userId);
    const now = clock.now();
    const erasure = await erasures.begin(userId, now);
    await queue.schedule({ erase: { user_id: userId }, due_at: now });
    metrics.add('Erasures', 1, { stage: erasure.startedAt === now ? 'begun' : 'repeated' });
    log.info('user erasure begun', { started_at: toIso(erasure.startedAt), deleted: erasure.deleted });
  }
}

export interface UserErasureStepsDeps {
  realtime: Pick<MdxRealtimeClient, 'deleteUser'>;
  erasures: Pick<ErasuresRepository, 'get' | 'noteStep' | 'end'>;
  data: Pick<UserDataRepository, 'eraseStep'>;
  events: EventSink;
  /** Key the user id digest in the `user.deleted` event's id. */
  digests: () => Promise<DigestKeys>;
  clock: Clock;
  log: Log;
  metrics: ConnectMetrics;
}

/**
 * An erasure's steps, one per queue message: the user deleted at MX, then the relay's data a bounded step at a time, then
 * `user.deleted`. Each step is safe to run again and reads what is left afresh, so a crashed step is simply retaken.
 */
export class UserErasureSteps {
  constructor(private readonly deps: UserErasureStepsDeps) {}

  /** `done` when the erasure has ended (or had, before this message). */
  async step(userId: string): Promise<'more' | 'done'> {
    const { realtime, erasures, data, events, clock, log, metrics } = this.deps;
    const erasure = await erasures.get(userId);
    if (!erasure) {
      log.info('erasure already ended');
      return 'done';
    }
    const mxUser = erasure.mxUser ?? ((await realtime.deleteUser(userId, {})) ? 'deleted' : 'absent');
    const { deleted, left } = await data.eraseStep(userId);
    const count = Object.values(deleted).reduce((sum, n) => sum + n, 0);
    await erasures.noteStep(userId, { deleted: count, ...(erasure.mxUser ? {} : { mxUser }) }, clock.now());
    metrics.add('ErasureSteps', 1, {});
    metrics.add('ErasedItems', count, {});
    log.info('erasure step', { ...deleted, left });
    if (left) return 'more';

    const now = clock.now();
    await events.publish({
      id: eventIds.userDeleted((await this.deps.digests()).of('event user', userId)),
      type: 'user.deleted',
      timestamp: toIso(now),
      data: { user_id: userId, deleted_at: toIso(now) },
    });
    await erasures.end(userId);
    metrics.add('UsersErased', 1, { mx_user: mxUser });
    metrics.add('ErasureDuration', now - erasure.startedAt, {});
    log.info('user erased', { mx_user: mxUser, deleted: erasure.deleted + count, duration_ms: now - erasure.startedAt });
    return 'done';
  }
}
