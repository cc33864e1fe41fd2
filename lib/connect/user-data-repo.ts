import type { UserEventsRepository } from '../notify/user-events-repo.ts';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { deleteItems, getItems, gsi2, keys, queryAll, TABLE_KEYS, type TableRef, tableKeyOf } from '../store/table.ts';

/** What an erasure deleted, by kind (counts only: never a value). */
export interface ErasedItems {
  /**
   * MX session and its lease, the transactions-sync state, pointers and change log, members' states, the user's turn
   * in the reconcile.
   */
  userData: number;
  jobs: number;
  activeJobPointers: number;
  /** Deliveries of the user's events (their jobs, their members' deletions, their refresh requests refused). */
  deliveries: number;
  /** Idempotency-Key records of the user's routes and refresh requests, with the answers they replay. */
  idempotencyRecords: number;
  /** API keys bound to the user. */
  apiKeys: number;
}

type Key = { pk: string; sk: string };

/**
 * Everything the table holds of one user, found from the user's own partitions and indexes — never a scan: the
 * `USER#{id}…` partitions, the user's jobs, Idempotency-Key records and API keys (gsi2), from the jobs their members'
 * active pointers, and the deliveries of the user's events (its events' index, `USER#{id}#EVENTS`).
 */
export class UserDataRepository {
  constructor(
    private readonly table: TableRef,
    /** Where the user's events note their deliveries. */
    private readonly userEvents: Pick<UserEventsRepository, 'keysOf'>,
  ) {}

  async erase(userId: string): Promise<ErasedItems> {
    const jobKeys = await this.#indexKeys('gsi2', gsi2.userJobs(userId));
    const jobs = (await getItems(this.table, jobKeys, { consistent: true })).filter((item) => item.user_id === userId);
    const memberGuids = [...new Set(jobs.map((job) => job.member_guid as string))];

    const userData: Key[] = [];
    for (const pk of [
      keys.session(userId).pk,
      keys.transactionPointer(userId, '').pk,
      keys.transactionChange(userId, 0).pk,
      keys.transactionInWindow(userId, '', '').pk,
    ]) {
      for await (const item of queryAll(this.table, {
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        ProjectionExpression: 'pk, sk',
      })) {
        userData.push(tableKeyOf(item));
        // Members' states: their members' events too.
        const memberGuid = /^MEMBER#(.+)$/.exec(String(item.sk))?.[1];
        if (memberGuid !== undefined && !memberGuids.includes(memberGuid)) memberGuids.push(memberGuid);
      }
    }
    userData.push(keys.reconcile(userId));

    const pointers = memberGuids.map((memberGuid) => keys.activeJob({ userId, memberGuid }));
    const { deliveries, index: eventIndex } = await this.userEvents.keysOf(userId);
    const apiKeys = await this.#indexKeys('gsi2', gsi2.userApiKeys(userId));
    const idempotencyRecords = await this.#indexKeys('gsi2', gsi2.userIdempotency(userId));

    await deleteItems(this.table, [...deliveries, ...pointers, ...userData, ...idempotencyRecords]);
    // One at a time: no function may batch-write a key item, which would let it make one (infra/constructs/access.ts).
    for (const key of apiKeys) await this.table.client.send(new DeleteCommand({ TableName: this.table.tableName, Key: key }));
    // The jobs and the events' index last: they are how a retried erasure finds the rest.
    await deleteItems(this.table, [...eventIndex, ...jobKeys]);
    return {
      userData: userData.length,
      jobs: jobKeys.length,
      activeJobPointers: pointers.length,
      deliveries: deliveries.length,
      idempotencyRecords: idempotencyRecords.length,
      apiKeys: apiKeys.length,
    };
  }

  /** The table keys of every entry in one partition of a keys-only index. */
  async #indexKeys(index: 'gsi1' | 'gsi2', partition: string): Promise<Key[]> {
    const found: Key[] = [];
    for await (const entry of queryAll(this.table, {
      IndexName: TABLE_KEYS[index],
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': index === 'gsi1' ? TABLE_KEYS.gsi1pk : TABLE_KEYS.gsi2pk },
      ExpressionAttributeValues: { ':pk': partition },
    })) {
      found.push(tableKeyOf(entry));
    }
    return found;
  }
}
