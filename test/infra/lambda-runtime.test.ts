import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FUNCTION_NAMES } from '../../infra/constructs/function-specs.ts';
import { committedOpenApiDocument } from '../../infra/openapi.ts';
import {
  LAMBDA_NODE_VERSION,
  apiGatewayGet,
  buildFunctionBundle,
  invokeInRuntime,
  loadInRuntime,
} from '../support/lambda-runtime.ts';
import { shippedBundle } from './support/function-bundles.ts';
import { synthesized } from './support/synth.ts';
import { functionsByName, resolvedEnvironment } from './support/template.ts';

/**
 * Every function bundle, built as the stack builds it, loads where Lambda's nodejs24.x runtime would load it, with
 * nothing on its module path (it carries its AWS SDK; neither the runtime's copy nor the project's `node_modules` is
 * there to fall back on) and the environment the synthesized prod template gives that function. It must evaluate and
 * export `handler`.
 */
// Outside the project: no `node_modules` on the bundles' module path (the shipped bundles are built there too).
const root = mkdtempSync(join(tmpdir(), 'nexus-relay-runtime-'));
const prod = functionsByName(synthesized('prod').template, 'prod');
const environmentOf = (name: string) =>
  resolvedEnvironment(prod.get(name)!.properties.Environment.Variables as Record<string, unknown>);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe(`function bundles in a Lambda-like runtime (Node ${LAMBDA_NODE_VERSION}, nothing on the module path, the prod environment)`, () => {
  it.each(FUNCTION_NAMES)('%s loads and exports handler', (name) => {
    const load = loadInRuntime(shippedBundle(name).file, environmentOf(name));
    console.info(
      `${name}: ${(load.bundleBytes / 1024).toFixed(0)} KiB, init ${load.initMs.toFixed(0)} ms, ` +
        `init RSS ${(load.initRssBytes / 1024 ** 2).toFixed(0)} MiB${load.error ? `, ${load.error}` : ''}`,
    );
    expect(load.error).toBeUndefined();
    expect(load).toMatchObject({ ok: true, exportsHandler: true });
  });

  it('api-docs serves the OpenAPI document and the console from the files beside its bundle', async () => {
    const { file } = shippedBundle('api-docs');
    const [document, page] = invokeInRuntime(file, environmentOf('api-docs'), 'api-docs', [
      apiGatewayGet('GET /openapi.json', '/openapi.json'),
      apiGatewayGet('GET /console', '/console'),
    ]);
    expect(document).toMatchObject({ statusCode: 200, headers: { 'content-type': 'application/json' } });
    expect(JSON.parse(document!.body!)).toEqual(committedOpenApiDocument());
    expect(page).toMatchObject({ statusCode: 200, headers: { 'content-type': 'text/html; charset=utf-8' } });
    const script = /src="console\/(app-[0-9a-f]+\.js)"/.exec(page!.body!)![1]!;
    const [asset] = invokeInRuntime(file, environmentOf('api-docs'), 'api-docs', [
      apiGatewayGet('GET /console/{asset}', `/console/${script}`, { asset: script }),
    ]);
    expect(asset).toMatchObject({ statusCode: 200, headers: { 'content-type': 'text/javascript; charset=utf-8' } });
    expect(asset!.body!.length).toBeGreaterThan(1000);
  });

  it('fails for a bundle that imports a package the runtime lacks', async () => {
    // middy left out of the bundle: nothing on the module path gives it.
    const file = await buildFunctionBundle(join(root, 'broken'), 'api-docs', { external: ['@middy/core'] });
    const load = loadInRuntime(file, environmentOf('api-docs'));
    expect(load.ok).toBe(false);
    expect(load.error).toMatch(/Cannot find (package|module) '@middy\/core'/);
  });
});
