import { accountBook, balanceWindow, monthlyBalances } from './account-book.ts';
import type { JsonObject } from './input-validation.ts';
import { memberOfUser } from './member-routes.ts';
import { MxError } from './mx-errors.ts';
import type { MxRoute } from './mx-endpoint.ts';
import { filterByUseCase, parseUseCaseFilter } from './read-filters.ts';
import type { AccountType, SimAccount } from './read-model.ts';
import { accountView, pagedListBody } from './read-views.ts';
import { userEndpoint } from './session-routes.ts';
import type { SimulatorState } from './state.ts';
import {
  jsonObjectBody,
  optionalAmount,
  optionalBoolean,
  optionalString,
  requiredAmount,
  requiredString,
  rootedBody,
} from './write-bodies.ts';

const ACCOUNT_TYPES: readonly AccountType[] = ['CHECKING', 'SAVINGS', 'CREDIT_CARD', 'CASH', 'INVESTMENT'];
const ACCOUNT_TYPE_BY_CODE: Record<number, AccountType> = {
  1: 'CHECKING',
  2: 'SAVINGS',
  4: 'CREDIT_CARD',
  5: 'INVESTMENT',
  9: 'CASH',
};

/** `account_type` (a code or a name, as MX's account fields give both) or `type`, the simulator's name for it. */
function accountTypeOf(input: JsonObject): AccountType | undefined {
  const raw = input.account_type ?? input.type;
  if (raw === undefined) return undefined;
  const type = typeof raw === 'number' ? ACCOUNT_TYPE_BY_CODE[raw] : ACCOUNT_TYPES.find((name) => name === raw);
  if (!type) throw new MxError(400, `account_type must be one of ${ACCOUNT_TYPES.join(', ')} (or its code).`);
  return type;
}

/** What an update may change on any account (MX's update account: hidden, metadata) and, on a manual one, the rest. */
function accountChanges(input: JsonObject, account: SimAccount): Partial<SimAccount> {
  const changes: Partial<SimAccount> = {};
  const isHidden = optionalBoolean(input, 'is_hidden');
  if (isHidden !== undefined) changes.isHidden = isHidden;
  const metadata = optionalString(input, 'metadata', { max: 10_000, nullable: true });
  if (metadata !== undefined) changes.metadata = metadata;

  const manualOnly: Partial<SimAccount> = {};
  const name = optionalString(input, 'name');
  if (name) manualOnly.name = name;
  const type = accountTypeOf(input);
  if (type) manualOnly.type = type;
  const balance = optionalAmount(input, 'balance');
  if (typeof balance === 'number') manualOnly.balance = balance;
  const available = optionalAmount(input, 'available_balance');
  if (typeof available === 'number') manualOnly.availableBalance = available;
  const creditLimit = optionalAmount(input, 'credit_limit', { min: 0, nullable: true });
  if (creditLimit !== undefined) manualOnly.creditLimit = creditLimit;
  const isClosed = optionalBoolean(input, 'is_closed');
  if (isClosed !== undefined) manualOnly.isClosed = isClosed;
  const [field] = Object.keys(manualOnly);
  if (field !== undefined && !account.isManual) {
    // MX lets a user change an aggregated account's own data only through its institution.
    const named =
      { type: 'account_type', availableBalance: 'available_balance', creditLimit: 'credit_limit', isClosed: 'is_closed' }[
        field
      ] ?? field;
    throw new MxError(400, `${named} can only be changed on a manual account.`);
  }
  // A balance given alone moves the available balance with it, as a manual account has nothing pending.
  if (manualOnly.balance !== undefined && manualOnly.availableBalance === undefined && manualOnly.creditLimit === undefined) {
    manualOnly.availableBalance = account.creditLimit === null ? manualOnly.balance : account.creditLimit - manualOnly.balance;
  }
  return { ...changes, ...manualOnly };
}

/**
 * Nexus accounts. Lists take `use_case` and paging; `user_created` lists the end user's manual accounts,
 * `partner_created` the aggregated ones. Writes (update, create and delete manual accounts, merge, block) change what
 * every later account read shows (account-book.ts). Accounts serve every use case, so these are plain user endpoints.
 */
export function accountRoutes(state: SimulatorState): MxRoute[] {
  const book = accountBook(state);
  const now = () => state.clock.now();

  const accountList = (pattern: string, keep: (account: SimAccount) => boolean): MxRoute => ({
    methods: ['GET'],
    pattern,
    handler: userEndpoint(state, ({ query }, user) => {
      const useCase = parseUseCaseFilter(query);
      const accounts = book.accountsOf(user).filter(keep);
      const kept = filterByUseCase(accounts, state.members.membersOf(user), useCase);
      return { status: 200, body: pagedListBody('accounts', kept, accountView, query) };
    }),
  });

  return [
    accountList('/accounts', () => true),
    accountList('/accounts/partner_created', (account) => !account.isManual),
    accountList('/accounts/user_created', (account) => account.isManual),
    {
      // Nexus's page not found (UNCONFIRMED): Platform's list accounts by member, without /users, paged.
      methods: ['GET'],
      pattern: '/members/{member_guid}/accounts',
      handler: userEndpoint(state, ({ params, query }, user) => {
        const member = memberOfUser(state, user, params.member_guid);
        const accounts = book.accountsOf(user).filter((account) => account.memberGuid === member.guid);
        return { status: 200, body: pagedListBody('accounts', accounts, accountView, query) };
      }),
    },
    {
      // Nexus's create manual accounts: `{"account":{name, account_type, balance, …}}` (Platform's fields; Nexus's page
      // shows only a cut-off answer). The account is the user's own, at MX's Manual Institution member.
      methods: ['POST'],
      pattern: '/accounts',
      handler: userEndpoint(state, ({ body }, user) => {
        const input = rootedBody(body, 'account');
        const name = requiredString(input, 'name');
        const type = accountTypeOf(input);
        if (!type) throw new MxError(400, 'account_type is required.');
        const balance = requiredAmount(input, 'balance');
        const creditLimit = optionalAmount(input, 'credit_limit', { min: 0, nullable: true }) ?? null;
        const available = optionalAmount(input, 'available_balance');
        const account = book.createManual(
          user,
          {
            name,
            type,
            balance,
            availableBalance: typeof available === 'number' ? available : creditLimit === null ? balance : creditLimit - balance,
            creditLimit,
            ...(input.metadata === undefined
              ? {}
              : { metadata: optionalString(input, 'metadata', { max: 10_000, nullable: true }) ?? null }),
            ...(input.is_hidden === undefined ? {} : { isHidden: optionalBoolean(input, 'is_hidden') ?? false }),
          },
          now(),
        );
        return { status: 200, body: { account: accountView(account) } };
      }),
    },
    {
      // Nexus's merge duplicate accounts: `{"accounts":[guid, guid]}`, not rooted. Both the user's; at least one from a
      // member the user manages (a manual account, at MX's Manual Institution member). A partner-managed one remains;
      // of two manual ones, the older. The answer is the remaining account (MX's page; its example did not render).
      methods: ['PUT'],
      pattern: '/accounts/merge',
      handler: userEndpoint(state, ({ body }, user) => {
        const { accounts } = jsonObjectBody(body);
        if (!Array.isArray(accounts) || accounts.length !== 2 || !accounts.every((guid) => typeof guid === 'string')) {
          throw new MxError(400, 'accounts must hold exactly two account guids.');
        }
        if (accounts[0] === accounts[1]) throw new MxError(400, 'accounts must hold two different account guids.');
        const [one, other] = accounts.map((guid: string) => book.accountOf(user, guid)) as [SimAccount, SimAccount];
        if (!one.isManual && !other.isManual) {
          throw new MxError(400, 'accounts: at least one account must be from a member managed by the user.');
        }
        const [remaining, merged] =
          one.isManual !== other.isManual
            ? one.isManual
              ? [other, one]
              : [one, other]
            : one.createdAt < other.createdAt || (one.createdAt === other.createdAt && one.guid < other.guid)
              ? [one, other]
              : [other, one];
        return { status: 200, body: { account: accountView(book.merge(remaining, merged, now())) } };
      }),
    },
    {
      // Nexus's page not found (UNCONFIRMED): Platform's read account, without /users.
      methods: ['GET'],
      pattern: '/accounts/{account_guid}',
      handler: userEndpoint(state, ({ params }, user) => ({
        status: 200,
        body: { account: accountView(book.accountOf(user, params.account_guid)) },
      })),
    },
    {
      // Nexus's page not found (UNCONFIRMED): Platform's update account, `{"account":{…}}`. Any account: is_hidden,
      // metadata; a manual one also name, account_type, balance, available_balance, credit_limit, is_closed.
      methods: ['PUT'],
      pattern: '/accounts/{account_guid}',
      handler: userEndpoint(state, ({ params, body }, user) => {
        const account = book.accountOf(user, params.account_guid);
        const updated = book.update(account, accountChanges(rootedBody(body, 'account'), account), now());
        return { status: 200, body: { account: accountView(updated) } };
      }),
    },
    {
      // Nexus's page not found (UNCONFIRMED): Platform's delete manual account, 204. Only manual accounts.
      methods: ['DELETE'],
      pattern: '/accounts/{account_guid}',
      handler: userEndpoint(state, ({ params }, user) => {
        const account = book.accountOf(user, params.account_guid);
        if (!account.isManual) throw new MxError(400, 'Only manually created accounts can be deleted.');
        book.delete(account);
        return { status: 204, body: undefined };
      }),
    },
    {
      // Nexus's block an account: MX's 400 on a manual account, as its page words it. Its answer did not render; the
      // simulator answers 204 (UNCONFIRMED), and the account (with its holdings) reads as gone from then on.
      methods: ['PUT'],
      pattern: '/accounts/{account_guid}/block',
      handler: userEndpoint(state, ({ params }, user) => {
        const account = book.accountOf(user, params.account_guid);
        if (account.isManual) throw new MxError(400, 'Manually created accounts cannot be blocked');
        book.block(account);
        return { status: 204, body: undefined };
      }),
    },
    {
      // Nexus's list account balances by month (singular path, plural root, as its page has them); not paged.
      methods: ['GET'],
      pattern: '/accounts/{account_guid}/monthly_account_balance',
      handler: userEndpoint(state, ({ params, query }, user) => {
        const account = book.accountOf(user, params.account_guid);
        const window = balanceWindow(query, now());
        return {
          status: 200,
          body: {
            monthly_account_balances: monthlyBalances(account, book.transactionsOf(user, account), window).map((entry) => ({
              account_guid: account.guid,
              balance: entry.balance,
              month: entry.month,
              transaction_total: entry.transactionTotal,
              user_guid: account.userGuid,
              year: entry.year,
            })),
          },
        };
      }),
    },
  ];
}
