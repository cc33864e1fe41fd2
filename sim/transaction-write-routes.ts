import { dayOf, startOfDay, HOUR_MS } from './calendar.ts';
import type { SimUser } from './members.ts';
import { MxError } from './mx-errors.ts';
import type { MxRoute } from './mx-endpoint.ts';
import { pfmEndpoint } from './pfm-access.ts';
import {
  jsonBody,
  optionalBoolean,
  optionalMetadata,
  optionalString,
  requireSome,
  requiredAmount,
  requiredDay,
  requiredString,
  rootObject,
} from './pfm-input.ts';
import {
  UNCATEGORIZED_GUID,
  categoriesOf,
  categoryNameOf,
  findAccount,
  findTransaction,
  merchantOfDescription,
  pfmOf,
  recategorised,
  requireCategory,
  transactionsOf,
} from './pfm-store.ts';
import { isWithin, parseDayRange } from './read-filters.ts';
import type { SimTransaction } from './read-model.ts';
import { nexusTransactionView, pagedListBody } from './read-views.ts';
import type { SimulatorState } from './state.ts';
import { byDateQuery } from './transaction-routes.ts';

/**
 * One transaction read and changed, an account's transactions, manual transactions, and MX's categorizer. Nexus's
 * read and update transaction pages were not found: they follow the Platform API's (read transaction, update
 * transaction: `{"transaction":{…}}`), as does delete manual transaction (204).
 */
export function transactionWriteRoutes(state: SimulatorState): MxRoute[] {
  const view = (user: SimUser) => {
    const name = categoryNameOf(state, user);
    const merchant = merchantOfDescription(state);
    return (transaction: SimTransaction) =>
      nexusTransactionView(transaction, name(transaction.categoryGuid), merchant(transaction.description));
  };
  const one = (user: SimUser, transaction: SimTransaction) => ({ transaction: view(user)(transaction) });

  return [
    {
      methods: ['GET'],
      pattern: '/transactions/{transaction_guid}',
      handler: pfmEndpoint(state, ({ params }, user) => ({
        status: 200,
        body: one(user, findTransaction(state, user, params.transaction_guid)),
      })),
    },
    {
      methods: ['PUT'],
      pattern: '/transactions/{transaction_guid}',
      handler: pfmEndpoint(state, ({ params, body }, user) => {
        const transaction = findTransaction(state, user, params.transaction_guid);
        const input = rootObject(body, 'transaction');
        requireSome(input, 'transaction', ['category_guid', 'description', 'memo', 'metadata', 'is_hidden']);
        const categoryGuid = optionalString(input, 'transaction', 'category_guid');
        const description = optionalString(input, 'transaction', 'description');
        const memo = input.memo === null ? null : optionalString(input, 'transaction', 'memo');
        const metadata = optionalMetadata(input, 'transaction');
        const isHidden = optionalBoolean(input, 'transaction', 'is_hidden');
        let updated: SimTransaction = { ...transaction, updatedAt: state.clock.now() };
        if (categoryGuid !== undefined)
          updated = recategorised(updated, requireCategory(state, user, categoryGuid, 'transaction.category_guid'));
        if (description !== undefined) updated.description = description;
        if (memo !== undefined) updated.memo = memo;
        if (metadata !== undefined) updated.metadata = metadata;
        if (isHidden !== undefined) updated.isHidden = isHidden;
        state.transactions.edit(user, updated);
        return { status: 200, body: one(user, updated) };
      }),
    },
    {
      methods: ['GET'],
      pattern: '/accounts/{account_guid}/transactions',
      handler: pfmEndpoint(state, ({ params, query }, user) => {
        const account = findAccount(state, user, params.account_guid);
        const inRange = byDateQuery(query, state.clock.now());
        const kept = transactionsOf(state, user).filter((t) => t.accountGuid === account.guid && inRange(t));
        return { status: 200, body: pagedListBody('transactions', kept, view(user), query) };
      }),
    },
    {
      methods: ['GET'],
      pattern: '/accounts/{account_guid}/transactions/created_between/{start_date}/{end_date}',
      handler: pfmEndpoint(state, ({ params, query }, user) => {
        const account = findAccount(state, user, params.account_guid);
        const range = parseDayRange(params.start_date, params.end_date);
        const kept = transactionsOf(state, user).filter(
          (t) => t.accountGuid === account.guid && isWithin(dayOf(t.createdAt), range),
        );
        return { status: 200, body: pagedListBody('transactions', kept, view(user), query) };
      }),
    },
    {
      // The Platform API's create manual transaction: amount, date, description and type required; manual accounts only.
      methods: ['POST'],
      pattern: '/accounts/{account_guid}/transactions',
      handler: pfmEndpoint(state, ({ params, body }, user) => {
        const account = findAccount(state, user, params.account_guid);
        if (!account.isManual)
          throw new MxError(400, 'account_guid must name a manual account: transactions can only be created on manual accounts.');
        const input = rootObject(body, 'transaction');
        const amount = requiredAmount(input, 'transaction', 'amount');
        const date = requiredDay(input, 'transaction', 'date');
        const description = requiredString(input, 'transaction', 'description');
        const type = requiredString(input, 'transaction', 'type');
        if (type !== 'DEBIT' && type !== 'CREDIT') throw new MxError(400, 'transaction.type must be DEBIT or CREDIT.');
        const categoryGuid = optionalString(input, 'transaction', 'category_guid');
        const category = requireCategory(state, user, categoryGuid ?? UNCATEGORIZED_GUID, 'transaction.category_guid');
        const memo = input.memo === null ? null : (optionalString(input, 'transaction', 'memo') ?? null);
        const now = state.clock.now();
        const transaction: SimTransaction = recategorised(
          {
            guid: pfmOf(state, user).draws.newGuid('TRN'),
            accountGuid: account.guid,
            memberGuid: account.memberGuid,
            userGuid: user.guid,
            amount,
            type,
            status: 'POSTED',
            date,
            transactedAt: startOfDay(date) + 12 * HOUR_MS,
            postedAt: startOfDay(date) + 12 * HOUR_MS,
            createdAt: now,
            updatedAt: now,
            description,
            categoryGuid: category.guid,
            topLevelCategoryGuid: category.guid,
            memo,
            metadata: optionalMetadata(input, 'transaction') ?? null,
            isHidden: optionalBoolean(input, 'transaction', 'is_hidden') ?? false,
          },
          category,
        );
        state.transactions.addManual(user, transaction);
        return { status: 200, body: one(user, transaction) };
      }),
    },
    {
      methods: ['DELETE'],
      pattern: '/accounts/{account_guid}/transactions/{transaction_guid}',
      handler: pfmEndpoint(state, ({ params }, user) => {
        const account = findAccount(state, user, params.account_guid);
        const transaction = findTransaction(state, user, params.transaction_guid);
        if (transaction.accountGuid !== account.guid) throw new MxError(404, 'Transaction not found.');
        if (!account.isManual)
          throw new MxError(400, 'transaction_guid must name a manual transaction: only those can be deleted.');
        state.transactions.remove(user, transaction.guid);
        return { status: 204, body: undefined };
      }),
    },
    {
      /**
       * MX's categorize transactions: `{"transactions":[{amount, description, external_guid, memo, user_guid}]}`. Its
       * example answers one "transaction" to a list, so the simulator answers the list, one per request, in order:
       * the user's rules first, then a merchant the description names, else Uncategorized.
       */
      methods: ['POST'],
      pattern: '/transactions/categorize_and_describe',
      handler: pfmEndpoint(state, ({ body }, user) => {
        const input = jsonBody(body).transactions;
        if (!Array.isArray(input) || input.length === 0) throw new MxError(400, 'transactions must be a non-empty array.');
        const categories = new Map(categoriesOf(state, user).map((category) => [category.guid, category]));
        const rules = pfmOf(state, user).rules;
        const merchants = state.seedData.categories.flatMap((category) =>
          category.merchants.map((merchant) => ({ merchant, category: category.guid })),
        );
        const answers = input.map((raw, index) => {
          const root = `transactions[${index}]`;
          if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new MxError(400, `${root} must be an object.`);
          const item = raw as Record<string, unknown>;
          const amount = requiredAmount(item, root, 'amount', { min: -1e12 });
          const description = requiredString(item, root, 'description');
          const lower = description.toLowerCase();
          const rule = rules.find((candidate) => lower.includes(candidate.matchDescription.toLowerCase()));
          const merchant = merchants.find((candidate) => lower.includes(candidate.merchant.toLowerCase()));
          const categoryGuid = rule?.categoryGuid ?? merchant?.category ?? UNCATEGORIZED_GUID;
          const category = categories.get(categoryGuid)!;
          return {
            amount,
            category_guid: category.guid,
            category_name: category.name,
            description: rule?.description ?? merchant?.merchant ?? description,
            external_guid: optionalString(item, root, 'external_guid') ?? null,
            is_expense: !category.isIncome,
            is_income: category.isIncome,
            memo: optionalString(item, root, 'memo') ?? null,
            original_description: description,
            top_level_category_guid: category.parentGuid ?? category.guid,
            user_guid: user.guid,
          };
        });
        return { status: 200, body: { transactions: answers } };
      }),
    },
  ];
}
