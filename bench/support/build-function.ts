import { resolve } from 'node:path';
import { build } from 'esbuild';
import { esbuildOptions } from '../../infra/bundling.ts';
import { functionEntry } from '../../infra/constructs/relay-function.ts';
import { FUNCTION_NAMES, type FunctionName } from '../../infra/constructs/function-specs.ts';

/**
 * Builds one function as the stack bundles it: `build-function.ts <function|entry.ts> <outfile>` (an entry of the
 * benchmark's own, bundled with the same options). Run as its own process, so a benchmark that measures the bundle
 * in-process loads neither esbuild nor the CDK that names the stack's options.
 */
const [name, outfile] = process.argv.slice(2);
const entry = name?.endsWith('.ts')
  ? resolve(name)
  : FUNCTION_NAMES.includes(name as FunctionName) && functionEntry(name as FunctionName);
if (!entry || !outfile) throw new Error(`usage: build-function.ts <${FUNCTION_NAMES.join('|')}|entry.ts> <outfile>`);
await build({ ...esbuildOptions(entry, outfile), logLevel: 'silent' });
