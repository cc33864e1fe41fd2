import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { nodejsFunctionBundling } from '../../infra/bundling.ts';
import { FUNCTION_NAMES, FUNCTION_SPECS } from '../../infra/constructs/function-specs.ts';
import { OPENAPI_FILE } from '../../infra/openapi.ts';
import { CONSOLE_FOLDER } from '../../scripts/build-console.ts';

/**
 * A function that reads files at run time (api-docs: the OpenAPI document and the console) finds them beside its
 * bundle: the stack's NodejsFunction copies its spec's `readsFolders` there after bundling. The CDK tests skip
 * bundling, so the hook's commands are run here as the CDK runs them (chained with `&&` in a shell).
 */
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'nexus-relay-asset-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('the folders a function reads at run time', () => {
  it.each(FUNCTION_NAMES.filter((name) => FUNCTION_SPECS[name].readsFolders))(
    '%s names folders of the project, each under its own name beside the bundle',
    (name) => {
      const folders = FUNCTION_SPECS[name].readsFolders!.map((folder) => fileURLToPath(folder));
      for (const folder of folders) {
        expect(statSync(folder).isDirectory()).toBe(true);
        expect(folder.startsWith(PROJECT_ROOT)).toBe(true);
      }
      expect(new Set(folders.map((folder) => basename(folder))).size).toBe(folders.length);
    },
  );

  it('are copied beside the bundle by the NodejsFunction bundling’s afterBundling commands', () => {
    const hooks = nodejsFunctionBundling(FUNCTION_SPECS['api-docs'].readsFolders).commandHooks!;
    const commands = hooks.afterBundling(PROJECT_ROOT, out);
    expect(commands).toEqual([`cp -R '${join(PROJECT_ROOT, 'lib/api-docs/public')}' '${join(out, 'public')}'`]);
    execFileSync('bash', ['-c', commands.join(' && ')]);
    expect(readFileSync(join(out, 'public', 'openapi.json'), 'utf8')).toBe(readFileSync(OPENAPI_FILE, 'utf8'));
    expect(readdirSync(join(out, 'public', 'console')).sort()).toEqual(readdirSync(CONSOLE_FOLDER).sort());
    expect([hooks.beforeBundling(PROJECT_ROOT, out), hooks.beforeInstall(PROJECT_ROOT, out)]).toEqual([[], []]);
  });

  it('are none for a function that reads no files: its bundling has no hooks', () => {
    expect(FUNCTION_SPECS['api-read'].readsFolders).toBeUndefined();
    expect(nodejsFunctionBundling(FUNCTION_SPECS['api-read'].readsFolders).commandHooks).toBeUndefined();
  });
});
