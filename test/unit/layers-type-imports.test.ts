import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { transformSync } from '@babel/core';
import { describe, expect, it } from 'vitest';

/**
 * The layers check (`npm run layers`) reads each file as Babel leaves it (dependency-cruiser's babel transpiler, with
 * .babelrc.dependency-cruiser.json): an import of types only must still be there for it to see, or a cycle or a
 * layer crossed by types alone passes unseen.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const config = JSON.parse(readFileSync(`${ROOT}.babelrc.dependency-cruiser.json`, 'utf8'));
const asTheLayersCheckReadsIt = (source: string) =>
  transformSync(source, { ...config, babelrc: false, configFile: false, cwd: ROOT, filename: `${ROOT}lib/example.ts` })!.code!;

describe('the layers check sees every import, types included', () => {
  it.each([
    ["import type { A } from './a.ts';", './a.ts'],
    ["import { type A, type B } from './a.ts';", './a.ts'],
    ["export type { A } from './a.ts';", './a.ts'],
    ["export { type A } from './a.ts';", './a.ts'],
    ["import { A } from './a.ts';\nexport const f = (a: A) => a;", './a.ts'],
  ])('keeps %j', (source, module) => {
    const imported = [...asTheLayersCheckReadsIt(source).matchAll(/^import\b.*?["']([^"']+)["'];$/gm)].map((m) => m[1]);
    expect(imported).toEqual([module]);
  });

  it('keeps value imports as they are', () => {
    const code = asTheLayersCheckReadsIt("import { a, type B } from './a.ts';\nexport const b: B = a;");
    expect(code).toMatch(/import \{ a \} from ["']\.\/a\.ts["']/);
  });
});
