import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const ZOD_IMPORT = /from ['"]zod(\/[^'"]*)?['"]/;

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/**
 * Schemas take zod from lib/zod.ts (zod/mini, with zod's English messages configured once). A module importing zod
 * itself — its method API above all — would put that API back into every bundle it reaches, and its cold start with
 * it (BENCHMARKS.md, cold start), or parse with messages nobody configured.
 */
describe('zod is imported through lib/zod.ts', () => {
  it('by every module of functions/, lib/ and test/', () => {
    const offenders = ['functions', 'lib', 'test']
      .flatMap(sources)
      .filter((path) => path !== join('lib', 'zod.ts') && ZOD_IMPORT.test(readFileSync(join(ROOT, path), 'utf8')))
      .map((path) => relative(ROOT, join(ROOT, path)));
    expect(offenders).toEqual([]);
  });

  it('which holds what it promises: zod/mini, answering in English', async () => {
    const z = await import('../../lib/zod.ts');
    expect(z.string().check(z.minLength(3)).safeParse('ab').error?.issues[0]?.message).toBe(
      'Too small: expected string to have >=3 characters',
    );
    expect('describe' in z.string()).toBe(false); // no method API on the schemas
  });
});
