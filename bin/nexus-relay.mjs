#!/usr/bin/env node
// The `nexus-relay` CLI. Its code is TypeScript (cli/main.ts), run through tsx's loader in this same process:
// no build step, no child process, Ctrl-C and exit codes behave as for any Node program. tsx is a devDependency,
// so this works wherever the repository's dependencies are installed (`npm ci`); `npm run cli -- …` does the same.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
