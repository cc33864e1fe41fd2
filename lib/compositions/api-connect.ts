import type { Config } from '../config.ts';
import { CONNECT_ROUTES } from '../connect/connect-routes.ts';
import { WidgetUrls } from '../connect/widget-urls.ts';
import { reconcileEnrolmentOf } from './reconcile.ts';
import { httpHandler } from './http-handler.ts';
import { mxUsersOf } from './sso.ts';
import { type Given, runtimeOf } from './runtime.ts';
import { apiKeyAccessOf } from './api-access.ts';
import { erasedUsersOf } from './erased-users.ts';
import { tableOf } from './storage.ts';

/** api-connect: widget URLs (the user made at MX when new, and put on the reconcile's schedule). */
export function composeApiConnect(config: Config, given?: Given) {
  const runtime = runtimeOf(config, given);
  const { clock, metrics } = runtime;
  const table = tableOf(config);
  const erased = erasedUsersOf(runtime, table);
  const { sso, users } = mxUsersOf(runtime, table, erased);
  const widgetUrls = new WidgetUrls({
    sso,
    users,
    served: reconcileEnrolmentOf(runtime, table),
    clock,
    metrics,
    useCasesEnabled: config.mx.useCasesEnabled,
  });
  const handler = httpHandler(runtime, CONNECT_ROUTES, { widgetUrls }, { keys: apiKeyAccessOf(runtime, table, erased) });
  return { handler, runtime, users, widgetUrls };
}
