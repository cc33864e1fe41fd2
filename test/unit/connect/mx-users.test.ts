import { describe, expect, it } from 'vitest';
import { MxUsers } from '../../../lib/connect/mx-users.ts';
import { silentLog } from '../../../lib/logger.ts';
import { Deadline, monotonicTimer } from '../../../lib/mx/deadline.ts';
import { MxError } from '../../../lib/mx/errors.ts';
import type { MxRequestOptions } from '../../../lib/mx/transport.ts';

const notFound = () => new MxError('MX_NOT_FOUND', 'User not found.', { method: 'POST', route: '/urls', status: 404 });

function setUp(createUser: (userId: string, options?: MxRequestOptions) => Promise<boolean>) {
  const counted: string[] = [];
  const users = new MxUsers({
    realtime: { createUser },
    erased: { refuseErased: async () => {} },
    log: silentLog,
    metrics: { add: (_name, _v, d) => counted.push((d as { outcome: string }).outcome) },
  });
  return { users, counted };
}

describe('MxUsers', () => {
  it('makes a user MX does not know once for concurrent calls, and every MX call shares the one deadline', async () => {
    const known = new Set<string>();
    const deadlinesSeen: (Deadline | undefined)[] = [];
    let creations = 0;
    const { users, counted } = setUp(async (userId, options) => {
      deadlinesSeen.push(options?.deadline);
      creations += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      known.add(userId);
      return true;
    });
    const deadline = new Deadline(monotonicTimer, 12_000);
    const call = async (options: MxRequestOptions) => {
      deadlinesSeen.push(options.deadline);
      if (!known.has('u1')) throw notFound();
      return 'url';
    };
    const answers = await Promise.all(Array.from({ length: 20 }, () => users.withUser('u1', call, { deadline })));
    expect(answers).toEqual(Array(20).fill('url'));
    expect(creations).toBe(1);
    expect(counted).toEqual(['created']);
    expect(deadlinesSeen.every((seen) => seen === deadline)).toBe(true);
  });

  it('leaves other failures alone, and a refused creation fails every waiter with its error', async () => {
    const refused = new MxError('MX_CREDENTIALS_REFUSED', 'no', { method: 'POST', route: '/users', status: 404 });
    const { users, counted } = setUp(async () => {
      throw refused;
    });
    const timeout = new MxError('MX_TIMEOUT', 'slow', { method: 'POST', route: '/urls' });
    await expect(users.withUser('u2', () => Promise.reject(timeout), {})).rejects.toBe(timeout);
    await expect(
      Promise.all([
        users.withUser('u3', () => Promise.reject(notFound()), {}),
        users.withUser('u3', () => Promise.reject(notFound()), {}),
      ]),
    ).rejects.toBe(refused);
    expect(counted).toEqual(['refused']);
  });
});
