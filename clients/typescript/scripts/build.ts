import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `npm run build` (and `prepack`, so every `npm pack` and `npm publish` ships fresh files): compiles src/ into dist/,
 * the ESM JavaScript and `.d.ts` that the package's `exports` name. dist/ is not committed; in this repository every
 * tool reads src/ through tsconfig `paths` instead, so nothing here needs a build.
 *
 * The compiler is the repository's TypeScript (the one `npm run lint` checks with): the kit's own devDependency is
 * the TypeScript 5 that openapi-typescript needs, several times slower on the generated types.
 */
export const KIT = fileURLToPath(new URL('..', import.meta.url));
export const DIST = join(KIT, 'dist');

const requireFromRepository = createRequire(new URL('../../../package.json', import.meta.url));
const TSC = join(dirname(requireFromRepository.resolve('typescript/package.json')), 'bin', 'tsc');

/**
 * `rewriteRelativeImportExtensions` turns src/'s `./x.ts` specifiers into `./x.js` in the JavaScript only: the
 * declarations keep `./x.ts`, a file the package does not ship. They name the emitted `./x.js` (typed by `./x.d.ts`).
 */
export const jsSpecifiers = (declarations: string): string =>
  declarations.replace(/(['"])(\.\.?\/[^'"]*)\.ts\1/g, (_, quote: string, path: string) => `${quote}${path}.js${quote}`);

export function buildKit(): void {
  rmSync(DIST, { recursive: true, force: true });
  execFileSync(process.execPath, [TSC, '-p', join(KIT, 'tsconfig.build.json')], { stdio: 'inherit' });
  for (const file of readdirSync(DIST, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.d.ts')) continue;
    const path = join(DIST, file);
    writeFileSync(path, jsSpecifiers(readFileSync(path, 'utf8')));
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) buildKit();
