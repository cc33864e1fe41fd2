import { readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { GENERATED_TYPES, generateClientTypes } from '../scripts/generate-types.ts';

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  dependencies: Record<string, string>;
};

describe('the client kit package', () => {
  it('has types generated from the current OpenAPI document (run `npm run openapi` when this fails)', async () => {
    expect(
      readFileSync(GENERATED_TYPES, 'utf8') === (await generateClientTypes()),
      `${GENERATED_TYPES} is out of date: run \`npm run openapi\` and commit the file`,
    ).toBe(true);
  });

  it('depends on the fetch client and standardwebhooks only', () => {
    expect(Object.keys(packageJson.dependencies).sort()).toEqual(['openapi-fetch', 'standardwebhooks']);
  });

  it('bundles for browsers: no Node built-in anywhere in what it imports', async () => {
    const result = await build({
      entryPoints: [new URL('../src/index.ts', import.meta.url).pathname],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      minify: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((input) => input.startsWith('node:') || /^(crypto|buffer|http|https|stream|fs)$/.test(input))).toEqual(
      [],
    );
    const packages = new Set(inputs.flatMap((input) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? []));
    expect([...packages].sort()).toEqual(expect.arrayContaining(['openapi-fetch', 'standardwebhooks']));
    const bytes = result.outputFiles[0]!.contents.byteLength;
    expect(bytes, 'the bundle stays small (types cost nothing at run time)').toBeLessThan(40_000);
  });
});
