import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conditionalOutput, conditionalWrite, isExpired, keys, TABLE_KEYS, type TableRef } from '../store/table.ts';

/** What one of MX's webhooks hints about a user's member. */
export type MxHint =
  | { kind: 'aggregation'; memberGuid: string; background: boolean }
  | { kind: 'connection_status'; memberGuid: string }
  | { kind: 'member_deleted'; memberGuid: string }
  | { kind: 'transactions'; memberGuid: string; transactionGuid: string };

/** A user's hints gathered for one read. */
export interface MxHints {
  /** Counts the hints ever added: what the read took is deleted only if none came since. */
  version: number;
  aggregated: string[];
  /** Of `aggregated`, those MX said it aggregated in the background. */
  background: string[];
  statuses: string[];
  deletedMembers: string[];
  deletedTransactions: string[];
}

/** Hints waiting for a read: the members MX said it aggregated, and when their read is due (none: a read took them). */
export interface WaitingHints {
  aggregated: string[];
  dueAt?: number;
  /** The user's last read (`add` only). */
  lastReadAt?: number;
}

const SETS: Record<Exclude<keyof MxHints, 'version'>, string> = {
  aggregated: 'aggregated',
  background: 'background',
  statuses: 'statuses',
  deletedMembers: 'deleted_members',
  deletedTransactions: 'deleted_transactions',
};
type HintList = keyof typeof SETS;

/** A forger's flood stays far from the item size limit. */
export const MAX_HINTED_TRANSACTIONS = 1_000;
/** Hints no read took are kept this long after the last hint's `keepUntil`. */
const HINTS_TTL_MS = 24 * 3600_000;
/** A read due this long ago never took the hints (its message lost): the next hint schedules another. */
const LOST_AFTER_MS = 60_000;

/**
 * MX's webhooks about one user, gathered until one read of MX confirms them: however many arrive, one read per user per
 * window. The read takes `due_at` (noting `last_read_at`), then deletes what it took unless a hint came meanwhile
 * (`version`): then the next read takes them all again, harmlessly. Hints a failed or lost read left go with the next.
 */
export class MxHintsRepository {
  constructor(private readonly table: TableRef) {}

  /**
   * `readAt`: the caller schedules a read then (`due`: what `unschedule` undoes if it cannot). A member's hint is read
   * at once unless the user was read within the window (`dueAt - now`); any other waits for its end. A `held` hint
   * schedules nothing: the user's reconcile turn reads it (`due` then says it waits), unless a member's hint comes first.
   * Past the cap, `overflow`. The item is kept a day past `keepUntil` (default `dueAt`), which each hint sets anew: a
   * caller holding hints passes their turn with every hint, so a later one never shortens what a held one needs. A held
   * hint answers what waits with it (`waiting`): the caller may `release` them to a read now.
   *
   * @example
   * const { readAt } = await hints.add(userId, hint, { now, dueAt: now + 3_000 });
   */
  async add(
    userId: string,
    hint: MxHint,
    { now, dueAt, held = false, keepUntil = dueAt }: { now: number; dueAt: number; held?: boolean; keepUntil?: number },
  ): Promise<{ readAt?: number; due?: number; overflow?: true; waiting?: WaitingHints }> {
    const added: Partial<Record<HintList, string>> =
      hint.kind === 'aggregation'
        ? { aggregated: hint.memberGuid, ...(hint.background ? { background: hint.memberGuid } : {}) }
        : hint.kind === 'connection_status'
          ? { statuses: hint.memberGuid }
          : hint.kind === 'member_deleted'
            ? { deletedMembers: hint.memberGuid }
            : { deletedTransactions: hint.transactionGuid };
    const names: Record<string, string> = { '#ttl': TABLE_KEYS.ttl };
    const urgent = hint.kind !== 'transactions' && !held;
    // A member's hint marks its read due now: hints after it join that read, however it is timed.
    const stored = urgent ? now : dueAt;
    const values: Record<string, unknown> = { ':due': stored, ':ttl': Math.ceil((keepUntil + HINTS_TTL_MS) / 1000), ':one': 1 };
    const adds = Object.entries(added).map(([list, guid], i) => {
      names[`#s${i}`] = SETS[list as HintList];
      values[`:s${i}`] = new Set([guid]);
      return `#s${i} :s${i}`;
    });
    const capped = hint.kind === 'transactions';
    if (capped) values[':cap'] = MAX_HINTED_TRANSACTIONS;
    const written = await conditionalOutput(
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.mxHints(userId),
          UpdateExpression: `SET due_at = if_not_exists(due_at, :due), #ttl = :ttl ADD version :one, ${adds.join(', ')}`,
          ...(capped
            ? {
                ConditionExpression: `attribute_not_exists(${SETS.deletedTransactions}) OR size(${SETS.deletedTransactions}) < :cap`,
              }
            : {}),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_OLD',
        }),
      ),
    );
    if (!written) return { overflow: true };
    const { due_at: due, last_read_at: lastRead, [SETS.aggregated]: before } = written.output.Attributes ?? {};
    const window = dueAt - now;
    const readLately = typeof lastRead === 'number' && lastRead > now - window;
    const lost = typeof due === 'number' && due < now - LOST_AFTER_MS;
    const waiting: WaitingHints = {
      aggregated: [...new Set([...((before as Set<string> | undefined) ?? []), ...(added.aggregated ? [added.aggregated] : [])])],
      dueAt: typeof due === 'number' && !lost ? due : stored,
      ...(typeof lastRead === 'number' ? { lastReadAt: lastRead } : {}),
    };
    const first = held
      ? { due: stored, waiting }
      : { due: stored, readAt: !urgent ? dueAt : readLately ? lastRead + window : now };
    if (typeof due !== 'number') return first;
    // Its read never came: this hint schedules the next.
    if (lost) return (await this.#moveDue(userId, due, stored)) ? first : {};
    if (held) return { waiting };
    // Only a later read is due: a member's hint brings it to now (a transaction's, or one held for the turn), or one held
    // to the window's end after a read; once (the first to move `due_at`).
    const at = readLately ? lastRead + window : now;
    if (urgent && due > at && (!readLately || due > now + window)) {
      return (await this.#moveDue(userId, due, at)) ? { readAt: at } : {};
    }
    return {};
  }

  /**
   * Brings the read of held hints (`add`'s `waiting`) from their turn to `at`; false if their `due_at` moved meanwhile
   * (another hint, or a read, took them first). The caller schedules the read.
   */
  release(userId: string, dueAt: number, at: number): Promise<boolean> {
    return this.#moveDue(userId, dueAt, at);
  }

  #moveDue(userId: string, from: number, to: number): Promise<boolean> {
    return conditionalWrite(
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.mxHints(userId),
          UpdateExpression: 'SET due_at = :to',
          ConditionExpression: 'due_at = :from',
          ExpressionAttributeValues: { ':to': to, ':from': from },
        }),
      ),
    );
  }

  /**
   * The hints waiting for a read (held ones for the user's reconcile turn), if any: any a read has not done, its `due_at`
   * taken or not (a read that failed part-way leaves them, with no `dueAt`, for the next). Eventually consistent.
   */
  async waiting(userId: string, now: number): Promise<WaitingHints | undefined> {
    const names = Object.fromEntries(Object.values(SETS).map((set, i) => [`#s${i}`, set]));
    const { Item } = await this.table.client.send(
      new GetCommand({
        TableName: this.table.tableName,
        Key: keys.mxHints(userId),
        // A set a read emptied is gone: DynamoDB keeps no empty set.
        ProjectionExpression: [...Object.keys(names), '#ttl', 'due_at'].join(', '),
        ExpressionAttributeNames: { ...names, '#ttl': TABLE_KEYS.ttl },
      }),
    );
    if (!Item || isExpired(Item as { ttl?: number }, now)) return undefined;
    if (!Object.values(SETS).some((set) => Item[set] !== undefined)) return undefined;
    const aggregated = [...((Item[SETS.aggregated] as Set<string> | undefined) ?? [])];
    return { aggregated, ...(typeof Item.due_at === 'number' ? { dueAt: Item.due_at } : {}) };
  }

  /** Undoes `add`'s `due` when the read it asked for could not be scheduled: the message's retry schedules it. */
  async unschedule(userId: string, dueAt: number): Promise<void> {
    await conditionalWrite(
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.mxHints(userId),
          UpdateExpression: 'REMOVE due_at',
          ConditionExpression: 'due_at = :due',
          ExpressionAttributeValues: { ':due': dueAt },
        }),
      ),
    );
  }

  /** Takes the user's hints; hints from now on schedule the next read. Consistent: a hint added just before is read. */
  async take(userId: string, now: number): Promise<MxHints | undefined> {
    const taken = await conditionalOutput(
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.mxHints(userId),
          UpdateExpression: 'SET last_read_at = :now REMOVE due_at',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':now': now },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    const Attributes = taken?.output.Attributes;
    if (!Attributes || isExpired(Attributes as { ttl?: number }, now)) return undefined;
    const list = (name: string) => [...((Attributes[name] as Set<string> | undefined) ?? [])].sort();
    return {
      version: Number(Attributes.version ?? 0),
      aggregated: list(SETS.aggregated),
      background: list(SETS.background),
      statuses: list(SETS.statuses),
      deletedMembers: list(SETS.deletedMembers),
      deletedTransactions: list(SETS.deletedTransactions),
    };
  }

  /** Deletes the hints a read took, unless one came since (then the next read takes them all again). */
  async done(userId: string, hints: MxHints): Promise<void> {
    const names: Record<string, string> = {};
    const values: Record<string, Set<string> | number> = { ':version': hints.version };
    const deletes = (Object.keys(SETS) as HintList[])
      .filter((list) => hints[list].length > 0)
      .map((list, i) => {
        names[`#s${i}`] = SETS[list];
        values[`:s${i}`] = new Set(hints[list]);
        return `#s${i} :s${i}`;
      });
    if (deletes.length === 0) return;
    await conditionalWrite(
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.mxHints(userId),
          UpdateExpression: `DELETE ${deletes.join(', ')}`,
          ConditionExpression: 'version = :version',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }
}
