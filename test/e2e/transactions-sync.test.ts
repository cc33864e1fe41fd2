import { mkdtempSync, rmSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRelayClient, type RelayClient } from '@nexus-relay/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli/cli-process.ts';
import { SIMULATOR_WEBHOOK_CREDENTIALS } from '../../infra/local/local-stack.ts';
import { startStackProcess, type StackProcess } from '../support/stack-process.ts';
import { startWebhookReceiver } from '../support/webhook-receiver.ts';

/**
 * Transactions sync as a client app uses it, on `npm start`, through the client kit's sync loop: full sync in small
 * pages, then two members aggregate (adding and updating transactions), a `transactions.sync_updates_available`
 * webhook arrives, signed, and the next sync returns exactly what changed.
 */
let stack: StackProcess;
let relay: RelayClient;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let webhookId: string;
let directory: string;
let stackFile: string;

async function call(url: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}
const sim = async (path: string, body?: unknown) =>
  (await call(`${stack.simulatorUrl}${path}`, body === undefined ? {} : { method: 'POST', body })).body;

async function syncAll(user: string, cursor?: string) {
  const pages = [];
  for await (const page of relay.transactions.sync({ user_id: user, cursor, count: 5 })) pages.push(page);
  expect(pages.some((page) => page.reset)).toBe(false);
  return {
    added: pages.flatMap((p) => p.added),
    modified: pages.flatMap((p) => p.modified),
    removed: pages.flatMap((p) => p.removed),
    cursor: pages.at(-1)!.next_cursor,
  };
}

const sorted = (items: { guid: string }[]) => items.map((t) => t.guid).sort();

/**
 * Syncs from `cursor` until `count` removals have come (or 20 s): no event announces what MX's webhooks or a member
 * deleted remove — a client's next sync finds it. The removals and the cursor to keep.
 */
async function syncUntilRemoved(user: string, cursor: string, count: number) {
  let next = await syncAll(user, cursor);
  const removed = [...next.removed];
  for (const started = Date.now(); removed.length < count && Date.now() - started < 20_000;) {
    await delay(200);
    next = await syncAll(user, next.cursor);
    removed.push(...next.removed);
  }
  return { removed, cursor: next.cursor };
}

async function refreshAndWait(user: string, member: string) {
  const job = await relay.members.refresh({ user_id: user, member_guid: member });
  await receiver.waitFor((e) => e.type === 'aggregation.succeeded' && e.data.job.id === job.id, 1, 30_000);
  return job.id;
}

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  directory = mkdtempSync(join(tmpdir(), 'nexus-relay-sync-'));
  stackFile = join(directory, 'stack.json');
  stack = await startStackProcess({ NEXUS_RELAY_STACK_FILE: stackFile });
  relay = createRelayClient({ baseUrl: stack.url, apiKey: stack.apiKey });
  const created = await relay.webhooks.create({ url: receiver.url });
  webhookId = created.id;
  receiver.useSecret(created.secret);
}, 60_000);

afterAll(async () => {
  await receiver?.close();
  await stack?.interrupt();
  if (directory) rmSync(directory, { recursive: true, force: true });
});

describe('transactions sync over HTTP', () => {
  it(
    'full sync, then exactly what two members added and updated, announced by a signed webhook; then nothing',
    { timeout: 90_000 },
    async () => {
      const user = 'e2e-sync-user';
      const script = (add: number, update: number) => ({
        duration_ms: 1000,
        final_status: 'CONNECTED',
        transactions: { add, update },
      });
      // Scripted members hold accounts and transactions of their own (here 6 and 3) before any aggregation.
      const a = (await sim('/_sim/members', { user_id: user, transactions: 6, aggregation: script(8, 0) })).member.guid;
      const b = (await sim('/_sim/members', { user_id: user, transactions: 3, aggregation: script(4, 0) })).member.guid;
      const accounts = await relay.accounts.list({ user_id: user }).toArray();
      expect(accounts.map((account) => [account.member_guid, account.name])).toEqual([
        [a, 'Everyday Checking'],
        [a, 'Rewards Visa'],
        [b, 'Everyday Checking'],
        [b, 'Rewards Visa'],
      ]);
      expect(await relay.transactions.list({ user_id: user }).toArray()).toHaveLength(9);
      await refreshAndWait(user, a);
      await refreshAndWait(user, b);

      const first = await syncAll(user);
      expect(sorted(first.added)).toEqual(sorted((await sim(`/_sim/users/${user}/transactions`)).transactions));
      expect(first.added).toHaveLength(9 + 12);

      await sim('/_sim/members', { user_id: user, member_guid: a, aggregation: script(2, 3) });
      await sim('/_sim/members', { user_id: user, member_guid: b, aggregation: script(1, 2) });
      const before = new Map<string, string>(
        (await sim(`/_sim/users/${user}/transactions`)).transactions.map((t: { guid: string; updated_at: string }) => [
          t.guid,
          t.updated_at,
        ]),
      );
      const [jobA, jobB] = await Promise.all([refreshAndWait(user, a), refreshAndWait(user, b)]);
      const after: { guid: string; updated_at: string }[] = (await sim(`/_sim/users/${user}/transactions`)).transactions;

      // Each aggregation that changed the user's transactions is announced (signed, in the delivery log).
      const announced = await receiver.waitFor((e) => e.type === 'transactions.sync_updates_available', 2, 30_000);
      expect(announced.every((e) => e.verified)).toBe(true);
      expect(announced.map((e) => (e.data as unknown as { job_id: string }).job_id).sort()).toEqual([jobA, jobB].sort());
      const log = await relay.webhooks.deliveries(webhookId).toArray();
      expect(log.filter((d) => d.event_type === 'transactions.sync_updates_available')).toHaveLength(2);

      const second = await syncAll(user, first.cursor);
      expect(sorted(second.added)).toEqual(sorted(after.filter((t) => !before.has(t.guid))));
      expect(sorted(second.modified)).toEqual(
        sorted(after.filter((t) => before.has(t.guid) && before.get(t.guid) !== t.updated_at)),
      );
      expect(second.added).toHaveLength(3);
      expect(second.modified).toHaveLength(5);

      const third = await syncAll(user, second.cursor);
      expect([third.added, third.modified, third.removed]).toEqual([[], [], []]);
    },
  );

  it(
    'a pending transaction MX posts (deleted, re-created POSTED) is removed in the next sync, the posted one linked to it',
    { timeout: 60_000 },
    async () => {
      const user = 'e2e-sync-pending';
      const script = (transactions: { add: number; update: number; post: number }) => ({ duration_ms: 500, transactions });
      const member = (
        await sim('/_sim/members', { user_id: user, transactions: 0, aggregation: script({ add: 2, update: 0, post: 0 }) })
      ).member.guid;
      await refreshAndWait(user, member);
      const first = await syncAll(user);
      const pending = first.added.filter((t) => t.status === 'PENDING');
      expect(pending).toHaveLength(2);

      await sim('/_sim/members', { user_id: user, member_guid: member, aggregation: script({ add: 0, update: 0, post: 1 }) });
      const job = await refreshAndWait(user, member);
      const [announced] = await receiver.waitFor(
        (e) => e.type === 'transactions.sync_updates_available' && (e.data as unknown as { job_id: string }).job_id === job,
        1,
        30_000,
      );
      expect(announced!.data).toMatchObject({ added: 1, modified: 0, removed: 1 });

      const next = await syncAll(user, first.cursor);
      expect(next.removed).toHaveLength(1);
      const [gone] = next.removed;
      expect(pending.map((t) => t.guid)).toContain(gone!.guid);
      const original = pending.find((t) => t.guid === gone!.guid)!;
      expect(next.added).toEqual([
        expect.objectContaining({
          status: 'POSTED',
          amount: original.amount,
          account_guid: original.account_guid,
          pending_transaction_guid: original.guid,
        }),
      ]);
      expect(next.modified).toEqual([]);
    },
  );

  it(
    "with MX's webhooks on: a member deleted takes its transactions out of the next sync; a posted pending one still linked",
    { timeout: 60_000 },
    async () => {
      const { MX_WEBHOOK_USERNAME: username, MX_WEBHOOK_PASSWORD: password } = SIMULATOR_WEBHOOK_CREDENTIALS;
      await sim('/_sim/webhooks', { url: `${stack.url}/mx/webhooks`, username, password });
      try {
        const user = 'e2e-sync-pushed';
        const script = (post: number) => ({ duration_ms: 500, transactions: { add: post ? 0 : 1, update: 0, post } });
        const kept = (await sim('/_sim/members', { user_id: user, transactions: 0, aggregation: script(0) })).member.guid;
        const gone = (await sim('/_sim/members', { user_id: user, transactions: 3 })).member.guid;
        await refreshAndWait(user, kept);
        const first = await syncAll(user);
        expect(first.added).toHaveLength(4);

        // Deleted through the relay: MX's MEMBER webhook takes the member's transactions out (no aggregation follows).
        await relay.members.delete({ user_id: user, member_guid: gone });
        const next = await syncUntilRemoved(user, first.cursor, 3);
        expect(sorted(next.removed)).toEqual(sorted(first.added.filter((t) => t.member_guid === gone)));

        // MX posts the pending one: its deletion pushed, then the aggregation's end; removed once, the posted one linked.
        const pending = first.added.find((t) => t.member_guid === kept)!;
        await sim('/_sim/members', { user_id: user, member_guid: kept, aggregation: script(1) });
        const job = await refreshAndWait(user, kept);
        await receiver.waitFor(
          (e) => e.type === 'transactions.sync_updates_available' && (e.data as unknown as { job_id: string }).job_id === job,
          1,
          30_000,
        );
        const after = await syncAll(user, next.cursor);
        expect(after.removed).toEqual([{ guid: pending.guid }]);
        expect(after.added).toEqual([expect.objectContaining({ status: 'POSTED', pending_transaction_guid: pending.guid })]);
      } finally {
        await sim('/_sim/webhooks', {});
      }
    },
  );

  it(
    "a member deleted through the relay takes its transactions out of the next syncs, MX's webhooks off",
    { timeout: 30_000 },
    async () => {
      const user = 'e2e-sync-member-gone';
      const kept = (await sim('/_sim/members', { user_id: user, transactions: 2 })).member.guid;
      const gone = (await sim('/_sim/members', { user_id: user, transactions: 3 })).member.guid;
      const first = await syncAll(user);
      expect(first.added).toHaveLength(5);
      await relay.members.delete({ user_id: user, member_guid: gone });
      const { removed } = await syncUntilRemoved(user, first.cursor, 3);
      expect(sorted(removed)).toEqual(sorted(first.added.filter((t) => t.member_guid === gone)));
      expect(first.added.filter((t) => t.member_guid === kept)).toHaveLength(2);
    },
  );

  it('historical_update_complete: false until an extended history of every member has ended, in the sync and its event', async () => {
    const user = 'e2e-sync-history';
    const member = (
      await sim('/_sim/members', { user_id: user, transactions: 2, aggregation: { duration_ms: 300, transactions: { add: 1 } } })
    ).member.guid;
    const first = await relay.transactions.sync({ user_id: user }).next();
    expect(first.value).toMatchObject({ historical_update_complete: false });

    const job = await relay.members.extendHistory({ user_id: user, member_guid: member });
    await receiver.waitFor((e) => e.type === 'history.succeeded' && e.data.job.id === job.id, 1, 30_000);
    const [announced] = await receiver.waitFor(
      (e) => e.type === 'transactions.sync_updates_available' && (e.data as unknown as { job_id: string }).job_id === job.id,
      1,
      30_000,
    );
    expect(announced!.data).toMatchObject({ added: 1, historical_update_complete: true });
    const next = await relay.transactions.sync({ user_id: user, cursor: first.value!.next_cursor }).next();
    expect(next.value).toMatchObject({ historical_update_complete: true });
  });

  it('answers bad input with problem+json naming the field, and keeps a user-bound key to its user', async () => {
    const { cursor } = await syncAll('e2e-sync-user');
    const tampered = `${cursor.slice(0, -2)}${cursor.endsWith('AA') ? 'BB' : 'AA'}`;
    const firstPage = (user: string, options: { cursor?: string; count?: number } = {}) =>
      relay.transactions.sync({ user_id: user, ...options }).next();
    await expect(firstPage('e2e-sync-user', { cursor: tampered })).rejects.toMatchObject({
      status: 400,
      code: 'invalid_cursor',
      field: 'cursor',
    });
    await sim('/_sim/members', { user_id: 'e2e-sync-other', aggregation: { duration_ms: 100 } });
    await expect(firstPage('e2e-sync-other', { cursor })).rejects.toMatchObject({ status: 400, code: 'invalid_cursor' });
    for (const count of [0, 501, 'ten' as unknown as number]) {
      await expect(firstPage('e2e-sync-user', { count })).rejects.toMatchObject({
        status: 400,
        code: 'validation_failed',
        field: 'count',
      });
    }
    // A user MX does not know is made at MX by its first session: its first sync has nothing yet.
    await expect(firstPage('e2e-sync-new-user')).resolves.toMatchObject({ value: { added: [], modified: [], removed: [] } });

    // The CLI pages through a sync and prints the cursor to keep.
    const viaCli = await runCli(['transactions', 'sync', 'e2e-sync-user', '--per-page', '4', '--json'], {
      env: { NEXUS_RELAY_STACK_FILE: stackFile },
    });
    expect(viaCli.code).toBe(0);
    const report = viaCli.json();
    expect(report.added.length).toBe((await sim('/_sim/users/e2e-sync-user/transactions')).transactions.length);
    expect(report.pages).toBeGreaterThan(1);
    const human = await runCli(['transactions', 'sync', 'e2e-sync-user', '--cursor', report.next_cursor], {
      env: { NEXUS_RELAY_STACK_FILE: stackFile },
    });
    expect(human.stdout).toContain('0 added, 0 modified, 0 removed');

    // A client app's key, bound to one user, syncs that user only.
    const created = await runCli(['keys', 'create', '--name', 'sync-client', '--user', 'e2e-sync-other', '--json'], {
      env: { NEXUS_RELAY_STACK_FILE: stackFile },
    });
    expect(created.code).toBe(0);
    const bound = createRelayClient({ baseUrl: stack.url, apiKey: created.json().key as string });
    const own = await bound.transactions.sync({ user_id: 'e2e-sync-other' }).next();
    expect(own.value).toMatchObject({ has_more: false });
    await expect(bound.transactions.sync({ user_id: 'e2e-sync-user' }).next()).rejects.toMatchObject({
      name: 'RelayAuthError',
      status: 403,
      code: 'forbidden',
    });
  });
});
