import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE_HTTP_CJS, esbuildOptions, nodejsFunctionBundling } from '../../infra/bundling.ts';
import { LAMBDA_NODE, LAMBDA_NODE_VERSION } from '../support/lambda-runtime.ts';
import { esmHttpImports } from './support/metafile.ts';

/**
 * The bundles take node:http as CommonJS through lib/aws/node-http.cjs (infra/bundling.ts): imported as an ES module
 * on Node 22 and 24, node:http loads Node's internal undici at every cold start. The AWS SDK's HTTP handler must still send
 * through it, from a bundle with nothing on its module path.
 */
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

// A client of the SDK as the functions build theirs, sending one request to a local endpoint.
const ENTRY = `
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
const client = new DynamoDBClient({
  endpoint: process.argv[2],
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  maxAttempts: 1,
});
const { TableNames } = await client.send(new ListTablesCommand({}));
const internalUndici = process.moduleLoadList.includes('NativeModule internal/deps/undici/undici');
process.stdout.write(JSON.stringify({ TableNames, internalUndici }));
`;

let dir: string;
let bundle: string;
let withoutAlias: string;
let metafile: Metafile;
let server: Server;
let endpoint: string;
const received: IncomingMessage[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'node-http-alias-'));
  bundle = join(dir, 'index.mjs');
  withoutAlias = join(dir, 'without-alias', 'index.mjs');
  const { entryPoints: _entry, ...options } = esbuildOptions('unused.ts', bundle);
  const stdin = { contents: ENTRY, resolveDir: PROJECT_ROOT, loader: 'ts', sourcefile: 'entry.ts' } as const;
  ({ metafile } = await build({ ...options, stdin, metafile: true, logLevel: 'silent' }));
  await build({ ...options, outfile: withoutAlias, alias: {}, stdin, logLevel: 'silent' });
  server = createServer((request, response) => {
    received.push(request);
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(JSON.stringify({ TableNames: ['relay'] }));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

/** Runs a fixture bundle in a fresh LAMBDA_NODE process with nothing on its module path; what it printed. */
async function sendFrom(file: string): Promise<unknown> {
  const { stdout } = await promisify(execFile)(
    LAMBDA_NODE,
    ['--input-type=module', '-e', 'await import(process.argv[1])', pathToFileURL(file).href, endpoint],
    { cwd: tmpdir(), env: { PATH: process.env.PATH ?? '' } },
  );
  return JSON.parse(stdout);
}

afterAll(() => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('node:http in the bundles, taken as CommonJS', () => {
  it('replaces the SDK’s ES module import of node:http with lib/aws/node-http.cjs', () => {
    expect(esmHttpImports(metafile)).toEqual([]);
    expect(Object.keys(metafile.inputs)).toContain(NODE_HTTP_CJS);
  });

  it(`lets the SDK’s HTTP handler send and read a request on Node ${LAMBDA_NODE_VERSION}, without Node’s internal undici`, async () => {
    const sent = await sendFrom(bundle);
    expect(sent).toEqual({ TableNames: ['relay'], internalUndici: false });
    expect(received.map((request) => request.headers['x-amz-target'])).toEqual(['DynamoDB_20120810.ListTables']);

    // The same client importing node:http as an ES module: on Node 22 and 24 (CI runs this on Lambda's major) that
    // import alone loads Node's internal undici; Node 20 has no such getters. When a Node release stops doing so, this
    // fails, and the alias no longer earns its place.
    const control = await sendFrom(withoutAlias);
    const major = Number(/^v(\d+)/.exec(LAMBDA_NODE_VERSION)![1]);
    expect(control).toEqual({ TableNames: ['relay'], internalUndici: major >= 22 });
  });

  it('gives the stack’s NodejsFunction bundling the same aliases, relative to the project root', () => {
    const { esbuildArgs } = nodejsFunctionBundling();
    const aliases = (esbuildArgs?.['--alias'] as string[]).map((entry) => entry.split('='));
    expect(aliases.map(([from]) => from).sort()).toEqual(Object.keys(esbuildOptions('unused.ts', bundle).alias!).sort());
    for (const [, to] of aliases) expect(join(PROJECT_ROOT, to!)).toBe(join(PROJECT_ROOT, NODE_HTTP_CJS));
  });
});
