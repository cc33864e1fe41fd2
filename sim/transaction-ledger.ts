import { dayOf } from './calendar.ts';
import { progressAt, type AggregationRun } from './aggregation-script.ts';
import { createFixtureDraws, type FixtureDraws } from './fixture-draws.ts';
import type { MemberRegistry, SimMember } from './members.ts';
import type { SimTransaction } from './read-model.ts';
import { type SeedData, readDataOf } from './seed-data.ts';

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
  /** Users whose transactions changed: their whole current list (seeded ones included). */
  readonly #changed = new Map<string, SimTransaction[]>();
  readonly #applied = new WeakSet<AggregationRun>();
  readonly #draws: FixtureDraws;

  constructor(
    private readonly seedData: SeedData,
    private readonly members: MemberRegistry,
    seed: number,
  ) {
    this.#draws = createFixtureDraws(seed);
  }

  /** The user's transactions as they stand now (call `settle` first). */
  transactionsOf(userId: string): SimTransaction[] {
    return this.#changed.get(userId) ?? readDataOf(this.seedData, userId).transactions;
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
    const userId = member.owner.id;
    const list = [...this.transactionsOf(userId)];
    const own = list.filter((transaction) => transaction.memberGuid === member.guid);
    // Updates first, among what existed before this run: the newest first, as recent transactions are what post.
    const updatable = [...own].sort((a, b) => b.updatedAt - a.updatedAt || a.guid.localeCompare(b.guid));
    for (const previous of updatable.slice(0, run.script.transactions.update)) {
      const index = list.indexOf(previous);
      list[index] = {
        ...previous,
        amount: Math.round((previous.amount + this.#draws.amount(0.01, 5)) * 100) / 100,
        status: 'POSTED',
        postedAt: previous.postedAt ?? at,
        updatedAt: at,
      };
    }
    const accountGuid = own[0]?.accountGuid ?? `ACT-${member.guid.slice(4)}`;
    for (let i = 0; i < run.script.transactions.add; i++) {
      list.push({
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
    this.#changed.set(userId, list);
  }
}
