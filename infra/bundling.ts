import { cpSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
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

/** The project's root, where NodejsFunction runs the esbuild CLI and the folders a function reads are named from. */
const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));

/**
 * NodejsFunction's bundling for a function that reads `readsFolders` at run time (its spec's): each folder is copied
 * beside the bundle under its own name, where its module's `new URL('./<name>/', import.meta.url)` finds it.
 */
export function nodejsFunctionBundling(readsFolders: readonly string[] = []): BundlingOptions {
  return {
    ...(readsFolders.length === 0
      ? {}
      : {
          commandHooks: {
            beforeBundling: () => [],
            beforeInstall: () => [],
            afterBundling: (inputDir: string, outputDir: string) =>
              readsFolders.map((folder) => `cp -R "${join(inputDir, folder)}" "${join(outputDir, basename(folder))}"`),
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

/** Copies the folders a function reads (its spec's `readsFolders`) beside a bundle built with `esbuildOptions`. */
export function copyReadFolders(readsFolders: readonly string[], outdir: string): void {
  for (const folder of readsFolders) cpSync(join(PROJECT_ROOT, folder), join(outdir, basename(folder)), { recursive: true });
}
