import type { Dispatcher } from 'undici';
import { createMdxRealtimeClient, createSsoClient, type MxDispatchers } from '../mx/create-mx-clients.ts';
import type { MdxRealtimeClient } from '../mx/mdx-realtime.ts';
import type { SsoClient } from '../mx/sso.ts';
import type { ErasedUsers } from '../connect/erased-users.ts';
import { MxUsers } from '../connect/mx-users.ts';
import type { Runtime } from './runtime.ts';
import { secrets } from './secrets.ts';
import { mxCallBudgetOf } from './mx-call-budget.ts';
import type { TableRef } from '../store/table.ts';

/** MX's SSO API for the partner's own calls (API tokens, widget URLs): no session, so no session key. */
export function ssoClientOf(runtime: Runtime, table: TableRef, dispatcher?: Dispatcher): SsoClient {
  const { config, clock, log, metrics, given } = runtime;
  return createSsoClient(config.mx, {
    clock,
    log,
    metrics,
    budget: mxCallBudgetOf(runtime, table, 'mx-sso'),
    secrets,
    dispatcher: dispatcher ?? given.mxDispatchers?.sso,
  });
}

/** The partner's users at MX: SSO for their tokens and widget URLs, MDX Real Time to make and delete them. */
export interface MxUsersParts {
  sso: SsoClient;
  realtime: MdxRealtimeClient;
  users: MxUsers;
}

/**
 * What sessions, widget URLs, members and erasure share: the partner's SSO and MDX Real Time clients, and MxUsers,
 * which never makes a user `erased` names.
 */
export function mxUsersOf(runtime: Runtime, table: TableRef, erased: ErasedUsers, dispatchers: MxDispatchers = {}): MxUsersParts {
  const { config, clock, log, metrics, given } = runtime;
  const sso = ssoClientOf(runtime, table, dispatchers.sso);
  const realtime = createMdxRealtimeClient(config.mx, {
    clock,
    log,
    metrics,
    budget: mxCallBudgetOf(runtime, table, 'mx-realtime'),
    secrets,
    dispatcher: dispatchers.realtime ?? given.mxDispatchers?.realtime,
  });
  return { sso, realtime, users: new MxUsers({ realtime, erased, log, metrics }) };
}
