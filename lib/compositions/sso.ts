import type { Dispatcher } from 'undici';
import { createSsoClient } from '../mx/create-mx-clients.ts';
import type { SsoClient } from '../mx/sso.ts';
import type { Runtime } from './runtime.ts';

/** MX's SSO API for the partner's own calls (widget URLs, users): no session, so no session key. */
export function ssoClientOf({ config, clock, log, metrics, given }: Runtime, dispatcher?: Dispatcher): SsoClient {
  return createSsoClient(config.mx, { clock, log, metrics, dispatcher: dispatcher ?? given.mxDispatchers?.sso });
}
