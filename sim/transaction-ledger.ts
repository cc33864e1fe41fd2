import { dayOf } from './calendar.ts';
import { progressAt, type AggregationRun } from './aggregation-script.ts';
import { createFixtureDraws, type FixtureDraws } from './fixture-draws.ts';
import type { ReadSide } from './member-data.ts';
import type { MemberRegistry, SimMember, SimUser } from './members.ts';
import type { SimTransaction } from './read-model.ts';

const UNCATEGORIZED = 'CAT-sim-uncategorized';
const MERCHANTS = ['Corner Grocer', 'City Transit', 'Blue Bottle', 'Hardware Depot', 'Streamflix', 'Fuel Stop'];

/**
 * The users' transactions as aggregations change them. A member whose script says `transactions: {add, update}`
 * gets, at the moment each of its runs ends CONNECTED, `add` new transactions (PENDING, dated that day) and `update`
 * existing ones (posted, a new amount, `updated_at` = that moment), as MX's data changes after a real aggregation.
 * Runs are applied lazily (`settle`, before every MX-side request and control read), in the order they ended, each
 * once; the changes come from a seeded stream of their own, so they replay exactly.
 */
export class TransactionLedger {
  /**
   * Per user id, what aggregations changed: transactions they updated (by guid, the latest version) and the ones they
   * added, in order. Kept apart from the read side's list, so a member added or deleted later still shows or drops
   * its own generated transactions.
   */
  readonly #changes = new Map<string, { updated: Map<string, SimTransaction>; added: SimTransaction[] }>();
  readonly #applied = new WeakSet<AggregationRun>();
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
    return [...base, ...changes.added].map((transaction) => changes.updated.get(transaction.guid) ?? transaction);
  }

  /** Applies every run that ended CONNECTED by `now` and was not applied yet, oldest end first. */
  settle(now: number): void {
    const due: { member: SimMember; run: AggregationRun; at: number }[] = [];
    for (const member of this.members.all()) {
      const run = member.run;
      if (!run || this.#applied.has(run)) continue;
      const { script } = run;
      if (script.transactions.add === 0 && script.transactions.update === 0) continue;
      const { succeededAt } = progressAt(run, now);
      if (succeededAt !== null && succeededAt <= now) due.push({ member, run, at: succeededAt });
    }
    for (const { member, run, at } of due.sort((a, b) => a.at - b.at || a.member.guid.localeCompare(b.member.guid))) {
      this.#apply(member, run, at);
      this.#applied.add(run);
    }
  }

  #apply(member: SimMember, run: AggregationRun, at: number): void {
    const changes = this.#changesOf(member.owner.id);
    const own = this.transactionsOf(member.owner).filter((transaction) => transaction.memberGuid === member.guid);
    // Updates first, among what existed before this run: the newest first, as recent transactions are what post.
    const updatable = [...own].sort((a, b) => b.updatedAt - a.updatedAt || a.guid.localeCompare(b.guid));
    for (const previous of updatable.slice(0, run.script.transactions.update)) {
      changes.updated.set(previous.guid, {
        ...previous,
        amount: Math.round((previous.amount + this.#draws.amount(0.01, 5)) * 100) / 100,
        status: 'POSTED',
        postedAt: previous.postedAt ?? at,
        updatedAt: at,
      });
    }
    const accountGuid =
      own[0]?.accountGuid ??
      this.readSide.accountsOf(member.owner).find((account) => account.memberGuid === member.guid)?.guid ??
      `ACT-${member.guid.slice(4)}`;
    for (let i = 0; i < run.script.transactions.add; i++) {
      changes.added.push({
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
      });
    }
  }

  #changesOf(userId: string) {
    let changes = this.#changes.get(userId);
    if (!changes) {
      changes = { updated: new Map(), added: [] };
      this.#changes.set(userId, changes);
    }
    return changes;
  }
}
