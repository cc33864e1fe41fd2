export interface Route<Handler> {
  methods: readonly string[];
  /** Literal segments and `{name}` parameters, e.g. `/members/{member_guid}`; also the route's name in stats. */
  pattern: string;
  /** A suffix the path may carry without changing the route, e.g. `.json` on the SSO API. */
  optionalSuffix?: string;
  handler: Handler;
}

export type RouteMatch<Handler> =
  | { kind: 'matched'; route: Route<Handler>; params: Record<string, string> }
  | { kind: 'method-not-allowed'; route: Route<Handler> }
  | { kind: 'not-found' };

interface CompiledRoute<Handler> {
  route: Route<Handler>;
  regex: RegExp;
  paramNames: string[];
}

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function compile<Handler>(route: Route<Handler>): CompiledRoute<Handler> {
  const paramNames: string[] = [];
  const body = route.pattern
    .split(/(\{[a-z_]+\})/)
    .map((part) => {
      const param = /^\{([a-z_]+)\}$/.exec(part);
      if (!param) return escapeRegex(part);
      paramNames.push(param[1]!);
      // Lazy where the route takes a suffix: `/users/{user_id}` with `.json` gives `u1`, not `u1.json`.
      return route.optionalSuffix ? '([^/]+?)' : '([^/]+)';
    })
    .join('');
  const suffix = route.optionalSuffix ? `(?:${escapeRegex(route.optionalSuffix)})?` : '';
  return { route, regex: new RegExp(`^${body}${suffix}$`), paramNames };
}

/** Parameters are percent-decoded; a segment that does not decode matches nothing. */
function decodeParams(values: string[], names: string[]): Record<string, string> | null {
  const params: Record<string, string> = {};
  try {
    names.forEach((name, index) => {
      params[name] = decodeURIComponent(values[index] ?? '');
    });
  } catch {
    return null;
  }
  return params;
}

export function createRouter<Handler>(routes: readonly Route<Handler>[]) {
  const compiled = routes.map(compile);
  return (method: string, path: string): RouteMatch<Handler> => {
    let pathMatched: Route<Handler> | undefined;
    const allowed = new Set<string>();
    for (const { route, regex, paramNames } of compiled) {
      const match = regex.exec(path);
      if (!match) continue;
      const params = decodeParams(match.slice(1), paramNames);
      if (!params) continue;
      if (route.methods.includes(method)) return { kind: 'matched', route, params };
      pathMatched ??= route;
      for (const allowedMethod of route.methods) allowed.add(allowedMethod);
    }
    // A path several routes serve (one per method) allows every method of them.
    return pathMatched
      ? { kind: 'method-not-allowed', route: { ...pathMatched, methods: [...allowed].sort() } }
      : { kind: 'not-found' };
  };
}

/** The name a request is counted under: `<METHOD> <pattern>`. */
export const routeKey = (method: string, match: RouteMatch<unknown>): string =>
  `${method} ${match.kind === 'not-found' ? '(unmatched)' : match.route.pattern}`;
