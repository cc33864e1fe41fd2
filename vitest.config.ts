import { defineConfig } from 'vitest/config';

// In this repository `@nexus-relay/client` is the kit's source, by tsconfig `paths` (the package's own entry is the
// dist/ that `npm pack` builds): tests run the code as it is, with no build first.
const resolve = { tsconfigPaths: true };

const shared = {
  pool: 'forks' as const,
  testTimeout: 30_000,
  hookTimeout: 60_000,
  env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  // The suite-wide secrets scan (test/support/secrets-scan): workers record logs, answers and webhook payloads;
  // the global teardown fails the run if any holds a secret.
  setupFiles: ['test/support/secrets-scan/setup.ts'],
  globalSetup: ['test/support/secrets-scan/global-setup.ts'],
};

/** Named so by .dependency-cruiser.cjs's `stack-files-named`. */
const STACK_FILES = 'test/integration/**/*.stack.test.ts';

export default defineConfig({
  test: {
    projects: [
      {
        // Pure logic shares its workers' module cache (isolate: false): each module loads once per worker, not once per
        // file (a quarter of the time). Mocks and stubbed variables are undone after each test, so nothing leaks.
        resolve,
        test: {
          ...shared,
          name: 'unit',
          include: ['test/{unit,contract}/**/*.test.ts', 'sim/test/unit/**/*.test.ts', 'clients/typescript/test/**/*.test.ts'],
          isolate: false,
          restoreMocks: true,
          unstubEnvs: true,
          maxWorkers: 3,
          sequence: { groupOrder: 0 },
        },
      },
      {
        resolve,
        test: {
          ...shared,
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'sim/test/integration/**/*.test.ts'],
          exclude: [STACK_FILES],
          // Parts composed explicitly share their workers' module cache, as the unit tests do (import was a third of
          // the suite's time). Most files wait on the engines more than they compute: three workers keep two cores busy.
          isolate: false,
          restoreMocks: true,
          unstubEnvs: true,
          maxWorkers: 3,
          sequence: { groupOrder: 0 },
        },
      },
      {
        // Files that load the functions as Lambda does (the whole local stack, or a function module): each reads the
        // process environment once (lib/config.ts → getConfig), so each file has modules of its own.
        resolve,
        test: { ...shared, name: 'integration-stacks', include: [STACK_FILES], maxWorkers: 3, sequence: { groupOrder: 0 } },
      },
      {
        // The CDK assertions share their workers' module cache (isolate: false): aws-cdk-lib loads once per worker
        // instead of once per file, and a stack synthesized for one file serves the next. They build fresh apps
        // and keep no global state, so nothing leaks from one file into another.
        resolve,
        test: {
          ...shared,
          name: 'cdk',
          include: ['test/infra/**/*.test.ts'],
          // The twelve functions bundled once for every file that reads a shipped bundle.
          globalSetup: [...shared.globalSetup, 'test/infra/support/function-bundles.global-setup.ts'],
          isolate: false,
          maxWorkers: 3,
          sequence: { groupOrder: 0 },
        },
      },
      {
        // End-to-end files boot whole stacks on free ports, after everything else. They wait on their stacks far more than
        // they compute (a third of two cores at two at a time): four at a time.
        resolve,
        test: { ...shared, name: 'e2e', include: ['test/e2e/**/*.test.ts'], maxWorkers: 4, sequence: { groupOrder: 1 } },
      },
      {
        // Browser tests drive Debian's Chromium (test/support/browser.ts) against a local stack, beside the e2e files.
        resolve,
        test: { ...shared, name: 'browser', include: ['test/browser/**/*.test.ts'], maxWorkers: 4, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
