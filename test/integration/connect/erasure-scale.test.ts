import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { itemsNaming, seedErasableUser } from '../../../bench/support/erasable-user.ts';
import { ManualClock } from '../../../lib/clock.ts';
import { ErasuresRepository } from '../../../lib/connect/erasures-repo.ts';
import { ERASURE_STEP_ITEMS, UserDataRepository } from '../../../lib/connect/user-data-repo.ts';
import { keys, type TableRef } from '../../../lib/store/table.ts';
import { WebhooksRepository } from '../../../lib/notify/webhooks-repo.ts';
import { useInProcessRelay } from '../../support/in-process-relay.ts';

/**
 * An erasure of a user holding much: answered at once, then deleted in bounded steps from the erasures queue, each
 * found through the user's own partitions and indexes (never a scan), a step cut short by a crash taken again. The
 * size here keeps CI quick; BENCHMARKS.md → Erasure runs 10,000 jobs, 10 webhooks and 100,000 transactions.
 */
const SIZE = { jobs: 300, webhooks: 10, transactions: 3_000 };
const clock = new ManualClock(Date.UTC(2026, 10, 27, 12));
const harness = useInProcessRelay(clock);

const tableOf = (): TableRef => harness.relay.apiRefresh.table;

describe(`erasing a user of ${SIZE.jobs} jobs, ${SIZE.webhooks} webhooks and ${SIZE.transactions} transactions`, () => {
  it('deletes it in bounded steps through its own partitions, and a step cut short is taken again', async () => {
    const table = tableOf();
    const user = 'erase-steps-user';
    const kept = 'erase-steps-kept';
    const seeded = await seedErasableUser(table, clock, user, SIZE);
    await seedErasableUser(table, clock, kept, { jobs: 3, webhooks: SIZE.webhooks, transactions: 5 });
    const data = new UserDataRepository(table, new WebhooksRepository(table, clock));

    let queries = 0;
    let writes = 0;
    let crashAt = -1;
    table.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'QueryCommand') queries += 1;
        if (context.commandName === 'BatchWriteCommand' && ++writes === crashAt) throw new Error('crashed mid-step');
        return next(args);
      },
      { step: 'initialize', name: 'countErasure' },
    );
    try {
      const started = performance.now();
      let steps = 0;
      let deleted = 0;
      for (let left = true; left; steps++) {
        // The third step dies halfway through its deletions, as a Lambda timing out would.
        if (steps === 2) crashAt = writes + 20;
        const step = await data.eraseStep(user).catch((error: Error) => {
          expect(error.message).toBe('crashed mid-step');
          return { deleted: {}, left: true };
        });
        const count = Object.values(step.deleted).reduce((sum: number, n) => sum + (n as number), 0);
        // Bounded: the step's budget, give or take one page of events' deliveries.
        expect(count).toBeLessThanOrEqual(ERASURE_STEP_ITEMS + 100 * SIZE.webhooks);
        deleted += count;
        left = step.left;
        expect(steps).toBeLessThan(200);
      }
      console.log(
        `erasure of ${seeded} items: ${steps} steps, ${queries} queries, ${Math.round(performance.now() - started)} ms`,
      );
      expect(deleted).toBeGreaterThanOrEqual(seeded - 20 * 25);
      expect(steps).toBeGreaterThanOrEqual(Math.ceil(seeded / (ERASURE_STEP_ITEMS + 100 * SIZE.webhooks)));
      // A handful of queries a step (two of them list the logs), never one per webhook and job.
      expect(queries).toBeLessThanOrEqual(steps * 14);
    } finally {
      table.client.middlewareStack.remove('countErasure');
    }
    expect(await itemsNaming(table, user)).toBe(0);
    expect(await itemsNaming(table, kept)).toBeGreaterThan(0);
  }, 120_000);

  it('answers at once, then worker-poll takes the steps from the erasures queue and sends user.deleted', async () => {
    const table = tableOf();
    const user = 'erase-queue-user';
    await harness.control('/_sim/members', { user_id: user });
    await seedErasableUser(table, clock, user, { jobs: 200, webhooks: SIZE.webhooks, transactions: 1_000 });
    const { engines, queues, relay } = harness;
    const sent = (queue: 'erasures' | 'delivery') => queues.sent.get(engines.queueUrls[queue]) ?? 0;
    const [erasuresBefore, deliveriesBefore] = [sent('erasures'), sent('delivery')];

    await relay.apiRefresh.erasure.begin(user);
    // Recorded and queued: nothing deleted yet, the user already refused.
    expect(await new ErasuresRepository(table).get(user)).toMatchObject({ userId: user, deleted: 0 });
    // What the sweeper measures (ErasureAge): when each erasure under way began.
    expect(await new ErasuresRepository(table).startTimes()).toContain(clock.now());
    expect(sent('erasures') - erasuresBefore).toBe(1);

    await harness.settle();
    expect(sent('erasures') - erasuresBefore).toBeGreaterThan(3);
    expect(await new ErasuresRepository(table).get(user)).toBeUndefined();
    expect(await new ErasuresRepository(table).startTimes()).toEqual([]);
    // user.deleted went out: one delivery per webhook, and nothing else of the user is left.
    expect(sent('delivery') - deliveriesBefore).toBe(SIZE.webhooks);
    const { Items = [] } = await table.client.send(
      new QueryCommand({
        TableName: table.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.session(user).pk },
      }),
    );
    expect(Items).toEqual([]);
    expect((await fetch(`${harness.simulator.url}/_sim/users/${user}`)).status).toBe(404);
  }, 120_000);

  it('finds a job’s deliveries in every log, a deleted webhook’s included, with no index of them', async () => {
    const table = tableOf();
    const user = 'erase-deleted-webhook-user';
    await seedErasableUser(table, clock, user, { jobs: 30, webhooks: SIZE.webhooks, transactions: 10 });
    const webhooks = new WebhooksRepository(table, clock);
    const [gone] = await webhooks.list();
    expect(await webhooks.delete(gone!.id)).toBe(true);
    // Its log still holds the user's deliveries until their TTL; nothing indexes them by user.
    const { Items: index = [] } = await table.client.send(
      new QueryCommand({
        TableName: table.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.userEvent(user, '').pk },
      }),
    );
    expect(index).toEqual([]);
    expect(await webhooks.logIds()).toContain(gone!.id);
    // A webhook that never was leaves no id behind.
    expect(await webhooks.delete('wh_never')).toBe(false);
    expect(await webhooks.logIds()).not.toContain('wh_never');

    const data = new UserDataRepository(table, webhooks);
    let deliveries = 0;
    for (let left = true; left;) {
      const step = await data.eraseStep(user);
      deliveries += step.deleted.deliveries;
      left = step.left;
    }
    expect(deliveries).toBe(30 * SIZE.webhooks);
    expect(await itemsNaming(table, user)).toBe(0);
  });
});
