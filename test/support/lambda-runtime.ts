import { spawnSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { esbuildOptions, runReadFolderCommands } from '../../infra/bundling.ts';
import { functionEntry } from '../../infra/constructs/relay-function.ts';
import { FUNCTION_SPECS, type FunctionName } from '../../infra/constructs/function-specs.ts';

/**
 * Builds `name` as the stack bundles it (infra/bundling.ts) into `<root>/<name>/index.mjs`, with the folders it reads
 * beside it; `external` adds externals, `plugins` esbuild plugins (a test's instruments), `metafile` writes esbuild's
 * metafile beside it (`metafile.json`).
 */
export async function buildFunctionBundle(
  root: string,
  name: FunctionName,
  { external = [], plugins = [], metafile = false }: { external?: string[]; plugins?: Plugin[]; metafile?: boolean } = {},
): Promise<string> {
  const file = join(root, name, 'index.mjs');
  const options = esbuildOptions(functionEntry(name), file);
  const result = await build({
    ...options,
    external: [...(options.external ?? []), ...external],
    plugins: [...(options.plugins ?? []), ...plugins],
    metafile,
    logLevel: 'silent',
  });
  if (metafile) writeFileSync(join(root, name, 'metafile.json'), JSON.stringify(result.metafile));
  runReadFolderCommands(FUNCTION_SPECS[name].readsFolders ?? [], join(root, name));
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

/** Runs `script` (an ES module) on the bundle `file` in a fresh LAMBDA_NODE process with only `env` (plus PATH), from `/`. */
export const runOnBundle = (script: string, file: string, env: Record<string, string>, args: readonly string[] = []) =>
  spawnSync(LAMBDA_NODE, ['--input-type=module', '-e', script, pathToFileURL(file).href, ...args], {
    env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', ...env },
    encoding: 'utf8',
    cwd: '/',
    maxBuffer: 64 * 1024 ** 2,
  });

/** Imports the bundle in a fresh LAMBDA_NODE process with only `env` (plus PATH), as Lambda's init phase does. */
export function loadInRuntime(file: string, env: Record<string, string>): RuntimeLoad {
  const child = runOnBundle(LOAD_SCRIPT, file, env);
  const bundleBytes = statSync(file).size;
  if (child.status !== 0) {
    const error = /^\w*Error[^\n]*/m.exec(child.stderr)?.[0] ?? child.stderr.slice(-300);
    return { ok: false, exportsHandler: false, initMs: Number.NaN, initRssBytes: Number.NaN, bundleBytes, error };
  }
  const result = JSON.parse(child.stdout) as Omit<RuntimeLoad, 'ok' | 'bundleBytes'>;
  return { ok: result.exportsHandler, ...result, bundleBytes };
}

const INVOKE_SCRIPT = `
const module = await import(process.argv[1]);
const context = {
  functionName: process.argv[3], functionVersion: '$LATEST', memoryLimitInMB: '256', awsRequestId: 'runtime-test',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:' + process.argv[3],
  getRemainingTimeInMillis: () => 5000,
};
const answers = [];
for (const event of JSON.parse(process.argv[2])) answers.push(await module.handler(event, context));
process.stdout.write('\\n' + JSON.stringify(answers));`;

/** The event API Gateway (HTTP API, payload 2.0) sends for a GET of `path` matched to `routeKey`. */
export function apiGatewayGet(routeKey: string, path: string, pathParameters?: Record<string, string>) {
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: '',
    headers: { host: 'relay.example.com' },
    ...(pathParameters ? { pathParameters } : {}),
    isBase64Encoded: false,
    requestContext: { requestId: 'runtime-test', http: { method: 'GET', path, sourceIp: '192.0.2.1' } },
  };
}

/**
 * Imports the bundle in a fresh LAMBDA_NODE process with only `env` (plus PATH), as `loadInRuntime`, and invokes its
 * handler with each event in turn: the answers (the logs the function writes go to its stdout before them).
 */
export function invokeInRuntime(
  file: string,
  env: Record<string, string>,
  functionName: string,
  events: readonly unknown[],
): { statusCode: number; headers?: Record<string, string>; body?: string }[] {
  const child = runOnBundle(INVOKE_SCRIPT, file, env, [JSON.stringify(events), functionName]);
  if (child.status !== 0) throw new Error(`${functionName} failed in the runtime: ${child.stderr.slice(-500)}`);
  return JSON.parse(child.stdout.slice(child.stdout.lastIndexOf('\n') + 1));
}
