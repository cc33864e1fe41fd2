import { compilePathTemplate, type PathTemplate } from '../path-template.ts';
import type { HttpRequest } from './route.ts';
import { HttpProblem } from './problem.ts';
import { ROUTE_TEMPLATES } from './route-templates.generated.ts';

/** Generated, so api-fallback loads neither the slices nor the document. Compiled at the first request, not the cold start. */
let templates: { method: string; path: PathTemplate }[] | undefined;

/** HttpApi's `$default` (api-fallback): unknown routes (404) and known paths with the wrong method (405), as problem+json. */
export async function answerUnrouted(request: HttpRequest): Promise<never> {
  templates ??= ROUTE_TEMPLATES.map(([method, path]) => ({ method, path: compilePathTemplate(path) }));
  const allowed = templates.filter((t) => t.path.match(request.path) !== undefined).map((t) => t.method);
  if (allowed.length > 0) {
    throw new HttpProblem('method_not_allowed', `${request.method} is not supported here; use ${allowed.join(', ')}.`, {
      headers: { allow: allowed.join(', ') },
    });
  }
  // A doubled slash names no route: say which it meant.
  const meant = request.path.replace(/\/{2,}/g, '/');
  const hint =
    meant !== request.path && templates.some((t) => t.method === request.method && t.path.match(meant) !== undefined)
      ? ` The path has an empty segment (//): did you mean ${meant}?`
      : '';
  throw new HttpProblem('route_not_found', `No route for ${request.method} ${request.path}.${hint}`);
}
