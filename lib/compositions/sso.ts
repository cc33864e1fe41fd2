import type { Dispatcher } from 'undici';
import { createMdxRealtimeClient, createSsoClient, type MxDispatchers } from '../mx/create-mx-clients.ts';
import type { MdxRealtimeClient } from '../mx/mdx-realtime.ts';
import type { SsoClient } from '../mx/sso.ts';
import type { ErasedUsers } from '../connect/erased-users.ts';
import { MxUsers } from '../connect/mx-users.ts';
import type { Runtime } from './runtime.ts';
import { secrets } from './secrets.ts';
import { mxCallBudgetOf } from './mx-call-budget.ts';
import type { BudgetPriority } from '../mx/call-budget.ts';
import type { TableRef } from '../store/table.ts';

function partnerClientDeps(
  runtime: Runtime,
  table: TableRef,
  upstream: 'mx-sso' | 'mx-realtime',
  dispatcher?: Dispatcher,
  priority?: BudgetPriority,
) {
  const { clock, log, metrics, given } = runtime;
  const fallback = upstream === 'mx-sso' ? given.mxDispatchers?.sso : given.mxDispatchers?.realtime;
  const budget = mxCallBudgetOf(runtime, table, upstream, priority);
  return { clock, log, metrics, budget, secrets, dispatcher: dispatcher ?? fallback };
}

/** MX's SSO API for the partner's own calls (API tokens, widget URLs): no session, so no session key. */
export function ssoClientOf(runtime: Runtime, table: TableRef, dispatcher?: Dispatcher, priority?: BudgetPriority): SsoClient {
  return createSsoClient(runtime.config.mx, partnerClientDeps(runtime, table, 'mx-sso', dispatcher, priority));
}

/** MDX Real Time, where MX makes and deletes the partner's users. */
export function mdxRealtimeOf(
  runtime: Runtime,
  table: TableRef,
  dispatcher?: Dispatcher,
  priority?: BudgetPriority,
): MdxRealtimeClient {
  return createMdxRealtimeClient(runtime.config.mx, partnerClientDeps(runtime, table, 'mx-realtime', dispatcher, priority));
}

/** The partner's users at MX: SSO for their tokens and widget URLs, MDX Real Time to make and delete them. */
export interface MxUsersParts {
  sso: SsoClient;
  realtime: MdxRealtimeClient;
  users: MxUsers;
}

/** What sessions, widget URLs and members share; MxUsers never makes a user `erased` names. */
export function mxUsersOf(
  runtime: Runtime,
  table: TableRef,
  erased: ErasedUsers,
  dispatchers: MxDispatchers = {},
  priority?: BudgetPriority,
): MxUsersParts {
  const sso = ssoClientOf(runtime, table, dispatchers.sso, priority);
  const realtime = mdxRealtimeOf(runtime, table, dispatchers.realtime, priority);
  return { sso, realtime, users: new MxUsers({ realtime, erased, log: runtime.log, metrics: runtime.metrics }) };
}
