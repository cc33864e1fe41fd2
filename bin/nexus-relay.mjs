#!/usr/bin/env node
// The `nexus-relay` CLI. Its code is TypeScript (cli/main.ts), run through tsx's loader in this same process:
// no build step, no child process, Ctrl-C and exit codes behave as for any Node program. tsx is a devDependency,
// so this works wherever the repository's dependencies are installed (`npm ci`); `npm run cli -- …` does the same.
// The repository's tsconfig.json, whatever the working directory: its `paths` send `@nexus-relay/client` to the
// kit's source (the package's own entry is the built dist/, made only by `npm pack`).
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
