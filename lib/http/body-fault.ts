const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * A lone surrogate (DynamoDB refuses it, though dynalite stores it), or nesting past `maxDepth`. Walked without
 * recursion, as a body may be nested deeper than the stack.
 */
export function bodyFault(body: unknown, maxDepth: number): { field: string; detail: string } | undefined {
  const unicode = (path: string) => ({
    field: path === 'body' ? path : path.slice('body.'.length),
    detail: `${path}: must be valid Unicode (a lone surrogate such as \\ud800 is not).`,
  });
  const pending: [unknown, string, number][] = [[body, 'body', 0]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [value, path, depth] = next;
    if (typeof value === 'string') {
      if (LONE_SURROGATE.test(value)) return unicode(path);
    } else if (value !== null && typeof value === 'object') {
      if (depth === maxDepth) return { field: 'body', detail: `body: must not be nested more than ${maxDepth} levels deep.` };
      for (const [key, inner] of Object.entries(value)) {
        if (LONE_SURROGATE.test(key)) return unicode(path);
        pending.push([inner, `${path}.${key}`, depth + 1]);
      }
    }
  }
  return undefined;
}
