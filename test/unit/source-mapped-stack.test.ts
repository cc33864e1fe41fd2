import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { esbuildOptions } from '../../infra/bundling.ts';
import { createLogger } from '../../lib/logger.ts';
import { sourceMappedError, sourceMappedStack } from '../../lib/source-mapped-stack.ts';

// A module built as the stack builds a function (minified ESM with a source map beside it), throwing from a known line.
const SOURCE = [
  'export class BoomError extends Error {',
  "  override name = 'BoomError';",
  "  code = 'BOOM';",
  '}',
  'export function explode(): never {',
  "  throw new BoomError('boom', { cause: new Error('underneath') });",
  '}',
  '',
].join('\n');
const THROW_LINE = SOURCE.split('\n').findIndex((line) => line.includes('throw new')) + 1;
const AT_THROW = `lib/thrower.ts:${THROW_LINE}:`;

let dir: string;
let bundle: string;
/** The stacks V8 gave the bundle's error and its cause, in a plain Node process (vitest maps stacks itself). */
let raw: { stack: string; cause: string };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'source-mapped-stack-'));
  mkdirSync(join(dir, 'lib'));
  writeFileSync(join(dir, 'lib', 'thrower.ts'), SOURCE);
  bundle = join(dir, 'out', 'index.mjs');
  await build({ ...esbuildOptions(join(dir, 'lib', 'thrower.ts'), bundle), logLevel: 'silent' });
  const script =
    'const { explode } = await import(process.argv[1]); ' +
    'try { explode(); } catch (e) { process.stdout.write(JSON.stringify({ stack: e.stack, cause: e.cause.stack })); }';
  raw = JSON.parse(
    execFileSync(process.execPath, ['--input-type=module', '-e', script, pathToFileURL(bundle).href], { encoding: 'utf8' }),
  ) as typeof raw;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The bundle's error as this process would hold it: its stack as V8 wrote it in the bundle. */
const thrown = (): Error & { code?: string } => {
  const cause = new Error('underneath');
  cause.stack = raw.cause;
  const error = Object.assign(new Error('boom', { cause }), { name: 'BoomError', code: 'BOOM' });
  error.stack = raw.stack;
  return error;
};

describe('source-mapped stacks', () => {
  it("points a bundle's frames at the source line that threw, as a project path", () => {
    const error = thrown();
    expect(error.stack).toContain('index.mjs:');
    const mapped = sourceMappedStack(error.stack!);
    expect(mapped.split('\n')[1]).toMatch(new RegExp(`^\\s+at \\S+ \\(${AT_THROW}\\d+\\)$`));
    expect(mapped).not.toContain('index.mjs:');
    expect(mapped.split('\n')[0]).toBe(error.stack!.split('\n')[0]);
  });

  it('maps a frame given as a path as well as one given as a file URL', () => {
    const error = thrown();
    const asPath = error.stack!.replaceAll(pathToFileURL(bundle).href, bundle);
    expect(asPath).not.toBe(error.stack);
    expect(sourceMappedStack(asPath)).toBe(sourceMappedStack(error.stack!));
  });

  it("leaves a dependency's frames as they are, even where the dependency ships a map", () => {
    const dependency = join(dir, 'node_modules', 'dep', 'index.mjs');
    mkdirSync(join(dir, 'node_modules', 'dep'), { recursive: true });
    writeFileSync(`${dependency}.map`, readFileSync(`${bundle}.map`));
    const stack = raw.stack.replaceAll(pathToFileURL(bundle).href, pathToFileURL(dependency).href);
    expect(sourceMappedStack(stack)).toBe(stack);
  });

  it('leaves frames without a source map, and lines that are not frames, as they are', () => {
    const stack = [
      'Error: plain',
      '    at run (/nowhere/without-a-map.mjs:1:10)',
      '    at node:internal/process/task_queues:95:5',
      '    at async Promise.all (index 0)',
    ].join('\n');
    expect(sourceMappedStack(stack)).toBe(stack);
  });

  it("maps the cause chain in a copy, keeping the error's own fields and prototype, and never touches the error", () => {
    const error = thrown();
    const before = error.stack;
    const copy = sourceMappedError(error);
    expect(copy).not.toBe(error);
    expect(error.stack).toBe(before);
    expect(Object.getPrototypeOf(copy)).toBe(Object.getPrototypeOf(error));
    expect({ name: copy.name, message: copy.message, code: copy.code }).toEqual({
      name: error.name,
      message: 'boom',
      code: 'BOOM',
    });
    expect(copy.stack).toContain(AT_THROW);
    expect((copy.cause as Error).stack).toContain(AT_THROW);
    expect((error.cause as Error).stack).not.toContain('thrower.ts');
  });

  it('returns an error with nothing to map as it is', () => {
    const error = new Error('from the test itself');
    expect(sourceMappedError(error)).toBe(error);
  });

  it("puts the source location in a log line's error (stack and location), as Powertools formats it", () => {
    const lines: Record<string, unknown>[] = [];
    // Powertools writes ERROR lines to stderr (console.error), the others to stdout.
    const capture = (chunk: string | Uint8Array) => {
      for (const line of String(chunk).split('\n')) if (line.startsWith('{')) lines.push(JSON.parse(line));
      return true;
    };
    vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    vi.spyOn(process.stderr, 'write').mockImplementation(capture);
    try {
      createLogger('source-map-test').error('it failed', { error: thrown() });
    } finally {
      vi.restoreAllMocks();
    }
    const logged = lines.find((line) => line.message === 'it failed')?.error as Record<string, unknown>;
    expect(logged).toMatchObject({ name: 'BoomError', message: 'boom', code: 'BOOM' });
    expect(logged.location).toBe(`lib/thrower.ts:${THROW_LINE}`);
    expect(logged.stack).toContain(AT_THROW);
    expect((logged.cause as Record<string, unknown>).stack).toContain(AT_THROW);
  });
});
