import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createRelayClient } from '@nexus-relay/client';
import { afterAll, expect, it } from 'vitest';
import { startEngines } from '../../infra/local/engines.ts';
import { createDocumentClient } from '../../lib/aws/dynamodb-client.ts';
import { keys, TABLE_KEYS } from '../../lib/store/table.ts';
import { deliveryKey } from '../../lib/notify/deliveries-repo.ts';
import { type MxSimulator, startMxSimulator } from '../../sim/server.ts';
import { startStackProcess, type StackProcess } from '../support/stack-process.ts';
import { startWebhookReceiver } from '../support/webhook-receiver.ts';

/**
 * Nothing stranded by a crash. The relay (`npm start`, the whole process group) is killed with SIGKILL while 20
 * aggregations are in flight and the terminal webhooks of 24 other jobs are on their way to a receiver that answers
 * after 3 s; it is started again on the same data (`--persist`). MX (the simulator, run by this test) lives on, as MX
 * would. The local SQS engine loses every message with the process, as a crash can lose any message: the sweeper
 * finds the jobs and the deliveries in the table and drives them again. Every job must end with exactly one
 * terminal webhook-id (duplicates only under it), and the delivery log must end with everything delivered.
 */
const SETTLED = 24; // terminal webhooks in flight at the kill
const IN_FLIGHT = 20; // aggregations still running at the kill
const dataDir = mkdtempSync(join(tmpdir(), 'nexus-relay-crash-'));
let simulator: MxSimulator;
let env: Record<string, string>;
let stack: StackProcess | undefined;
const receiver = await startWebhookReceiver();

afterAll(async () => {
  await stack?.interrupt();
  await receiver.close();
  await simulator?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The client app's calls, through the client kit (the same key and port before and after the restart). */
const relay = () => createRelayClient({ baseUrl: stack!.url, apiKey: env.LOCAL_API_KEY! });

async function refreshNew(userId: string, durationMs: number): Promise<string> {
  const response = await fetch(`${simulator.url}/_sim/members`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user_id: userId, aggregation: { duration_ms: durationMs, final_status: 'CONNECTED' } }),
  });
  const { member } = (await response.json()) as { member: { guid: string } };
  return (await relay().members.refresh({ user_id: userId, member_guid: member.guid })).id;
}

const isTerminal = (type: string) => type !== 'aggregation.started';

/**
 * The stored items of `msgIds`, whether GSI2 (due deliveries, the sweeper's worklist) holds their keys, and the
 * sweeper's marks in the webhooks' logs, read from the persisted data once the stack has stopped: the clue to a
 * delivery the sweeper never found.
 */
async function tableStateOf(webhookId: string, msgIds: string[]): Promise<string> {
  const engines = await startEngines({ persistDir: dataDir });
  try {
    const table = { client: createDocumentClient(engines), tableName: engines.tableName };
    const lines: string[] = [];
    for (const msgId of msgIds) {
      const { Item } = await table.client.send(
        new GetCommand({
          TableName: table.tableName,
          Key: deliveryKey({ id: webhookId }, msgId),
          ConsistentRead: true,
        }),
      );
      const { payload_z: _payload, attempts: _attempts, ...item } = Item ?? {};
      const indexed =
        typeof Item?.gsi2pk === 'string'
          ? (
              await table.client.send(
                new QueryCommand({
                  TableName: table.tableName,
                  IndexName: TABLE_KEYS.gsi2,
                  KeyConditionExpression: 'gsi2pk = :pk AND gsi2sk = :sk',
                  ExpressionAttributeValues: { ':pk': Item.gsi2pk, ':sk': Item.gsi2sk },
                }),
              )
            ).Items?.length
          : 'no due key';
      lines.push(`stored ${msgId}: ${JSON.stringify(item)}; GSI2 entries: ${indexed}`);
    }
    const { Item: marks } = await table.client.send(
      new GetCommand({ TableName: table.tableName, Key: keys.deliverySweepCheckpoints, ConsistentRead: true }),
    );
    lines.push(`sweeper's marks: ${JSON.stringify(marks?.checked_through)}`);
    return lines.join('\n');
  } finally {
    await engines.stop();
  }
}

it('every job ends with exactly one terminal webhook after a SIGKILL and a restart on the same data', async () => {
  simulator = await startMxSimulator({ port: 0 });
  env = {
    LOCAL_API_KEY: `nxr_crash_${randomUUID().replaceAll('-', '')}`,
    MX_BASE_URL: simulator.url,
    MX_SSO_BASE_URL: simulator.url,
    MX_REALTIME_BASE_URL: simulator.realtimeUrl,
    MX_CLIENT_ID: 'sim-client',
    MX_API_KEY: 'sim-api-key',
    MX_USE_CASES_ENABLED: 'true',
    // The restarted stack's sweeper, run every 5 s rather than every minute, takes a poll or a delivery this late as lost.
    POLL_STALLED_AFTER_SECONDS: '10',
    DELIVERY_STALLED_AFTER_SECONDS: '10',
    LOCAL_SWEEP_SECONDS: '5',
  };
  stack = await startStackProcess(env, 60_000, ['--persist', dataDir]);
  const webhook = await relay().webhooks.create({ url: receiver.url });
  receiver.useSecret(webhook.secret);
  // Slow enough that every terminal delivery is still waiting for its answer when the relay dies.
  receiver.respondWith(() => new Promise((resolve) => setTimeout(() => resolve(204), 3_000)));

  const userId = `crash-${randomUUID().slice(0, 8)}`;
  const settled: string[] = [];
  for (let i = 0; i < SETTLED; i++) settled.push(await refreshNew(userId, 1_000));
  const running: string[] = [];
  for (let i = 0; i < IN_FLIGHT; i++) running.push(await refreshNew(userId, 30_000));
  // Kill as soon as every short job's terminal event is being delivered: answered 3 s later, by then to nobody.
  await receiver.waitFor((event) => isTerminal(event.type) && settled.includes(event.data.job.id), SETTLED, 60_000);
  await stack.kill();
  const beforeKill = receiver.events.length;
  expect(receiver.events.filter((e) => isTerminal(e.type) && running.includes(e.data.job.id))).toEqual([]);

  const killed = stack;
  stack = await startStackProcess(env, 60_000, ['--persist', dataDir]);
  receiver.respondWith(() => 204);
  const jobIds = [...settled, ...running];
  try {
    await expect
      .poll(
        async () => {
          const deliveries = await relay().webhooks.deliveries(webhook.id).toArray();
          const pending = deliveries.filter((d) => d.status !== 'delivered').length;
          return { deliveries: deliveries.length, pending };
        },
        { timeout: 180_000, interval: 2_000 },
      )
      .toEqual({ deliveries: jobIds.length * 2, pending: 0 }); // started + terminal per job, all delivered
  } catch (error) {
    // What a stranded delivery looked like, and every log line of both processes about it (the next run's clue).
    const stranded = (await relay().webhooks.deliveries(webhook.id).toArray()).filter((d) => d.status !== 'delivered');
    for (const delivery of stranded) {
      const lines = `${killed.logs()}\n${stack.logs()}`.split('\n').filter((line) => line.includes(delivery.msg_id));
      console.error(`stranded delivery ${JSON.stringify(delivery)}\n${lines.join('\n')}`);
    }
    console.error(`receiver saw: ${JSON.stringify(receiver.events.map((e) => [e.id, e.type]))}`);
    const sweeps = stack
      .logs()
      .split('\n')
      .filter((line) => /sweep/i.test(line) && !/re-driving|re-polling/.test(line));
    console.error(`the restarted stack's sweeps:\n${sweeps.join('\n')}`);
    await stack.interrupt();
    stack = undefined;
    console.error(
      await tableStateOf(
        webhook.id,
        stranded.map((delivery) => delivery.msg_id),
      ),
    );
    throw error;
  }

  for (const jobId of jobIds) {
    // 0 missing, and duplicates only under the same webhook-id: one terminal webhook-id per job.
    const terminal = receiver.events.filter((e) => e.data.job.id === jobId && isTerminal(e.type));
    expect([jobId, new Set(terminal.map((e) => e.id)).size]).toEqual([jobId, 1]);
    const job = await relay().jobs.get(jobId);
    expect([jobId, job.status]).toEqual([jobId, 'succeeded']);
  }
  expect(receiver.rejected).toEqual([]);
  console.info(
    `crash recovery: ${beforeKill} webhooks received before the kill, ${receiver.events.length} in all ` +
      `(${receiver.events.length - jobIds.length * 2} duplicates, each under its original webhook-id)`,
  );
}, 300_000);
