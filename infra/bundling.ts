import { execFileSync } from 'node:child_process';
import { posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BundlingOptions, LogLevel, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

/**
 * Imports a bundle takes from a project file instead, relative to the project root (where NodejsFunction runs the
 * esbuild CLI). node:http is taken as CommonJS: imported as an ES module on Node 22 and 24, it loads Node's internal undici at
 * every cold start (lib/aws/node-http.cjs says why, BENCHMARKS.md how much).
 */
export const NODE_HTTP_CJS = 'lib/aws/node-http.cjs';
/** The import specifiers of node:http, both aliased to NODE_HTTP_CJS. */
export const isNodeHttp = (specifier: string) => specifier === 'http' || specifier === 'node:http';
const ALIASES = {
  http: `./${NODE_HTTP_CJS}`,
  'node:http': `./${NODE_HTTP_CJS}`,
} as const;

/**
 * How every function is bundled: the one source for the stack (NodejsFunction runs the esbuild CLI with these)
 * and for the bundle-size check (which calls esbuild's API with the same settings).
 */
export const LAMBDA_BUNDLE = {
  target: 'node24',
  format: 'esm',
  mainFields: ['module', 'main'],
  minify: true,
  // Shipped beside the bundle and read when an error is logged (lib/source-mapped-stack.ts). Not with Node's
  // --enable-source-maps: that parses the map at every cold start (BENCHMARKS.md, cold start).
  sourcemap: true,
  // Stack traces need the mappings only; the sources would double the package for nothing.
  sourcesContent: false,
  // Bundled CommonJS dependencies (undici) call require() for Node built-ins, which ESM does not define.
  banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  // The AWS SDK is bundled, not taken from the nodejs24.x runtime's copy: minified and tree-shaken, it imports faster
  // than the runtime's copy (BENCHMARKS.md, cold start), and the version deployed is the
  // version the lockfile pins and the tests ran.
  external: [] as string[],
  alias: ALIASES,
} as const;

/** Largest bundle (the .mjs, without its source map) a function may have. */
export const BUNDLE_BUDGET_BYTES = 1024 * 1024;

/** The project's root, where NodejsFunction runs the esbuild CLI and its bundling commands' `inputDir`. */
const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));

/**
 * The shell commands that put the folders a function reads at run time (its spec's `readsFolders`) beside its bundle,
 * each under its own name, where its module's `new URL('./<name>/', import.meta.url)` finds it: NodejsFunction runs
 * them after bundling (`inputDir` the project root, on the host or in its bundling container), and so do the tests'
 * bundles (runReadFolderCommands).
 */
export function readFolderCommands(readsFolders: readonly URL[], inputDir: string, outputDir: string): string[] {
  return readsFolders.map((folder) => {
    const fromRoot = relative(PROJECT_ROOT, fileURLToPath(folder)).split(sep).join('/');
    return `cp -R ${quoted(posix.join(inputDir, fromRoot))} ${quoted(posix.join(outputDir, posix.basename(fromRoot)))}`;
  });
}

/** `value` as one POSIX shell word. */
const quoted = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;

/** Runs readFolderCommands for a bundle the esbuild API wrote into `outputDir` (as NodejsFunction would). */
export function runReadFolderCommands(readsFolders: readonly URL[], outputDir: string): void {
  const commands = readFolderCommands(readsFolders, PROJECT_ROOT, outputDir);
  if (commands.length > 0) execFileSync('bash', ['-c', commands.join(' && ')]);
}

/** NodejsFunction's bundling for a function that reads `readsFolders` at run time (its spec's). */
export function nodejsFunctionBundling(readsFolders: readonly URL[] = []): BundlingOptions {
  return {
    ...(readsFolders.length === 0
      ? {}
      : {
          commandHooks: {
            beforeBundling: () => [],
            beforeInstall: () => [],
            afterBundling: (inputDir: string, outputDir: string) => readFolderCommands(readsFolders, inputDir, outputDir),
          },
        }),
    target: LAMBDA_BUNDLE.target,
    format: OutputFormat.ESM,
    mainFields: [...LAMBDA_BUNDLE.mainFields],
    minify: LAMBDA_BUNDLE.minify,
    sourceMap: LAMBDA_BUNDLE.sourcemap,
    sourcesContent: LAMBDA_BUNDLE.sourcesContent,
    banner: LAMBDA_BUNDLE.banner,
    externalModules: [...LAMBDA_BUNDLE.external],
    esbuildArgs: { '--alias': Object.entries(LAMBDA_BUNDLE.alias).map(([from, to]) => `${from}=${to}`) },
    // esbuild's size summary of every bundle is noise on each synth and deploy: warnings and errors still print.
    logLevel: LogLevel.WARNING,
  };
}

/** esbuild API options producing what NodejsFunction produces for `entry` (`index.mjs` + `index.mjs.map`). */
export function esbuildOptions(entry: string, outfile: string): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: LAMBDA_BUNDLE.target,
    format: LAMBDA_BUNDLE.format,
    mainFields: [...LAMBDA_BUNDLE.mainFields],
    minify: LAMBDA_BUNDLE.minify,
    sourcemap: LAMBDA_BUNDLE.sourcemap,
    sourcesContent: LAMBDA_BUNDLE.sourcesContent,
    banner: { js: LAMBDA_BUNDLE.banner },
    external: [...LAMBDA_BUNDLE.external],
    // esbuild's API resolves an alias against its working directory: made absolute, the build runs from anywhere.
    alias: Object.fromEntries(
      Object.entries(LAMBDA_BUNDLE.alias).map(([from, to]) => [from, fileURLToPath(new URL(`../${to}`, import.meta.url))]),
    ),
  };
}
