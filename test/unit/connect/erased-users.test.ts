import { describe, expect, it } from 'vitest';
import { ERASED_USERS_CACHE_TTL_MS, ErasedUsers } from '../../../lib/connect/erased-users.ts';
import { MxUsers } from '../../../lib/connect/mx-users.ts';
import { ManualClock } from '../../../lib/clock.ts';
import { UserErasedError } from '../../../lib/errors.ts';
import { silentLog } from '../../../lib/logger.ts';
import { MxError } from '../../../lib/mx/errors.ts';

/** Two containers over one table of tombstones, on one clock. */
function world() {
  const clock = new ManualClock();
  const tombstones = new Set<string>();
  let reads = 0;
  const repository = {
    put: async (userId: string) => void tombstones.add(userId),
    has: async (userId: string) => (reads++, tombstones.has(userId)),
  };
  return { clock, reads: () => reads, container: () => new ErasedUsers(repository, clock) };
}

describe('ErasedUsers', () => {
  it('refuses an erased user at once where it was erased, and in every other container within the cache TTL', async () => {
    const { clock, container } = world();
    const here = container();
    const there = container();
    await there.refuseErased('dave'); // served, and remembered as not erased
    await here.erase('dave');
    await expect(here.refuseErased('dave')).rejects.toBeInstanceOf(UserErasedError);
    clock.advance(ERASED_USERS_CACHE_TTL_MS - 1);
    await expect(there.refuseErased('dave')).resolves.toBeUndefined();
    // A fresh look (before a user is made at MX) is never answered from the cache.
    await expect(there.refuseErased('dave', { fresh: true })).rejects.toBeInstanceOf(UserErasedError);
    const elsewhere = container();
    await elsewhere.refuseErased('erin');
    await here.erase('erin');
    clock.advance(ERASED_USERS_CACHE_TTL_MS);
    await expect(elsewhere.refuseErased('erin')).rejects.toBeInstanceOf(UserErasedError);
  });

  it('an erasure made here while a lookup was under way stays known: the lookup’s stale answer does not undo it', async () => {
    const clock = new ManualClock();
    let answer!: (erased: boolean) => void;
    const users = new ErasedUsers(
      { put: async () => {}, has: () => new Promise<boolean>((resolve) => (answer = resolve)) },
      clock,
    );
    const lookup = users.refuseErased('dave');
    await users.erase('dave');
    answer(false); // read before the tombstone was written
    await expect(lookup).rejects.toBeInstanceOf(UserErasedError);
    await expect(users.refuseErased('dave')).rejects.toBeInstanceOf(UserErasedError);
  });

  it('reads the table once per user and container per TTL on the served path', async () => {
    const { clock, container, reads } = world();
    const users = container();
    for (let call = 0; call < 100; call++) await users.refuseErased('alice');
    expect(reads()).toBe(1);
    clock.advance(ERASED_USERS_CACHE_TTL_MS);
    await users.refuseErased('alice');
    expect(reads()).toBe(2);
  });

  it('MxUsers never makes an erased user at MX again: refused before MDX Real Time is called, and counted', async () => {
    const { container } = world();
    const erased = container();
    await erased.erase('dave');
    const made: string[] = [];
    const counted: unknown[] = [];
    const users = new MxUsers({
      realtime: { createUser: async (userId) => (made.push(userId), true) },
      erased,
      log: silentLog,
      metrics: { add: (name, _v, dimensions) => void counted.push([name, dimensions]) },
    });
    const notFound = new MxError('MX_NOT_FOUND', 'User not found.', { method: 'GET', route: '/api_token', status: 404 });
    await expect(users.withUser('dave', () => Promise.reject(notFound), {})).rejects.toBeInstanceOf(UserErasedError);
    expect(made).toEqual([]);
    expect(counted).toEqual([['ErasedUserRefusals', { at: 'mx_user' }]]);
  });
});
