import { DeleteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { jobOfItem } from '../aggregation/jobs-repo.ts';
import { jobEventIds } from '../events.ts';
import { deliveryKey } from '../notify/deliveries-repo.ts';
import { deliveryKeysOf } from '../notify/user-events-repo.ts';
import type { WebhooksRepository } from '../notify/webhooks-repo.ts';
import { deleteItems, getItems, gsi2, type Item, keys, TABLE_KEYS, type TableRef, tableKeyOf } from '../store/table.ts';

/** What an erasure deleted, by kind (counts only: never a value). */
export interface ErasedItems {
  /** Session, transactions-sync state and log, members' states, the events' index, the reconcile's turn. */
  userData: number;
  jobs: number;
  activeJobPointers: number;
  /** Deliveries of the user's events. */
  deliveries: number;
  /** With the answers they replay. */
  idempotencyRecords: number;
  apiKeys: number;
}

/** Items per erasure step (give or take a page's deliveries), so a step fits worker-poll's timeout whatever the user holds. */
export const ERASURE_STEP_ITEMS = 1_000;
const PAGE_ITEMS = 100;

type Source = { pk: string; index?: 'gsi2'; projection?: string };

/**
 * Everything the table holds of one user, found from the user's own partitions and indexes, never a scan. Deleted a
 * bounded step at a time, each item after what only it leads to. A job's own events are found from the job in every log
 * (jobEventIds); the user's other events from the user's events index.
 */
export class UserDataRepository {
  constructor(
    private readonly table: TableRef,
    private readonly webhooks: Pick<WebhooksRepository, 'logIds'>,
  ) {}

  /**
   * One step of a user's erasure, about `maxItems` items. Each item goes before what names it, so a step cut short leaves
   * nothing unfindable. `left` until a step finds nothing; that step deletes the reconcile's turn last.
   *
   * @example
   * while ((await data.eraseStep('bob')).left);
   */
  async eraseStep(userId: string, maxItems = ERASURE_STEP_ITEMS): Promise<{ deleted: ErasedItems; left: boolean }> {
    const { table } = this;
    const deleted: ErasedItems = { userData: 0, jobs: 0, activeJobPointers: 0, deliveries: 0, idempotencyRecords: 0, apiKeys: 0 };
    const budget = { left: maxItems };
    const pointersGone = new Set<string>();
    const deletePointers = async (memberGuids: readonly string[]) => {
      const fresh = [...new Set(memberGuids)].filter((guid) => !pointersGone.has(guid));
      for (const guid of fresh) pointersGone.add(guid);
      await deleteItems(
        table,
        fresh.map((memberGuid) => keys.activeJob({ userId, memberGuid })),
      );
      deleted.activeJobPointers += fresh.length;
    };

    for await (const page of this.#pages({ pk: keys.userEvent(userId, '').pk, projection: 'pk, sk, deliveries' }, budget)) {
      const deliveries = page.flatMap(deliveryKeysOf);
      await deleteItems(table, deliveries);
      await deleteItems(table, page.map(tableKeyOf));
      budget.left -= deliveries.length;
      deleted.deliveries += deliveries.length;
      deleted.userData += page.length;
    }
    let logIds: string[] | undefined;
    for await (const page of this.#pages({ pk: gsi2.userJobs(userId), index: 'gsi2' }, budget)) {
      const jobs = (await getItems(table, page.map(tableKeyOf), { consistent: true })).map(jobOfItem);
      const logs = (logIds ??= await this.webhooks.logIds());
      const candidates = jobs.flatMap(jobEventIds).flatMap((eventId) => logs.map((id) => deliveryKey({ id }, eventId)));
      const deliveries = (await getItems(table, candidates, { consistent: true })).map(tableKeyOf);
      await deleteItems(table, deliveries);
      budget.left -= deliveries.length;
      deleted.deliveries += deliveries.length;
      await deletePointers(jobs.map((job) => job.memberGuid));
      await deleteItems(table, page.map(tableKeyOf));
      deleted.jobs += page.length;
    }
    for await (const page of this.#pages({ pk: gsi2.userIdempotency(userId), index: 'gsi2' }, budget)) {
      await deleteItems(table, page.map(tableKeyOf));
      deleted.idempotencyRecords += page.length;
    }
    for await (const page of this.#pages({ pk: gsi2.userApiKeys(userId), index: 'gsi2' }, budget)) {
      // One at a time: no function may batch-write a key item, which would let it make one.
      for (const key of page.map(tableKeyOf))
        await table.client.send(new DeleteCommand({ TableName: table.tableName, Key: key }));
      deleted.apiKeys += page.length;
    }
    for (const pk of [
      keys.transactionPointer(userId, '').pk,
      keys.transactionChange(userId, 0).pk,
      keys.transactionInWindow(userId, '', '').pk,
      keys.session(userId).pk,
    ]) {
      for await (const page of this.#pages({ pk, projection: 'pk, sk' }, budget)) {
        // Members' states name members whose pointers may outlive their jobs.
        await deletePointers(page.flatMap((item) => /^MEMBER#(.+)$/.exec(String(item.sk))?.[1] ?? []));
        await deleteItems(table, page.map(tableKeyOf));
        deleted.userData += page.length;
      }
    }
    const left = Object.values(deleted).some((count) => count > 0);
    if (!left) {
      await table.client.send(new DeleteCommand({ TableName: table.tableName, Key: keys.reconcile(userId) }));
    }
    return { deleted, left };
  }

  /** Pages of one partition while the step's budget lasts. */
  async *#pages(source: Source, budget: { left: number }): AsyncGenerator<Item[]> {
    const index = source.index === 'gsi2';
    let start: Record<string, unknown> | undefined;
    while (budget.left > 0) {
      const { Items = [], LastEvaluatedKey } = await this.table.client.send(
        new QueryCommand({
          TableName: this.table.tableName,
          ...(index ? { IndexName: TABLE_KEYS.gsi2 } : { ProjectionExpression: source.projection }),
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': index ? TABLE_KEYS.gsi2pk : TABLE_KEYS.pk },
          ExpressionAttributeValues: { ':pk': source.pk },
          Limit: Math.min(PAGE_ITEMS, budget.left),
          ExclusiveStartKey: start,
        }),
      );
      if (Items.length === 0) return;
      budget.left -= Items.length;
      yield Items;
      if (!LastEvaluatedKey) return;
      start = LastEvaluatedKey;
    }
  }
}
