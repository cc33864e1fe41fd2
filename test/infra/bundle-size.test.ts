import type { Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { BUNDLE_BUDGET_BYTES } from '../../infra/bundling.ts';
import { FUNCTION_NAMES, FUNCTION_SPECS, SDK_CLIENT_PACKAGES, sdkClientsOf } from '../../infra/constructs/function-specs.ts';
import { ENVIRONMENT_NAMES } from '../../infra/environments.ts';
import { shippedBundle } from './support/function-bundles.ts';
import { esmHttpImports } from './support/metafile.ts';
import { synthesized } from './support/synth.ts';
import { functionsByName } from './support/template.ts';

/** A bundle that records X-Ray segments holds Powertools Tracer or the X-Ray SDK. */
const capturesTraces = (metafile: Metafile): boolean =>
  Object.keys(metafile.inputs).some((path) => /node_modules\/(@aws-lambda-powertools\/tracer|aws-xray-sdk)/.test(path));

/** The functions that load no zod. */
const WITHOUT_ZOD: ReadonlySet<string> = new Set(['api-docs', 'api-fallback']);

/** The packages (or project folders) contributing most to a bundle, for a failure message that says what to cut. */
function largestInputs(metafile: Metafile, count = 5): string {
  const bytes = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) {
      const source = /node_modules\/((?:@[^/]+\/)?[^/]+(?:\/v\d+\/locales)?)/.exec(path)?.[1] ?? path.split('/')[0]!;
      bytes.set(source, (bytes.get(source) ?? 0) + input.bytesInOutput);
    }
  }
  return [...bytes]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([source, size]) => `${source} ${(size / 1024).toFixed(0)} KiB`)
    .join(', ');
}

describe(`function bundles (budget ${BUNDLE_BUDGET_BYTES / 1024} KiB each, as the stack bundles them)`, () => {
  it.each(FUNCTION_NAMES)('%s fits the budget', (name) => {
    const result = shippedBundle(name);
    const size = result.contents.byteLength;
    const map = result.mapBytes;
    console.info(`${name}: ${size} B (${(size / 1024).toFixed(1)} KiB), source map ${(map / 1024).toFixed(1)} KiB`);
    expect(
      size,
      `${name} is ${size} B, over the ${BUNDLE_BUDGET_BYTES} B budget; largest inputs: ${largestInputs(result.metafile)}`,
    ).toBeLessThanOrEqual(BUNDLE_BUDGET_BYTES);
    // node:http only as CommonJS (lib/aws/node-http.cjs): as an ES module it costs every cold start (BENCHMARKS.md).
    expect(esmHttpImports(result.metafile), `${name} imports node:http as an ES module`).toEqual([]);
    // No SDK client its spec does not use: each costs its import at every cold start.
    const needed = new Set(sdkClientsOf(FUNCTION_SPECS[name]).flatMap((client) => SDK_CLIENT_PACKAGES[client]));
    const bundled = [
      ...new Set(
        Object.keys(result.metafile.inputs).flatMap(
          (path) => /node_modules\/(@aws-sdk\/(?:client-[a-z-]+|lib-dynamodb))\//.exec(path)?.[1] ?? [],
        ),
      ),
    ];
    expect(
      bundled.filter((pkg) => !needed.has(pkg)),
      `${name} bundles SDK clients its spec does not use`,
    ).toEqual([]);

    // Not on and empty: X-Ray is active for a function exactly when its code captures traces, in every environment.
    for (const env of ENVIRONMENT_NAMES) {
      const { properties } = functionsByName(synthesized(env).template, env).get(name)!;
      const active = properties.TracingConfig?.Mode === 'Active';
      expect([env, name, active]).toEqual([env, name, capturesTraces(result.metafile)]);
    }

    // Latin-1 only: V8 then holds the source one byte a character. One character above U+00FF (esbuild escapes
    // them, but not inside a regular expression) makes the whole source two bytes a character, read slower at each
    // cold start and held in memory twice as large (BENCHMARKS.md, cold start).
    const text = new TextDecoder().decode(result.contents);
    const wide = [...new Set(text.match(/[^\u0000-\u00ff]/g) ?? [])];
    expect(wide, `${name}'s bundle has characters above U+00FF: ${wide.map((c) => JSON.stringify(c)).join(', ')}`).toEqual([]);

    // Their routes parse nothing with a schema, and zod would be a third of their own code's import time
    // (BENCHMARKS.md, cold start): their docs take the zod the document's builder hands them (lib/http/route.ts).
    if (WITHOUT_ZOD.has(name)) {
      expect(Object.keys(result.metafile.inputs).filter((path) => /node_modules\/zod\//.test(path))).toEqual([]);
    }
  });
});
