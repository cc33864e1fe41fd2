import { describe, expect, it } from 'vitest';
import { startSimHarness } from './sim-harness.ts';

interface Listed {
  guid: string;
  member_guid: string;
  updated_at: string;
}

/** `aggregation.transactions: {add, update}`: what each successful run changes, read back as MX would serve it. */
describe('transactions changed by aggregations', () => {
  it('adds and updates the member’s transactions when a run ends CONNECTED, once per run; the control API lists them', async () => {
    const { control, putMember, openSession, nexus, clock } = await startSimHarness();
    const listed = async (user: string) =>
      ((await (await control(`/_sim/users/${user}/transactions`)).json()) as { transactions: Listed[] }).transactions;
    // No generated transactions (`transactions: 0`), so the lists hold exactly what the runs changed.
    const member = await putMember({
      user_id: 'ledger-user',
      transactions: 0,
      aggregation: { duration_ms: 1000, final_status: 'CONNECTED', transactions: { add: 3, update: 0 } },
    });
    const session = await openSession('ledger-user');
    expect(await listed('ledger-user')).toEqual([]);

    await nexus(`/members/${member.guid}/aggregate`, session);
    clock.advance(999);
    expect(await listed('ledger-user')).toHaveLength(0);
    clock.advance(1);
    const first = await listed('ledger-user');
    expect(first).toHaveLength(3);
    expect(new Set(first.map((t) => t.member_guid))).toEqual(new Set([member.guid]));
    clock.advance(60_000);
    expect(await listed('ledger-user')).toEqual(first); // applied once, whatever the reads after

    await putMember({
      user_id: 'ledger-user',
      member_guid: member.guid,
      aggregation: { duration_ms: 1000, final_status: 'CONNECTED', transactions: { add: 1, update: 2 } },
    });
    await nexus(`/members/${member.guid}/aggregate`, session);
    clock.advance(1000);
    const second = await listed('ledger-user');
    expect(second).toHaveLength(4);
    const updated = second.filter((t) => first.some((f) => f.guid === t.guid && f.updated_at !== t.updated_at));
    expect(updated).toHaveLength(2);

    // MX's own list answers the same, and updated_between finds exactly what changed that day.
    const day = new Date(clock.now()).toISOString().slice(0, 10);
    const between = (await (await nexus(`/transactions/updated_between/${day}/${day}?records_per_page=100`, session)).json()) as {
      transactions: { guid: string }[];
    };
    expect(between.transactions.map((t) => t.guid).sort()).toEqual(second.map((t) => t.guid).sort());
  });

  it('posts a pending transaction as MX most often does: deleted, and re-created POSTED under a new guid', async () => {
    const { putMember, openSession, nexus, clock } = await startSimHarness();
    const member = await putMember({
      user_id: 'ledger-post',
      transactions: 0,
      aggregation: { duration_ms: 1000, final_status: 'CONNECTED', transactions: { add: 2, update: 0 } },
    });
    const session = await openSession('ledger-post');
    const listed = async () =>
      (
        (await (await nexus('/transactions?records_per_page=100', session)).json()) as {
          transactions: (Listed & Record<string, unknown>)[];
        }
      ).transactions;
    await nexus(`/members/${member.guid}/aggregate`, session);
    clock.advance(1000);
    const pending = await listed();
    expect(pending.map((t) => t.status)).toEqual(['PENDING', 'PENDING']);

    await putMember({
      user_id: 'ledger-post',
      member_guid: member.guid,
      aggregation: { duration_ms: 1000, final_status: 'CONNECTED', transactions: { add: 0, update: 0, post: 1 } },
    });
    clock.advance(60_000);
    await nexus(`/members/${member.guid}/aggregate`, session);
    clock.advance(1000);
    const after = await listed();
    const oldest = [...pending].sort(
      (a, b) => String(a.transacted_at).localeCompare(String(b.transacted_at)) || a.guid.localeCompare(b.guid),
    )[0]!;
    expect(after.map((t) => t.guid)).not.toContain(oldest.guid);
    const posted = after.find((t) => !pending.some((p) => p.guid === t.guid))!;
    expect(posted).toMatchObject({
      status: 'POSTED',
      account_guid: oldest.account_guid,
      amount: oldest.amount,
      description: oldest.description,
      date: oldest.date,
      transacted_at: oldest.transacted_at,
      created_at: new Date(clock.now()).toISOString(),
    });

    // GET /transactions keeps the days from_date to to_date (by `date`); a bad day is MX's 400.
    const day = String(oldest.date);
    const inRange = (await (await nexus(`/transactions?from_date=${day}&to_date=${day}`, session)).json()) as {
      transactions: Listed[];
    };
    expect(inRange.transactions.map((t) => t.guid).sort()).toEqual(after.map((t) => t.guid).sort());
    const none = (await (await nexus('/transactions?from_date=2020-01-01&to_date=2020-01-02', session)).json()) as {
      transactions: Listed[];
    };
    expect(none.transactions).toEqual([]);
    expect((await nexus('/transactions?from_date=2020-02-30', session)).status).toBe(400);
  });

  it('changes nothing for a run that does not end CONNECTED', async () => {
    const { control, putMember, openSession, nexus, clock } = await startSimHarness();
    const member = await putMember({
      user_id: 'ledger-failed',
      transactions: 0,
      aggregation: { duration_ms: 1000, final_status: 'FAILED', transactions: { add: 3, update: 1 } },
    });
    await nexus(`/members/${member.guid}/aggregate`, await openSession('ledger-failed'));
    clock.advance(5000);
    expect(
      ((await (await control('/_sim/users/ledger-failed/transactions')).json()) as { transactions: [] }).transactions,
    ).toEqual([]);
  });
});
