import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, expect, it } from 'vitest';
import { createDocumentClient } from '../../../lib/aws/dynamodb-client.ts';
import { ManualClock } from '../../../lib/clock.ts';
import { generateSecret } from '../../../lib/notify/signing.ts';
import { isExpired } from '../../../lib/store/table.ts';
import { useInProcessRelay } from '../../support/in-process-relay.ts';
import { createSealedWebhook } from '../../../bench/support/sealed-webhook.ts';

/**
 * Nothing about a user is kept for ever (docs/security.md#retention): a user an app synced, whose member MX
 * aggregated and announced, is walked out of the table once no app has asked about it for RECONCILE_INACTIVE_DAYS
 * (90) and every item's lifetime has run. dynalite never expires items, so one past its `ttl` counts as gone, as the
 * relay's readers count it.
 */
const DAY = 24 * 3600_000;
const clock = new ManualClock(Date.UTC(2026, 10, 20, 15));
const harness = useInProcessRelay(clock);

beforeAll(async () => {
  await createSealedWebhook(harness.relay.workerDeliver.notifier, {
    url: 'https://receiver.example.com/hooks',
    eventTypes: ['*'],
    secret: generateSecret(),
  });
});

/** Every item of the table that names `userId` (in a key or an attribute) and has not expired at the clock's now. */
async function itemsNaming(userId: string): Promise<string[]> {
  const client = createDocumentClient(harness.engines);
  const found: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: harness.engines.tableName, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) {
      const text = JSON.stringify(item);
      if (text.includes(userId) && !isExpired(item as { ttl?: number }, clock.now())) found.push(`${item.pk} ${item.sk}`);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  client.destroy();
  return found;
}

it('walks a user out of the table after its last activity and every lifetime', async () => {
  const { relay, control, settle } = harness;
  const user = 'retention-user';
  const member = (await control('/_sim/members', { user_id: user, transactions: 6 })).member.guid as string;
  // Its app syncs; MX aggregates the member on its own and says so.
  const sync = await relay.apiRead.transactions.sync(user, { count: 100 });
  expect(sync.added).toHaveLength(6);
  /** MX aggregates the member on its own `after` ms from now and says so (each time its own webhook). */
  const mxAggregatesAndSays = async (after: number, jobGuid: string) => {
    clock.advance(after);
    await control(`/_sim/members/${member}/background_aggregation`, {});
    clock.advance(1_000);
    const body = { type: 'AGGREGATION', action: 'member_data_updated', member_guid: member, user_id: user, job_guid: jobGuid };
    await relay.mxEvents.push.receive(JSON.stringify({ ...body, is_background: true }));
    return settle();
  };
  await mxAggregatesAndSays(4 * 3600_000, 'JOB-first');
  expect(await itemsNaming(user)).toEqual(
    expect.arrayContaining([`RECONCILE#${user} RECONCILE`, `USER#${user} TXSYNC`, `USER#${user} MEMBER#${member}`]),
  );

  // No app asks about the user for RECONCILE_INACTIVE_DAYS: the reconcile lets it go, and worker-poll forgets it.
  clock.advance(91 * DAY);
  expect((await relay.reconcileDispatch.dispatcher.dispatch()).inactive).toBeGreaterThanOrEqual(1);
  clock.advance(60_000);
  await settle();
  const left = await itemsNaming(user);
  expect(left.filter((key) => key.startsWith(`USER#${user}`))).toEqual([]);
  expect(left).toEqual([`RECONCILE#${user} RECONCILE`]);

  // MX's daily background aggregation of the user that left: nothing is read, written or announced for it.
  expect(await mxAggregatesAndSays(DAY, 'JOB-later')).toBe(0);
  expect(await itemsNaming(user)).toEqual([`RECONCILE#${user} RECONCILE`]);

  // As long again, and its reconcile item (MX's guid of the user with it) is gone too.
  clock.advance(91 * DAY);
  expect(await itemsNaming(user)).toEqual([]);
});
