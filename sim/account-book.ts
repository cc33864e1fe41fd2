import { DAY_MS, type Day, dayOf, monthContaining, startOfDay } from './calendar.ts';
import type { SimUser } from './members.ts';
import { MxError } from './mx-errors.ts';
import { parseDayRange } from './read-filters.ts';
import type { SimAccount, SimHolding, SimTransaction } from './read-model.ts';
import { readDataOf } from './seed-data.ts';
import type { SimulatorState } from './state.ts';

/**
 * The end user's changes to accounts: manual accounts created and deleted, updates, merges and blocks. Kept beside
 * the simulator's state, keyed by it, over what the read side generates (seeded and scripted members' accounts), so
 * every account list and read of the MX side shows them; `/_sim/users` and the other read routes keep the read side's.
 */
export class AccountBook {
  /** Manual accounts created through `POST /accounts`, per user id, oldest first. */
  readonly #created = new Map<string, SimAccount[]>();
  /** Each user's Manual Institution member (MX's): where their created manual accounts live. */
  readonly #manualMembers = new Map<string, string>();
  /** Fields an update changed, by account guid. */
  readonly #patches = new Map<string, Partial<SimAccount>>();
  /** Accounts gone: deleted, blocked or merged into another. */
  readonly #removed = new Set<string>();
  readonly #blocked = new Set<string>();
  /** A merged-away account → the account that remained. */
  readonly #mergedInto = new Map<string, string>();

  constructor(private readonly state: SimulatorState) {}

  /** The user's accounts as they stand: by member, then creation; created manual accounts last. */
  accountsOf(user: SimUser): SimAccount[] {
    const base = [...this.state.readSide.accountsOf(user), ...(this.#created.get(user.id) ?? [])];
    return base.filter((account) => !this.#removed.has(account.guid)).map((account) => this.#patched(account));
  }

  /** The user's account `guid`; another user's, or one gone, is not found. */
  accountOf(user: SimUser, guid: string | undefined): SimAccount {
    const account = this.accountsOf(user).find((candidate) => candidate.guid === guid);
    if (!account) throw new MxError(404, 'Account not found.');
    return account;
  }

  #patched(account: SimAccount): SimAccount {
    const patch = this.#patches.get(account.guid);
    return patch ? { ...account, ...patch } : account;
  }

  update(account: SimAccount, changes: Partial<SimAccount>, at: number): SimAccount {
    this.#patches.set(account.guid, { ...this.#patches.get(account.guid), ...changes, updatedAt: at });
    return this.#patched(account);
  }

  /** A manual account at the user's Manual Institution member (made on first need, from the guid stream). */
  createManual(
    user: SimUser,
    fields: Pick<SimAccount, 'name' | 'type' | 'balance' | 'availableBalance' | 'creditLimit'> & Partial<SimAccount>,
    at: number,
  ): SimAccount {
    let memberGuid = this.#manualMembers.get(user.id);
    if (memberGuid === undefined) {
      memberGuid = this.state.newGuid('MBR');
      this.#manualMembers.set(user.id, memberGuid);
    }
    const account: SimAccount = {
      guid: this.state.newGuid('ACT'),
      memberGuid,
      userGuid: user.guid,
      isManual: true,
      accountNumber: null,
      createdAt: at,
      updatedAt: at,
      ...fields,
    };
    const created = this.#created.get(user.id) ?? [];
    created.push(account);
    this.#created.set(user.id, created);
    return account;
  }

  delete(account: SimAccount): void {
    this.#removed.add(account.guid);
  }

  /** MX deletes the account's data and keeps it from coming back: it reads as gone from then on. */
  block(account: SimAccount): void {
    this.#removed.add(account.guid);
    this.#blocked.add(account.guid);
  }

  /** `merged` is folded into `remaining`: its transactions and holdings count as the remaining account's. */
  merge(remaining: SimAccount, merged: SimAccount, at: number): SimAccount {
    this.#removed.add(merged.guid);
    this.#mergedInto.set(merged.guid, remaining.guid);
    return this.update(remaining, {}, at);
  }

  /** The account a (possibly merged-away) account guid now belongs to; null when it was deleted or blocked. */
  resolve(guid: string): string | null {
    let current = guid;
    for (let next = this.#mergedInto.get(current); next !== undefined; next = this.#mergedInto.get(current)) current = next;
    return this.#removed.has(current) ? null : current;
  }

  /** The transactions of the account, those of accounts merged into it included. */
  transactionsOf(user: SimUser, account: SimAccount): SimTransaction[] {
    return this.state.transactions
      .transactionsOf(user)
      .filter((transaction) => this.resolve(transaction.accountGuid) === account.guid);
  }

  /** The user's holdings, on the accounts they now belong to; those of a blocked or deleted account are gone. */
  holdingsOf(user: SimUser): SimHolding[] {
    return readDataOf(this.state.seedData, user.id).holdings.flatMap((holding) => {
      const accountGuid = this.resolve(holding.accountGuid);
      if (accountGuid === null) return [];
      return [accountGuid === holding.accountGuid ? holding : { ...holding, accountGuid }];
    });
  }
}

const books = new WeakMap<SimulatorState, AccountBook>();

/** The simulator's account book, made on first use. */
export function accountBook(state: SimulatorState): AccountBook {
  let book = books.get(state);
  if (!book) {
    book = new AccountBook(state);
    books.set(state, book);
  }
  return book;
}

export interface MonthlyBalance {
  year: number;
  month: number;
  /** The balance at the end of the month (now, for the current month). */
  balance: number;
  /** What the month's transactions did to the balance: this month's balance less the month before's. */
  transactionTotal: number;
}

const cents = (value: number) => Math.round(value * 100) / 100;

/**
 * MX's window for list account balances by month: `from_date` defaults to 120 days ago and `to_date` to 5 days ahead
 * (MX's page, in its transaction wording); either given must be a real `YYYY-MM-DD` day, from not after to.
 */
export function balanceWindow(query: URLSearchParams, now: number): { start: Day; end: Day } {
  return parseDayRange(query.get('from_date') ?? dayOf(now - 120 * DAY_MS), query.get('to_date') ?? dayOf(now + 5 * DAY_MS), [
    'from_date',
    'to_date',
  ]);
}

/**
 * One entry per calendar month the window touches, oldest first. Balances are worked back from the account's
 * balance now through its transactions: a CREDIT raises an asset account's balance and lowers a card's (what is owed),
 * a DEBIT the reverse. So each month's balance less the previous month's is its `transactionTotal`.
 */
export function monthlyBalances(
  account: SimAccount,
  transactions: readonly SimTransaction[],
  window: { start: Day; end: Day },
): MonthlyBalance[] {
  const owed = account.type === 'CREDIT_CARD';
  const effect = (transaction: SimTransaction) =>
    (transaction.type === 'CREDIT') !== owed ? transaction.amount : -transaction.amount;
  const months: MonthlyBalance[] = [];
  const first = new Date(startOfDay(window.start));
  const last = new Date(startOfDay(window.end));
  const count = (last.getUTCFullYear() - first.getUTCFullYear()) * 12 + last.getUTCMonth() - first.getUTCMonth() + 1;
  for (let index = 0; index < count; index++) {
    const { firstDay, lastDay } = monthContaining(startOfDay(window.end), count - 1 - index);
    const after = transactions.filter((transaction) => transaction.date > lastDay);
    const within = transactions.filter((transaction) => transaction.date >= firstDay && transaction.date <= lastDay);
    months.push({
      year: Number(firstDay.slice(0, 4)),
      month: Number(firstDay.slice(5, 7)),
      balance: cents(account.balance - after.reduce((sum, transaction) => sum + effect(transaction), 0)),
      transactionTotal: cents(within.reduce((sum, transaction) => sum + effect(transaction), 0)),
    });
  }
  return months;
}
