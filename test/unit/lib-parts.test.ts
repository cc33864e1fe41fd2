import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'/g;

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** A part of lib/: its folder, or a top-level file. */
const partOf = (path: string) => (path.split('/').length > 2 ? path.split('/')[1]! : path);

/**
 * Slices depend one way (issue 75): no two parts of lib/ — folders, or a folder and a top-level file — import each
 * other, types included. lib/compositions/ builds the Lambdas from every part, and no part imports it.
 */
it('no two parts of lib/ import each other', () => {
  const edges = new Set<string>();
  for (const file of sources('lib')) {
    for (const [, specifier] of readFileSync(join(ROOT, file), 'utf8').matchAll(IMPORT)) {
      const target = relative(ROOT, normalize(join(ROOT, dirname(file), specifier!)));
      if (!target.startsWith('lib/')) continue;
      const [from, to] = [partOf(file), partOf(target)];
      if (from !== to) edges.add(`${from} → ${to}`);
    }
  }
  const mutual = [...edges].filter((edge) => {
    const [from, to] = edge.split(' → ');
    return from! < to! && edges.has(`${to} → ${from}`);
  });
  expect(mutual).toEqual([]);
  expect([...edges].filter((edge) => edge.endsWith('→ compositions'))).toEqual([]);
});
