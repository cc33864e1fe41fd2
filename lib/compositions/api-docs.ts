import { API_DOCS_ROUTES } from '../api-docs/api-docs-routes.ts';
import { httpHandler } from './http-handler.ts';
import { type Given, type RuntimeConfig, runtimeOf } from './runtime.ts';

/** api-docs: the OpenAPI document and the operator console. */
export function composeApiDocs(config: RuntimeConfig, given?: Given) {
  const runtime = runtimeOf(config, given);
  return { handler: httpHandler(runtime, API_DOCS_ROUTES, {}), runtime };
}
