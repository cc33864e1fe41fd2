import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { profileByFunction, profileByOwner } from '../../../bench/support/attribution.ts';

/** A minified bundle with its source map, from a project file and a package, as the benches build them. */
const dir = mkdtempSync(join(tmpdir(), 'attribution-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'lib'), { recursive: true });
mkdirSync(join(dir, 'node_modules', 'pkg'), { recursive: true });
writeFileSync(join(dir, 'node_modules', 'pkg', 'index.js'), 'export function packaged(n) {\n  return n * 2;\n}\n');
writeFileSync(
  join(dir, 'lib', 'entry.js'),
  "import { packaged } from 'pkg';\n\nexport function ours(n) {\n  return packaged(n) + 1;\n}\n",
);
const bundle = join(dir, 'out', 'index.mjs');
buildSync({
  entryPoints: [join(dir, 'lib', 'entry.js')],
  outfile: bundle,
  bundle: true,
  format: 'esm',
  minify: true,
  sourcemap: true,
  absWorkingDir: dir,
  logLevel: 'silent',
});

/** Where the function matching `pattern` starts in the minified bundle, as V8 reports a frame (0-based line, column). */
function frameOf(source: string, pattern: RegExp): { lineNumber: number; columnNumber: number } {
  const at = source.search(pattern);
  if (at < 0) throw new Error(`${pattern} is not in the bundle`);
  const before = source.slice(0, at).split('\n');
  return { lineNumber: before.length - 1, columnNumber: before.at(-1)!.length };
}

describe('CPU profile attribution (the benches’ "where the time goes")', () => {
  const source = readFileSync(bundle, 'utf8');
  const url = pathToFileURL(bundle).href;
  // Two bundle frames (the package's function and ours) and a built-in called from ours.
  const packaged = frameOf(source, /function \w+\(\w+\)\{return \w+\*2\}/);
  const ours = frameOf(source, /function \w+\(\w+\)\{return \w+\(\w+\)\+1\}/);
  const profile = {
    nodes: [
      { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1, columnNumber: -1 }, children: [2] },
      { id: 2, callFrame: { functionName: 'ours', url, ...ours }, children: [3, 4] },
      { id: 3, callFrame: { functionName: 'x', url, ...packaged } },
      { id: 4, callFrame: { functionName: 'writeUtf8String', url: '', lineNumber: -1, columnNumber: -1 } },
    ],
    samples: [2, 3, 3, 4],
    timeDeltas: [0, 1000, 1000, 1000, 1000],
  };
  const file = join(dir, 'profile.cpuprofile');
  writeFileSync(file, JSON.stringify(profile));

  it('names a bundled function by the file and line it comes from, never by its minified name', () => {
    const byFunction = profileByFunction(file);
    expect([...byFunction.keys()].sort()).toEqual([
      'function at lib/entry.js:3',
      'function at pkg/index.js:1',
      'writeUtf8String ← function at lib/entry.js:3',
    ]);
    expect(byFunction.get('function at pkg/index.js:1')).toBeCloseTo(2, 6);
  });

  it('gives a bundled frame to its package or project folder', () => {
    const byOwner = profileByOwner(file);
    expect(byOwner.get('pkg')).toBeCloseTo(2, 6);
    expect(byOwner.get('project: lib')).toBeCloseTo(2, 6);
  });
});
