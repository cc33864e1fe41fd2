import { describe, expect, it } from 'vitest';
import type { LocalStack } from '../../../infra/local/local-stack.ts';
import { useLocalStack } from '../../support/local-stack.ts';

/**
 * A user MX does not know is made at MX the first time a session needs it (any read, refresh or member create), not
 * only by a widget URL: once, however many first requests arrive together.
 */
const USERS_ROUTE = 'POST /mdx-realtime/{client_id}/users';
let stack: LocalStack;

useLocalStack((started) => (stack = started));

async function get(path: string) {
  const response = await fetch(`${stack.url}${path}`, { headers: { authorization: `Bearer ${stack.apiKey}` } });
  return { status: response.status, body: (await response.json()) as any };
}

const usersMade = async (): Promise<number> =>
  ((await (await fetch(`${stack.simulatorUrl}/_sim/stats`)).json()) as { calls: Record<string, number> }).calls[USERS_ROUTE] ?? 0;

describe('a user MX does not know, on the session path', () => {
  it('is made at MX by its first read, which then answers (no members yet)', async () => {
    const before = await usersMade();
    const members = await get('/users/session-new-user/members');
    expect(members.status, JSON.stringify(members.body)).toBe(200);
    expect(members.body.members).toEqual([]);
    expect(await usersMade()).toBe(before + 1);
    expect((await fetch(`${stack.simulatorUrl}/_sim/users/session-new-user`)).status).toBe(200);
    // Known from then on: nothing more is made.
    expect((await get('/users/session-new-user/accounts')).status).toBe(200);
    expect(await usersMade()).toBe(before + 1);
  });

  it('is made once, however many first reads arrive together', async () => {
    const before = await usersMade();
    const answers = await Promise.all(Array.from({ length: 20 }, () => get('/users/session-crowd-user/members')));
    expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(200));
    expect(await usersMade()).toBe(before + 1);
  });
});
