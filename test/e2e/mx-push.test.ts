import { setTimeout as delay } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import { createRelayClient, type RelayClient } from '@nexus-relay/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SIMULATOR_WEBHOOK_CREDENTIALS } from '../../infra/local/local-stack.ts';
import { localServicesConfig } from '../../infra/local/local-services.ts';
import { relayOf } from '../../infra/local/relay.ts';
import { MX_DAILY_CADENCE_MS } from '../../lib/aggregation/reconcile-turn.ts';
import { ManualClock } from '../../lib/clock.ts';
import { startStackProcess, type StackProcess } from '../support/stack-process.ts';
import { startWebhookReceiver } from '../support/webhook-receiver.ts';

/**
 * MX's push fast path over HTTP: the simulator POSTs MX-style webhooks to `/mx/webhooks` when an aggregation ends,
 * which sends the job an immediate poll. Lag is measured from the simulator's finish (`aggregated_at` + duration)
 * to the client app's receipt of the terminal event.
 */
const JOBS = 20;
const DURATION_MS = 5_000;
const { MX_WEBHOOK_USERNAME: username, MX_WEBHOOK_PASSWORD: password } = SIMULATOR_WEBHOOK_CREDENTIALS;

let stack: StackProcess;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
/** When each job's terminal event reached the client app. */
const terminalArrivals = new Map<string, number>();

async function call(url: string, init: { method: string; body?: unknown; headers?: Record<string, string> }) {
  const response = await fetch(url, {
    method: init.method,
    headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

/** The client app's side goes through the client kit; MX's side (`/mx/webhooks`) is MX's own HTTP call. */
let relay: RelayClient;

async function sim(method: string, path: string, body?: unknown) {
  const response = await call(`${stack.simulatorUrl}${path}`, { method, body });
  expect(response.status, `simulator ${method} ${path}`).toBeLessThan(300);
  return response.body;
}

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
const pushToGateway = (body: unknown, authorization?: string) =>
  call(`${stack.url}/mx/webhooks`, {
    method: 'POST',
    body,
    headers: authorization === undefined ? {} : { authorization },
  });

async function startJob(durationMs: number) {
  const userId = `user-${randomUUID().slice(0, 8)}`;
  const { member } = await sim('POST', '/_sim/members', {
    user_id: userId,
    aggregation: { duration_ms: durationMs, final_status: 'CONNECTED' },
  });
  const job = await relay.members.refresh({ user_id: userId, member_guid: member.guid });
  return { memberGuid: member.guid as string, jobId: job.id };
}

/** Jobs start this far apart, as refreshes arrive in life: otherwise all JOBS finish in the same instant and the
 * lag measured is one process working through a burst, not the push path. */
const ARRIVAL_SPACING_MS = 150;

/** Runs JOBS 5-second aggregations; the lag of each terminal event behind the simulator's finish. */
async function terminalLags(): Promise<number[]> {
  const jobs = await Promise.all(
    Array.from({ length: JOBS }, (_, i) => delay(i * ARRIVAL_SPACING_MS).then(() => startJob(DURATION_MS))),
  );
  return Promise.all(
    jobs.map(async ({ memberGuid, jobId }) => {
      const [terminal] = await receiver.waitFor((e) => e.data.job?.id === jobId && e.type !== 'aggregation.started', 1, 20_000);
      expect(terminal!.type).toBe('aggregation.succeeded');
      const { member } = await sim('GET', `/_sim/members/${memberGuid}`);
      return terminalArrivals.get(jobId)! - (Date.parse(member.aggregated_at) + DURATION_MS);
    }),
  );
}

function summary(lags: number[]) {
  const sorted = [...lags].sort((a, b) => a - b);
  const median = (sorted[(sorted.length - 1) >> 1]! + sorted[sorted.length >> 1]!) / 2;
  const p95 = sorted[Math.ceil(0.95 * sorted.length) - 1]!;
  return { median, p95, max: sorted.at(-1)! };
}

const readsOf = async (memberGuid: string) =>
  ((await sim('GET', '/_sim/stats')).paths as string[]).filter((path) => path === `/members/${memberGuid}`).length;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  receiver.respondWith((event) => {
    if (event.type.startsWith('aggregation.') && event.type !== 'aggregation.started')
      terminalArrivals.set(event.data.job.id, Date.now());
    return 204;
  });
  directory = mkdtempSync(join(tmpdir(), 'nexus-relay-push-'));
  stackFile = join(directory, 'stack.json');
  stack = await startStackProcess({ NEXUS_RELAY_STACK_FILE: stackFile });
  relay = createRelayClient({ baseUrl: stack.url, apiKey: stack.apiKey });
  receiver.useSecret((await relay.webhooks.create({ url: receiver.url })).secret);
}, 60_000);

afterAll(async () => {
  await receiver?.close();
  await stack?.interrupt();
  if (directory) rmSync(directory, { recursive: true, force: true });
});

let directory: string | undefined;
let stackFile: string;

describe('MX push', () => {
  it('with MX’s webhooks off, the reconcile finds the aggregation MX ran (trigger mx)', async () => {
    await sim('POST', '/_sim/webhooks', {});
    const userId = `user-${randomUUID().slice(0, 8)}`;
    const { member } = await sim('POST', '/_sim/members', {
      user_id: userId,
      aggregation: { duration_ms: 300, final_status: 'CONNECTED' },
    });
    const first = await relay.members.refresh({ user_id: userId, member_guid: member.guid });
    await receiver.waitFor((e) => e.type === 'aggregation.succeeded' && e.data.job?.id === first.id);
    await sim('POST', `/_sim/members/${member.guid}/background_aggregation`, {});
    await expect.poll(async () => (await sim('GET', `/_sim/members/${member.guid}`)).member.is_being_aggregated).toBe(false);

    // npm start's dispatcher runs on the system clock, hours before this user's turn: a dispatcher of the same tables
    // and queues (the stack file names them), on a clock two of the reconcile's windows on (MX's day
    // plus RECONCILE_INTERVAL_MINUTES: no push counted within one before it, so webhooks look off), sends the user. First in this file: the only user on the schedule, its read is not
    // spread behind others'.
    const described = JSON.parse(readFileSync(stackFile, 'utf8'));
    const engines = {
      tableName: described.dynamodb.tableName,
      dynamoDbEndpoint: described.dynamodb.endpoint,
      sqsEndpoint: described.queues.endpoint,
      queueUrls: described.queues.urls,
      deadLetterQueueUrls: described.queues.deadLetterUrls,
    };
    const clock = new ManualClock(Date.now() + 2 * (MX_DAILY_CADENCE_MS + 6 * 3600_000) + 60_000);
    const { dispatcher } = relayOf(localServicesConfig(engines, stack.simulatorUrl), { clock }).reconcileDispatch;
    expect((await dispatcher.dispatch()).sent).toBeGreaterThanOrEqual(1);
    const [ended] = await receiver.waitFor(
      (e) => e.type === 'aggregation.succeeded' && e.data.job?.user_id === userId && e.data.job?.trigger === 'mx',
      1,
      20_000,
    );
    expect(ended!.verified).toBe(true);
    expect(ended!.data.job).toMatchObject({ member_guid: member.guid, mx_aggregated: true });
  }, 40_000);

  // How soon (MX end → the app's receipt) is a speed target: measured by `npm run bench -- mx-started`, not asserted here.
  it(`on: MX pushes the end of each of ${JOBS} aggregations and each reaches the app`, async () => {
    const on = await sim('POST', '/_sim/webhooks', { url: `${stack.url}/mx/webhooks`, username, password });
    expect(on.webhooks).toEqual({ url: `${stack.url}/mx/webhooks`, username, mode: 'always' });

    const lags = await terminalLags();
    console.log(`MX push on: terminal lag over ${JOBS} jobs (ms)`, summary(lags));
    expect(lags).toHaveLength(JOBS);
    const { attempts } = await sim('GET', '/_sim/webhooks');
    const delivered = attempts.filter(
      (a: { type: string; outcome: string }) => a.type === 'AGGREGATION' && a.outcome === 'delivered',
    );
    expect(delivered).toHaveLength(JOBS);
  }, 25_000);

  it('off: the poll loop still ends every job', async () => {
    expect((await sim('POST', '/_sim/webhooks', {})).webhooks).toBeNull();
    const attemptsBefore = (await sim('GET', '/_sim/webhooks')).attempts.length;

    const lags = await terminalLags();
    console.log(`MX push off (poll loop): terminal lag over ${JOBS} jobs (ms)`, summary(lags));
    expect(lags).toHaveLength(JOBS);
    expect((await sim('GET', '/_sim/webhooks')).attempts).toHaveLength(attemptsBefore);
  }, 25_000);

  it('a forged or unauthenticated push → 401 and no poll; the genuine one polls at once; junk → 204', async () => {
    const { memberGuid } = await startJob(60_000);
    // The refresh read the member once before asking MX to aggregate it (a member the relay had not seen: its use cases).
    const before = await readsOf(memberGuid);
    const payload = { type: 'AGGREGATION', action: 'member_data_updated', member_guid: memberGuid };

    for (const authorization of [
      undefined,
      basic(username, 'not-the-password'),
      basic('someone-else', password),
      `Bearer ${stack.apiKey}`,
      'Basic %%%',
    ]) {
      const refused = await pushToGateway(payload, authorization);
      expect(refused.status, String(authorization)).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Basic realm="mx-webhooks"');
      expect(refused.headers.get('content-type')).toBe('application/problem+json');
      expect(refused.body).toMatchObject({ status: 401, code: 'unauthorized' });
    }
    // The loop's first poll is 3 s after the refresh; an immediate poll would have read the member by now.
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(await readsOf(memberGuid)).toBe(before);

    const accepted = await pushToGateway(payload, basic(username, password));
    expect(accepted.status).toBe(204);
    await expect.poll(() => readsOf(memberGuid), { timeout: 1_000, interval: 50 }).toBe(before + 1);

    for (const junk of ['not json', { type: 'BALANCE', member_guid: memberGuid }, { type: 'AGGREGATION', member_guid: null }]) {
      expect((await pushToGateway(junk, basic(username, password))).status).toBe(204);
    }
  });

  it('an aggregation MX runs in the background reaches the app as aggregation.succeeded (trigger mx_background), with the sync hint', async () => {
    await sim('POST', '/_sim/webhooks', { url: `${stack.url}/mx/webhooks`, username, password });
    const userId = `user-${randomUUID().slice(0, 8)}`;
    const { member } = await sim('POST', '/_sim/members', {
      user_id: userId,
      aggregation: { duration_ms: 300, final_status: 'CONNECTED', transactions: { add: 2, update: 0 } },
    });
    // The app follows the user's transactions; the relay has followed the member once (so it knows MX's user guid).
    for await (const page of relay.transactions.sync({ user_id: userId })) void page;
    const first = await relay.members.refresh({ user_id: userId, member_guid: member.guid });
    await receiver.waitFor((e) => e.type === 'aggregation.succeeded' && e.data.job?.id === first.id);

    await sim('POST', `/_sim/members/${member.guid}/background_aggregation`, {});
    const [ended] = await receiver.waitFor(
      (e) => e.type === 'aggregation.succeeded' && e.data.job?.user_id === userId && e.data.job?.trigger === 'mx_background',
    );
    expect(ended!.verified).toBe(true);
    expect(ended!.data.job).toMatchObject({ member_guid: member.guid, mx_aggregated: true });
    const [hint] = await receiver.waitFor(
      (e) => e.type === 'transactions.sync_updates_available' && (e.data as { job_id?: string }).job_id === ended!.data.job.id,
    );
    expect(hint!.data).toMatchObject({ user_id: userId, member_guid: member.guid, added: 2 });
  }, 30_000);
});
