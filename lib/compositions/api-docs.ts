import { API_DOCS_ROUTES } from '../api-docs/api-docs-routes.ts';
import type { Config } from '../config.ts';
import { operationsOf } from '../http/route.ts';
import { httpHandler } from './http-handler.ts';
import { type Given, runtimeOf } from './runtime.ts';

/** api-docs: the OpenAPI document and the operator console. */
export function composeApiDocs(config: Config, given?: Given) {
  const runtime = runtimeOf(config, given);
  return { handler: httpHandler(runtime, operationsOf(API_DOCS_ROUTES, {})), runtime };
}
