import { relative } from 'node:path';
import { afterAll, beforeAll, expect, inject } from 'vitest';
import { SessionRegistry } from '../../../sim/sessions.ts';
import { collector, flush, hookConsole, hookFetch, hookStream, registerSecret, settleAndFlush } from './collector.ts';

/**
 * Vitest setup file (every test file, every worker): turns the secrets-scan recording on. See `collector.ts` for what
 * is recorded and `global-setup.ts` for the check.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    secretsScanDir: string;
  }
}

const state = collector();
state.dir ??= inject('secretsScanDir');
hookStream(process.stdout, 'stdout');
hookStream(process.stderr, 'stderr');
hookConsole();
hookFetch();

// The in-process MX simulator's tokens: learned as it issues them.
const registry = SessionRegistry.prototype as SessionRegistry & { __secretsScan?: true };
if (!registry.__secretsScan) {
  const { issueApiToken, openSession } = SessionRegistry.prototype;
  registry.issueApiToken = function (this: SessionRegistry, userId: string) {
    const issued = issueApiToken.call(this, userId);
    registerSecret('mx api token', issued.token);
    return issued;
  };
  registry.openSession = function (this: SessionRegistry, apiToken: string) {
    const session = openSession.call(this, apiToken);
    registerSecret('mx session token', session?.token);
    return session;
  };
  registry.__secretsScan = true;
}

const holder = globalThis as { __secretsScanExitHook?: true };
if (!holder.__secretsScanExitHook) {
  process.once('exit', flush);
  holder.__secretsScanExitHook = true;
}

beforeAll(() => {
  const path = expect.getState().testPath;
  state.file = path ? relative(process.cwd(), path) : undefined;
});

afterAll(() => settleAndFlush());
