import { SourceMap } from 'node:module';

/**
 * Bundle stack frames rewritten to their sources, a map read at the first logged error rather than at every cold start as
 * `--enable-source-maps` does (decision 0015). `node:fs`/`node:url` are not imported, to keep them out of cold starts too.
 */

/** A V8 frame whose location is a file: `    at name (file:///path/x.mjs:1:2)` or `    at /path/x.mjs:1:2`. */
const FRAME = /^(\s*at (?:.+? \()?)((?:file:\/\/)?\/[^():]+?\.[cm]?js):(\d+):(\d+)(\)?)$/;

/** A function has one bundle; the bound only guards against a stack of many files. */
const MAX_MAPS = 8;
const maps = new Map<string, SourceMap | null>();

/** `stack` with every frame of a bundle that has a source map pointing at its source; other lines as they are. */
export function sourceMappedStack(stack: string): string {
  if (!stack.includes('.js:') && !stack.includes('.mjs:') && !stack.includes('.cjs:')) return stack;
  return stack
    .split('\n')
    .map((line) => mapFrame(line) ?? line)
    .join('\n');
}

/** A copy of `error` and its `cause` chain with mapped stacks, for a log line; `error` itself is left as it is. */
export function sourceMappedError<E extends Error>(error: E, depth = 0): E {
  const stack = typeof error.stack === 'string' ? sourceMappedStack(error.stack) : error.stack;
  const cause = error.cause instanceof Error && depth < 8 ? sourceMappedError(error.cause, depth + 1) : error.cause;
  if (stack === error.stack && cause === error.cause) return error;
  const copy = Object.create(Object.getPrototypeOf(error) as object) as E;
  for (const key of Object.keys(error)) (copy as Record<string, unknown>)[key] = (error as Record<string, unknown>)[key];
  return Object.assign(copy, { name: error.name, message: error.message, stack, cause });
}

function mapFrame(line: string): string | undefined {
  const frame = FRAME.exec(line);
  if (!frame) return undefined;
  const [, head, file, lineText, columnText, tail] = frame as unknown as [string, string, string, string, string, string];
  const path = file.startsWith('file://') ? process.getBuiltinModule('node:url').fileURLToPath(file) : file;
  // A dependency's own map (run unbundled, locally) would name its sources as if they were the project's.
  if (path.includes('/node_modules/')) return undefined;
  const map = sourceMapOf(path);
  if (!map) return undefined;
  const entry = map.findEntry(Number(lineText) - 1, Number(columnText) - 1) as {
    originalSource?: string;
    originalLine?: number;
    originalColumn?: number;
  };
  if (entry.originalSource === undefined || entry.originalLine === undefined || entry.originalColumn === undefined) {
    return undefined;
  }
  return `${head}${projectPath(entry.originalSource)}:${entry.originalLine + 1}:${entry.originalColumn + 1}${tail}`;
}

/** esbuild writes sources relative to the map (`../../lib/x.ts`). */
const projectPath = (source: string): string => source.replace(/^(?:\.\.?\/)+/, '');

function sourceMapOf(path: string): SourceMap | null {
  if (maps.has(path)) return maps.get(path)!;
  let map: SourceMap | null = null;
  try {
    map = new SourceMap(JSON.parse(process.getBuiltinModule('node:fs').readFileSync(`${path}.map`, 'utf8')));
  } catch {
    map = null; // no map shipped (or unreadable): the frame stays as it is
  }
  if (maps.size >= MAX_MAPS) maps.delete(maps.keys().next().value!);
  maps.set(path, map);
  return map;
}
