import { FUNCTIONS, apiModuleOf, type HttpFunctionName } from '../../lib/http/routes.ts';
import type { Operations } from '../../lib/http/http-handler.ts';
import type { OperationsDocs } from '../../lib/http/openapi/operation-docs.ts';
import { getServices, type Services } from '../../lib/services/container.ts';

export interface ApiModule {
  /** The function's operations, composed with the container's services (nothing is called until one runs). */
  operations: Operations;
  docs?: OperationsDocs;
}

/**
 * Each HTTP function's lib/api module, its operations composed as the function composes them. The environment must
 * hold a valid configuration (set it before calling).
 */
export async function loadApiModules(): Promise<Record<HttpFunctionName, ApiModule>> {
  const services = getServices();
  const load = async (fn: HttpFunctionName) => {
    const module = (await import(`../../lib/api/${apiModuleOf(fn)}.ts`)) as {
      operations: (services: Services) => Operations;
      docs?: () => OperationsDocs;
    };
    return [fn, { operations: module.operations(services), docs: module.docs?.() }] as const;
  };
  return Object.fromEntries(await Promise.all(FUNCTIONS.map(load))) as Record<HttpFunctionName, ApiModule>;
}
