import { dayOf } from './calendar.ts';
import { progressAt, type AggregationRun } from './aggregation-script.ts';
import { createFixtureDraws, type FixtureDraws } from './fixture-draws.ts';
import { byDateDescending } from './fixtures-transactions.ts';
import type { ReadSide } from './member-data.ts';
import type { MemberRegistry, SimMember, SimUser } from './members.ts';
import type { SimTransaction } from './read-model.ts';

const UNCATEGORIZED = 'CAT-sim-uncategorized';
const MERCHANTS = ['Corner Grocer', 'City Transit', 'Blue Bottle', 'Hardware Depot', 'Streamflix', 'Fuel Stop'];

/** What one run did to one transaction, as MX's TRANSACTIONS webhook announces it. */
export interface TransactionChange {
  action: 'created' | 'updated' | 'deleted';
  /** The transaction after the change (before it, for a deletion). */
  transaction: SimTransaction;
}

/**
 * The users' transactions as aggregations change them. A member whose script says `transactions: {add, update,
 * post}` gets, at the moment each of its runs ends CONNECTED: `post` of its oldest PENDING transactions deleted and
 * re-created POSTED under a new guid (what MX documents as the most common way a pending transaction posts), `update`
 * existing ones changed in place (a new amount, `updated_at` = that moment), and `add` new ones (PENDING, dated that
 * day). Runs are applied lazily (`settle`, before every MX-side request and control read), in the order they ended,
 * each once; the changes come from a seeded stream of their own, so they replay exactly.
 */
export class TransactionLedger {
  /**
   * Per user id, what aggregations changed: transactions they updated (by guid, the latest version), deleted, and
   * added, in order. Kept apart from the read side's list, so a member added or deleted later still shows or drops
   * its own generated transactions.
   */
  readonly #changes = new Map<string, { updated: Map<string, SimTransaction>; deleted: Set<string>; added: SimTransaction[] }>();
  readonly #applied = new WeakMap<AggregationRun, TransactionChange[]>();
  readonly #draws: FixtureDraws;

  constructor(
    private readonly readSide: ReadSide,
    private readonly members: MemberRegistry,
    seed: number,
  ) {
    this.#draws = createFixtureDraws(seed);
  }

  /** The user's transactions as they stand now (call `settle` first): the read side's, changed, then those added. */
  transactionsOf(user: SimUser): SimTransaction[] {
    const base = this.readSide.transactionsOf(user);
    const changes = this.#changes.get(user.id);
    if (!changes) return base;
    // A deleted member's transactions go with it, as MX deletes them.
    return [...base, ...changes.added.filter((transaction) => this.members.member(transaction.memberGuid))]
      .filter((transaction) => !changes.deleted.has(transaction.guid))
      .map((transaction) => changes.updated.get(transaction.guid) ?? transaction)
      .sort(byDateDescending);
  }

  /**
   * An end user's edit (update transaction, a transaction rule applied, a category deleted): `transaction` replaces the
   * one with its guid, as an aggregation's update does.
   */
  edit(user: SimUser, transaction: SimTransaction): void {
    this.#changesOf(user.id).updated.set(transaction.guid, transaction);
  }

  /** A transaction the end user created on a manual account (create manual transaction). */
  addManual(user: SimUser, transaction: SimTransaction): void {
    this.#changesOf(user.id).added.push(transaction);
  }

  /** A manual transaction deleted (delete manual transaction). */
  remove(user: SimUser, transactionGuid: string): void {
    this.#changesOf(user.id).deleted.add(transactionGuid);
  }

  /** What `run` changed, once it has ended CONNECTED by `now` (settled first); empty before. */
  changesOf(run: AggregationRun, now: number): TransactionChange[] {
    this.settle(now);
    return this.#applied.get(run) ?? [];
  }

  /** Applies every run that ended CONNECTED by `now` and was not applied yet, oldest end first. */
  settle(now: number): void {
    const due: { member: SimMember; run: AggregationRun; at: number }[] = [];
    for (const member of this.members.all()) {
      const run = member.run;
      if (!run || this.#applied.has(run)) continue;
      const { add, update, post } = run.script.transactions;
      if (add === 0 && update === 0 && post === 0) continue;
      const { succeededAt } = progressAt(run, now);
      if (succeededAt !== null && succeededAt <= now) due.push({ member, run, at: succeededAt });
    }
    for (const { member, run, at } of due.sort((a, b) => a.at - b.at || a.member.guid.localeCompare(b.member.guid))) {
      this.#applied.set(run, this.#apply(member, run, at));
    }
  }

  #apply(member: SimMember, run: AggregationRun, at: number): TransactionChange[] {
    const changes = this.#changesOf(member.owner.id);
    const done: TransactionChange[] = [];
    const own = this.transactionsOf(member.owner).filter((transaction) => transaction.memberGuid === member.guid);
    const pending = own
      .filter((transaction) => transaction.status === 'PENDING')
      .sort((a, b) => a.transactedAt - b.transactedAt || a.guid.localeCompare(b.guid));
    for (const previous of pending.slice(0, run.script.transactions.post)) {
      changes.deleted.add(previous.guid);
      done.push({ action: 'deleted', transaction: previous });
      const posted: SimTransaction = {
        ...previous,
        guid: this.#draws.newGuid('TRN'),
        status: 'POSTED',
        postedAt: at,
        createdAt: at,
        updatedAt: at,
      };
      changes.added.push(posted);
      done.push({ action: 'created', transaction: posted });
    }
    // Updates among what existed before this run and was not posted by it: the newest first.
    const updatable = own
      .filter((transaction) => !changes.deleted.has(transaction.guid))
      .sort((a, b) => b.updatedAt - a.updatedAt || a.guid.localeCompare(b.guid));
    for (const previous of updatable.slice(0, run.script.transactions.update)) {
      const updated = {
        ...previous,
        amount: Math.round((previous.amount + this.#draws.amount(0.01, 5)) * 100) / 100,
        updatedAt: at,
      };
      changes.updated.set(previous.guid, updated);
      done.push({ action: 'updated', transaction: updated });
    }
    const accountGuid =
      own[0]?.accountGuid ??
      this.readSide.accountsOf(member.owner).find((account) => account.memberGuid === member.guid)?.guid ??
      `ACT-${member.guid.slice(4)}`;
    for (let i = 0; i < run.script.transactions.add; i++) {
      const added: SimTransaction = {
        guid: this.#draws.newGuid('TRN'),
        accountGuid,
        memberGuid: member.guid,
        userGuid: member.owner.guid,
        amount: this.#draws.amount(1, 200),
        type: 'DEBIT',
        status: 'PENDING',
        date: dayOf(at),
        transactedAt: at,
        postedAt: null,
        createdAt: at,
        updatedAt: at,
        description: this.#draws.pick(MERCHANTS),
        categoryGuid: own[0]?.categoryGuid ?? UNCATEGORIZED,
        topLevelCategoryGuid: own[0]?.topLevelCategoryGuid ?? UNCATEGORIZED,
      };
      changes.added.push(added);
      done.push({ action: 'created', transaction: added });
    }
    return done;
  }

  #changesOf(userId: string) {
    let changes = this.#changes.get(userId);
    if (!changes) {
      changes = { updated: new Map(), deleted: new Set(), added: [] };
      this.#changes.set(userId, changes);
    }
    return changes;
  }
}
