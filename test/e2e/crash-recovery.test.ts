import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startStackProcess, type StackProcess } from '../support/stack-process.ts';
import { startWebhookReceiver } from '../support/webhook-receiver.ts';

/**
 * No webhook stranded: the relay is killed (SIGKILL, the whole `npm start` process group) while the terminal
 * webhooks of 24 jobs are in flight to a receiver that answers after 3 s, then started again on the same data
 * (`--persist`). The local SQS engine loses every message with the process, as a crash can lose any message: the
 * sweeper finds the deliveries in the table and sends them again. Every job's terminal event must reach the
 * receiver, duplicates only under the same webhook-id, and the delivery log must end with everything delivered.
 */
const JOBS = 24;
const dataDir = mkdtempSync(join(tmpdir(), 'nexus-relay-crash-'));
const env = {
  LOCAL_API_KEY: `nxr_crash_${randomUUID().replaceAll('-', '')}`,
  // The restarted stack's sweeper (every 60 s locally) takes a delivery this late as lost.
  DELIVERY_STALLED_AFTER_SECONDS: '10',
};
let stack: StackProcess | undefined;
const receiver = await startWebhookReceiver();

afterAll(async () => {
  await stack?.interrupt();
  await receiver.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(`${stack!.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${env.LOCAL_API_KEY}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  expect(response.status, `${method} ${path}: ${text}`).toBeLessThan(300);
  return text ? JSON.parse(text) : undefined;
}

async function simMember(userId: string): Promise<string> {
  const response = await fetch(`${stack!.simulatorUrl}/_sim/members`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user_id: userId, aggregation: { duration_ms: 1_000, final_status: 'CONNECTED' } }),
  });
  return ((await response.json()) as { member: { guid: string } }).member.guid;
}

const isTerminal = (type: string) => type !== 'aggregation.started';

it('every terminal webhook in flight when the relay is killed reaches the receiver after a restart', async () => {
  stack = await startStackProcess(env, 60_000, ['--persist', dataDir]);
  const { webhook } = await call('POST', '/webhooks', { url: receiver.url });
  receiver.useSecret(webhook.secret);
  // Slow enough that every terminal delivery is still waiting for its answer when the relay dies.
  receiver.respondWith(() => new Promise((resolve) => setTimeout(() => resolve(204), 3_000)));

  const userId = `crash-${randomUUID().slice(0, 8)}`;
  const jobIds: string[] = [];
  for (let i = 0; i < JOBS; i++) {
    const memberGuid = await simMember(userId);
    jobIds.push((await call('POST', `/users/${userId}/members/${memberGuid}/refresh`)).job.id);
  }
  const terminalArrived = () => new Set(receiver.events.filter((e) => isTerminal(e.type)).map((e) => e.data.job.id));
  // Kill as soon as the last job's terminal event is being delivered: it, and others, are answered 3 s later.
  await receiver.waitFor((event) => isTerminal(event.type), JOBS, 60_000);
  await stack.kill();
  const inFlightAtKill = receiver.events.length;

  stack = await startStackProcess(env, 60_000, ['--persist', dataDir]);
  receiver.respondWith(() => 204);
  await expect
    .poll(
      async () => {
        const { deliveries } = await call('GET', `/webhooks/${webhook.id}/deliveries?limit=100`);
        return (deliveries as { status: string }[]).filter((d) => d.status !== 'delivered').length;
      },
      { timeout: 150_000, interval: 2_000 },
    )
    .toBe(0);

  // Every job's terminal event arrived: 0 missing.
  expect([...terminalArrived()].sort()).toEqual([...jobIds].sort());
  // Duplicates only under the same webhook-id: one terminal webhook-id per job, one type per webhook-id.
  for (const jobId of jobIds) {
    const ids = new Set(receiver.events.filter((e) => e.data.job.id === jobId && isTerminal(e.type)).map((e) => e.id));
    expect([jobId, ids.size]).toEqual([jobId, 1]);
  }
  const { deliveries } = await call('GET', `/webhooks/${webhook.id}/deliveries?limit=100`);
  expect(deliveries).toHaveLength(JOBS * 2); // started + terminal per job
  expect(receiver.rejected).toEqual([]);
  console.info(
    `crash recovery: ${inFlightAtKill} webhooks received before the kill, ${receiver.events.length} in all ` +
      `(${receiver.events.length - JOBS * 2} duplicates, each under its original webhook-id)`,
  );
}, 240_000);
