import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Job } from '../../lib/aggregation/job.ts';
import { newJobId } from '../../lib/aggregation/job.ts';
import { terminalEvent } from '../../lib/aggregation/job-events.ts';
import { JobsRepository } from '../../lib/aggregation/jobs-repo.ts';
import type { Clock } from '../../lib/clock.ts';
import { silentLog } from '../../lib/logger.ts';
import { DeliveriesRepository } from '../../lib/notify/deliveries-repo.ts';
import { EventPublisher } from '../../lib/notify/publisher.ts';
import { generateSecret } from '../../lib/notify/signing.ts';
import { UserEventsRepository } from '../../lib/notify/user-events-repo.ts';
import { WebhooksRepository } from '../../lib/notify/webhooks-repo.ts';
import { keys, type TableRef, writeItems } from '../../lib/store/table.ts';
import { createSealedWebhook } from './sealed-webhook.ts';
import { LocalDataKeys, SecretBox } from '../../lib/secret-box.ts';
import { randomBytes } from 'node:crypto';

/** How much a user holds: its jobs (each with its end's event), the webhooks every event goes to, its transactions. */
export interface ErasableUserSize {
  jobs: number;
  webhooks: number;
  transactions: number;
}

/**
 * Writes what a user of `size` leaves in the table, as the relay writes it: jobs on 3 members, each with its end's event
 * delivered to every webhook (made when fewer exist), and the transactions sync's pointer, change and window items of
 * each transaction. Answers the items written of the user.
 */
export async function seedErasableUser(table: TableRef, clock: Clock, user: string, size: ErasableUserSize): Promise<number> {
  const webhooks = new WebhooksRepository(table, clock);
  const secretBox = new SecretBox(new LocalDataKeys(randomBytes(32)), clock);
  for (let i = (await webhooks.list()).length; i < size.webhooks; i++) {
    const url = `https://receiver-${i}.example.com/hooks`;
    await createSealedWebhook({ webhooks, secretBox }, { url, eventTypes: ['*'], secret: generateSecret() });
  }
  const publisher = new EventPublisher({
    webhooks,
    deliveries: new DeliveriesRepository(table, clock),
    userEvents: new UserEventsRepository(table),
    queue: { scheduleAllIn: async () => {} },
    clock,
    log: silentLog,
  });
  const jobs = new JobsRepository(table);
  const at = clock.now();
  for (let start = 0; start < size.jobs; start += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, size.jobs - start) }, async (_, n) => {
        const i = start + n;
        const job: Job = {
          id: newJobId(at + i),
          userId: user,
          memberGuid: `MBR-${user}-${i % 3}`,
          status: 'succeeded',
          kind: 'aggregation',
          trigger: 'refresh',
          connectionStatus: 'CONNECTED',
          step: 1,
          polls: 1,
          pollErrors: 0,
          createdAt: at + i,
          updatedAt: at + i,
          finishedAt: at + i,
          deadlineAt: at + 1_200_000,
          nextPollAt: at + 3000,
        };
        await jobs.create(job);
        await publisher.publish(terminalEvent(job, at));
      }),
    );
  }
  const transactions = Array.from({ length: size.transactions }, (_, i) => {
    const guid = `TRN-${String(i).padStart(8, '0')}`;
    return [
      { ...keys.transactionPointer(user, guid), seq: i + 1 },
      { ...keys.transactionChange(user, i + 1), guid, change: 'added' },
      { ...keys.transactionInWindow(user, '2026-11-20', guid), seq: i + 1 },
    ];
  }).flat();
  for (let start = 0; start < transactions.length; start += 2_500) {
    await Promise.all(
      Array.from({ length: 4 }, (_, part) =>
        writeItems(
          table,
          transactions.slice(start + part * 625, start + (part + 1) * 625).map((Item) => ({ PutRequest: { Item } })),
        ),
      ),
    );
  }
  return size.jobs * (1 + size.webhooks) + transactions.length;
}

/** How many items name the user anywhere in the table (a scan: the check of an erasure, never its way). */
export async function itemsNaming(table: TableRef, user: string): Promise<number> {
  let found = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await table.client.send(new ScanCommand({ TableName: table.tableName, ExclusiveStartKey: start }));
    found += (page.Items ?? []).filter((item) => JSON.stringify(item).includes(user)).length;
    start = page.LastEvaluatedKey;
  } while (start);
  return found;
}
