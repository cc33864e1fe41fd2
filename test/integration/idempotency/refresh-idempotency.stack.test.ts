import { describe, expect, it } from 'vitest';
import type { LocalStack } from '../../../infra/local/local-stack.ts';
import { useLocalStack } from '../../support/local-stack.ts';

/**
 * Idempotency-Key on the real refresh operations: the whole local stack (gateway → api-refresh → dynalite,
 * fauxqs, the MX simulator) driven over HTTP. Refresh coalescing alone already makes one MX call per active
 * member; these tests also tell the idempotency layer apart by what only it does: replayed answers are marked
 * and byte-identical, and a key reused for another member is refused.
 */
const USER = 'user-idempotency';
const AGGREGATE_CALLS = 'GET /members/{member_guid}/aggregate';

let stack: LocalStack;

useLocalStack((started) => (stack = started));

/** A simulator member whose aggregation runs a minute: it stays active throughout the test. */
async function newMember(): Promise<string> {
  const response = await fetch(`${stack.simulatorUrl}/_sim/members`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user_id: USER, aggregation: { duration_ms: 60_000, final_status: 'CONNECTED' } }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { member: { guid: string } }).member.guid;
}

async function aggregateCalls(): Promise<number> {
  const stats = (await (await fetch(`${stack.simulatorUrl}/_sim/stats`)).json()) as { calls: Record<string, number> };
  return stats.calls[AGGREGATE_CALLS] ?? 0;
}

async function refresh(memberGuid: string, key: string, route: 'refresh' | 'aggregate' = 'refresh') {
  const response = await fetch(`${stack.url}/users/${USER}/members/${memberGuid}/${route}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.apiKey}`, 'idempotency-key': key },
  });
  return {
    status: response.status,
    body: await response.text(),
    location: response.headers.get('location'),
    replayed: response.headers.get('idempotent-replayed') === 'true',
  };
}

const jobIdOf = (body: string): string => (JSON.parse(body) as { job: { id: string } }).job.id;

describe('POST …/refresh with Idempotency-Key', () => {
  it('50 concurrent identical requests: one execution, one MX aggregate call, 49 byte-identical replays', async () => {
    const member = await newMember();
    const callsBefore = await aggregateCalls();

    const answers = await Promise.all(Array.from({ length: 50 }, () => refresh(member, 'k1')));

    expect(answers.map((answer) => answer.status)).toEqual(Array(50).fill(202));
    const executed = answers.filter((answer) => !answer.replayed);
    expect(executed).toHaveLength(1);
    const first = executed[0]!;
    for (const replay of answers) {
      expect(replay.body).toBe(first.body);
      expect(replay.location).toBe(`/jobs/${jobIdOf(first.body)}`);
    }
    expect((await aggregateCalls()) - callsBefore).toBe(1);

    // Later duplicates are replays too, not joins of the active job.
    const later = await refresh(member, 'k1');
    expect(later).toMatchObject({ status: 202, body: first.body, replayed: true });
  });

  it('refuses the key for another member on the same route (keys are scoped by route key; the path is hashed)', async () => {
    const [member, other] = [await newMember(), await newMember()];
    const first = await refresh(member, 'k2');
    expect(first.status).toBe(202);
    const callsBefore = await aggregateCalls();

    const reused = await refresh(other, 'k2');
    expect(reused.status).toBe(422);
    expect(JSON.parse(reused.body)).toMatchObject({ code: 'idempotency_key_reused', status: 422 });
    expect(await aggregateCalls()).toBe(callsBefore);
  });

  it('keeps the key apart on the /aggregate alias: that route executes, and coalescing joins the active job', async () => {
    const member = await newMember();
    const viaRefresh = await refresh(member, 'k3');
    const callsBefore = await aggregateCalls();

    const viaAggregate = await refresh(member, 'k3', 'aggregate');
    expect(viaAggregate).toMatchObject({ status: 202, replayed: false });
    expect(jobIdOf(viaAggregate.body)).toBe(jobIdOf(viaRefresh.body));
    expect(await aggregateCalls()).toBe(callsBefore);
  });
});
