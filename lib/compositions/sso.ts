import type { Dispatcher } from 'undici';
import { createSsoClient } from '../mx/create-mx-clients.ts';
import type { SsoClient } from '../mx/sso.ts';
import { MxUsers } from '../connect/mx-users.ts';
import type { Runtime } from './runtime.ts';
import { secretsOf } from './secrets.ts';

/** MX's SSO API for the partner's own calls (widget URLs, users): no session, so no session key. */
export function ssoClientOf(runtime: Runtime, dispatcher?: Dispatcher): SsoClient {
  const { config, clock, log, metrics, given } = runtime;
  return createSsoClient(config.mx, {
    clock,
    log,
    metrics,
    secrets: () => secretsOf(runtime),
    dispatcher: dispatcher ?? given.mxDispatchers?.sso,
  });
}

/** The partner's SSO client and the users it makes at MX: what sessions, widget URLs and members share. */
export function mxUsersOf(runtime: Runtime, dispatcher?: Dispatcher): { sso: SsoClient; users: MxUsers } {
  const sso = ssoClientOf(runtime, dispatcher);
  return { sso, users: new MxUsers({ sso, log: runtime.log, metrics: runtime.metrics }) };
}
