import { DEFAULT_ROUTE_KEY, ROUTES } from '../http/routes.ts';
import type { Operations } from '../http/http-handler.ts';
import { compilePathTemplate } from '../path-template.ts';
import { HttpProblem } from '../http/problem.ts';

const templates = ROUTES.map((route) => ({ method: route.method, path: compilePathTemplate(route.path) }));

/** API Gateway's catch-all: answers unknown routes (404) and known paths with the wrong method (405) as problem+json. */
export const operations = (): Operations => ({
  [DEFAULT_ROUTE_KEY]: {
    auth: 'none',
    query: 'ignored',
    async handle(request) {
      const allowed = templates.filter((t) => t.path.match(request.path) !== undefined).map((t) => t.method);
      if (allowed.length > 0) {
        throw new HttpProblem('method_not_allowed', `${request.method} is not supported here; use ${allowed.join(', ')}.`, {
          headers: { allow: allowed.join(', ') },
        });
      }
      throw new HttpProblem('route_not_found', `No route for ${request.method} ${request.path}.`);
    },
  },
});
