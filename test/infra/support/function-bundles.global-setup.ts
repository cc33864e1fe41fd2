import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { FUNCTION_NAMES } from '../../../infra/constructs/function-specs.ts';
import { buildFunctionBundle } from '../../support/lambda-runtime.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where every function's bundle, as the stack builds it, waits: `<dir>/<name>/index.mjs` and `metafile.json`. */
    functionBundles: string;
  }
}

/**
 * Builds the twelve functions once per run, for every CDK-project file that reads a shipped bundle (its size and
 * contents, its load in a Lambda-like runtime). Outside the project: no `node_modules` on the bundles' module path.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const root = mkdtempSync(join(tmpdir(), 'nexus-relay-bundles-'));
  await Promise.all(FUNCTION_NAMES.map((name) => buildFunctionBundle(root, name, { metafile: true })));
  project.provide('functionBundles', root);
  return () => rmSync(root, { recursive: true, force: true });
}
