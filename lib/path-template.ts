/** A route path such as `/users/{user_id}/jobs`, compiled once. */
export interface PathTemplate {
  template: string;
  names: string[];
  /** The segment values by name (still percent-encoded) when `path` matches, undefined otherwise. */
  match(path: string): Record<string, string> | undefined;
}

const PARAMETER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const escapeLiteral = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The `{name}`s of `template`, in order. */
export const parameterNames = (template: string): string[] => [...template.matchAll(PARAMETER)].map((found) => found[1]!);

/** `valueOf` encodes each value, or throws when it cannot be used. */
export const expandPathTemplate = (template: string, valueOf: (name: string) => string): string =>
  template.replace(PARAMETER, (_, name: string) => valueOf(name));

/** The one path-template compiler: literals match only themselves (`.` too), a parameter one non-empty segment. */
export function compilePathTemplate(template: string): PathTemplate {
  const names: string[] = [];
  let source = '';
  let last = 0;
  for (const parameter of template.matchAll(PARAMETER)) {
    source += escapeLiteral(template.slice(last, parameter.index)) + '([^/]+)';
    names.push(parameter[1]!);
    last = parameter.index! + parameter[0].length;
  }
  source += escapeLiteral(template.slice(last));
  const pattern = new RegExp(`^${source}$`);
  return {
    template,
    names,
    match(path) {
      const found = pattern.exec(path);
      return found ? Object.fromEntries(names.map((name, i) => [name, found[i + 1]!])) : undefined;
    },
  };
}
