import type { MxRoute } from './mx-endpoint.ts';
import { filterByUseCase, parseUseCaseFilter } from './read-filters.ts';
import type { SimAccount } from './read-model.ts';
import { accountView, pagedListBody } from './read-views.ts';
import { userEndpoint } from './session-routes.ts';
import type { SimulatorState } from './state.ts';

/**
 * Nexus account lists, each taking `use_case` and paging. `user_created` lists the end user's manual accounts;
 * `partner_created` the rest, the aggregated ones.
 */
export function accountRoutes(state: SimulatorState): MxRoute[] {
  const accountList = (pattern: string, keep: (account: SimAccount) => boolean): MxRoute => ({
    methods: ['GET'],
    pattern,
    handler: userEndpoint(state, ({ query }, user) => {
      const useCase = parseUseCaseFilter(query);
      const accounts = state.readSide.accountsOf(user).filter(keep);
      const kept = filterByUseCase(accounts, state.members.membersOf(user), useCase);
      return { status: 200, body: pagedListBody('accounts', kept, accountView, query) };
    }),
  });

  return [
    accountList('/accounts', () => true),
    accountList('/accounts/partner_created', (account) => !account.isManual),
    accountList('/accounts/user_created', (account) => account.isManual),
  ];
}
