import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const KIT = fileURLToPath(new URL('../../clients/typescript/', import.meta.url));
const REPOSITORY_LOCK = fileURLToPath(new URL('../../package-lock.json', import.meta.url));
/** Names each dependency's tarball, as a lockfile entry must: `--offline`, npm finds it in its cache by integrity. */
const REGISTRY = 'https://registry.npmjs.org/';

interface LockEntry {
  version: string;
  integrity?: string;
  resolved?: string;
  dependencies?: Record<string, string>;
  [field: string]: unknown;
}

export interface InstalledKit {
  /** The temporary directory holding the tarball and the app: remove it when done. */
  dir: string;
  /** An empty project with the tarball installed: `node <file>` there imports `@nexus-relay/client` from it. */
  app: string;
  /** The tarball's files, `package/` stripped. */
  files: string[];
  /** The package.json inside the tarball. */
  manifest: { exports: unknown };
}

/**
 * The kit as a client app gets it: `npm pack` in clients/typescript (its `prepack` builds dist/; the old one is removed
 * first, so the JavaScript in the tarball is what that build made), then the tarball installed into an empty project.
 *
 * The install is `npm ci --offline`: the project's lockfile names the tarball and, copied from the repository's
 * lockfile, the kit's dependencies with their integrity and a registry URL. npm then takes each from its cache by
 * integrity (`npm ci` of the repository put them there) and never needs the registry's metadata, which
 * `npm install --offline <tarball>` would (and `npm ci` does not cache the full documents it asks for).
 */
export async function packAndInstallKit(): Promise<InstalledKit> {
  const dir = await mkdtemp(join(tmpdir(), 'client-kit-'));
  await rm(join(KIT, 'dist'), { recursive: true, force: true });
  await run('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: KIT });
  const tarball = (await readdir(dir)).find((name) => name.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack left no tarball in ${dir}`);
  const { stdout: listing } = await run('tar', ['-tzf', join(dir, tarball)]);
  const files = listing
    .split('\n')
    .filter(Boolean)
    .map((path) => path.replace(/^package\//, ''));
  const { stdout: packedManifest } = await run('tar', ['-xzOf', join(dir, tarball), 'package/package.json']);

  const app = join(dir, 'app');
  await mkdir(app);
  const lock = JSON.parse(await readFile(REPOSITORY_LOCK, 'utf8')) as { packages: Record<string, LockEntry> };
  const kit = lock.packages['clients/typescript']!;
  const spec = `file:../${tarball}`;
  const packages: Record<string, unknown> = {
    '': { name: 'app', dependencies: { '@nexus-relay/client': spec } },
    'node_modules/@nexus-relay/client': { version: kit.version, resolved: spec, dependencies: kit.dependencies },
  };
  const under = (at: string, name: string) => (at === '' ? `node_modules/${name}` : `${at}/node_modules/${name}`);
  const parent = (at: string) => (at.includes('/node_modules/') ? at.slice(0, at.lastIndexOf('/node_modules/')) : '');
  /** Copies what `from` depends on, found where Node would find it (its own node_modules, then upwards), to `to`. */
  const copy = (from: string, to: string, dependencies: Record<string, string> = {}) => {
    for (const name of Object.keys(dependencies)) {
      let at = from;
      while (!lock.packages[under(at, name)] && at !== '') at = parent(at);
      const entry = lock.packages[under(at, name)];
      if (!entry) throw new Error(`package-lock.json has no ${name} for ${from}`);
      const target = at === from ? under(to, name) : under('', name);
      // The app's dependencies are neither dev nor optional there, whatever they are in the repository.
      const kept = Object.fromEntries(
        Object.entries(entry).filter(([field]) => !/^(dev|devOptional|peer|optional)$/.test(field)),
      );
      packages[target] = { ...kept, resolved: `${REGISTRY}${name}/-/${name.split('/').pop()}-${entry.version}.tgz` };
      copy(under(at, name), target, entry.dependencies);
    }
  };
  copy('clients/typescript', 'node_modules/@nexus-relay/client', kit.dependencies);
  await writeFile(
    join(app, 'package.json'),
    JSON.stringify({ name: 'app', private: true, type: 'module', dependencies: { '@nexus-relay/client': spec } }),
  );
  await writeFile(join(app, 'package-lock.json'), JSON.stringify({ name: 'app', lockfileVersion: 3, requires: true, packages }));
  await run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], { cwd: app }).catch((error: { stderr?: string }) => {
    if (!error.stderr?.includes('ENOTCACHED')) throw error;
    throw new Error(
      `The kit's dependencies are not in npm's cache (\`npm ci\` in the repository puts them there):\n${error.stderr}`,
    );
  });
  return { dir, app, files, manifest: JSON.parse(packedManifest) };
}
