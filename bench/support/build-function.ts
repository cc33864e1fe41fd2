import { build } from 'esbuild';
import { esbuildOptions } from '../../infra/bundling.ts';
import { functionEntry } from '../../infra/constructs/relay-function.ts';
import { FUNCTION_NAMES, type FunctionName } from '../../infra/constructs/function-specs.ts';

/**
 * Builds one function as the stack bundles it: `build-function.ts <function> <outfile>`. Run as its own process, so a
 * benchmark that measures the bundle in-process loads neither esbuild nor the CDK that names the stack's options.
 */
const [name, outfile] = process.argv.slice(2);
if (!FUNCTION_NAMES.includes(name as FunctionName) || !outfile) {
  throw new Error(`usage: build-function.ts <${FUNCTION_NAMES.join('|')}> <outfile>`);
}
await build({ ...esbuildOptions(functionEntry(name as FunctionName), outfile), logLevel: 'silent' });
