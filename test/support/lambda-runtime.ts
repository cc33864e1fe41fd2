import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { esbuildOptions } from '../../infra/bundling.ts';
import { functionEntry } from '../../infra/constructs/relay-function.ts';
import type { FunctionName } from '../../infra/constructs/function-specs.ts';

/** Builds `name` as the stack bundles it (infra/bundling.ts) into `<root>/<name>/index.mjs`; `external` adds externals. */
export async function buildFunctionBundle(root: string, name: FunctionName, external: string[] = []): Promise<string> {
  const file = join(root, name, 'index.mjs');
  const options = esbuildOptions(functionEntry(name), file);
  await build({ ...options, external: [...(options.external ?? []), ...external], logLevel: 'silent' });
  return file;
}

export interface RuntimeLoad {
  ok: boolean;
  /** The module exports a `handler` function. */
  exportsHandler: boolean;
  initMs: number;
  initRssBytes: number;
  bundleBytes: number;
  error?: string;
}

/**
 * The Node that stands in for Lambda's runtime: `LAMBDA_NODE` (CI installs Node 24, Lambda's nodejs24.x major: see
 * .ci/run), else the Node running the tests.
 */
export const LAMBDA_NODE = process.env.LAMBDA_NODE || process.execPath;
/** The version of LAMBDA_NODE (`v24.…`). */
export const LAMBDA_NODE_VERSION = spawnSync(LAMBDA_NODE, ['--version'], { encoding: 'utf8' }).stdout.trim();

const LOAD_SCRIPT = `
const started = performance.now();
const module = await import(process.argv[1]);
process.stdout.write(JSON.stringify({
  exportsHandler: typeof module.handler === 'function',
  initMs: performance.now() - started,
  initRssBytes: process.memoryUsage().rss,
}));`;

/** Imports the bundle in a fresh LAMBDA_NODE process with only `env` (plus PATH), as Lambda's init phase does. */
export function loadInRuntime(file: string, env: Record<string, string>): RuntimeLoad {
  const child = spawnSync(LAMBDA_NODE, ['--input-type=module', '-e', LOAD_SCRIPT, pathToFileURL(file).href], {
    env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', ...env },
    encoding: 'utf8',
    cwd: '/',
  });
  const bundleBytes = statSync(file).size;
  if (child.status !== 0) {
    const error = /^\w*Error[^\n]*/m.exec(child.stderr)?.[0] ?? child.stderr.slice(-300);
    return { ok: false, exportsHandler: false, initMs: Number.NaN, initRssBytes: Number.NaN, bundleBytes, error };
  }
  const result = JSON.parse(child.stdout) as Omit<RuntimeLoad, 'ok' | 'bundleBytes'>;
  return { ok: result.exportsHandler, ...result, bundleBytes };
}
