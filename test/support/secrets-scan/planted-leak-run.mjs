// The suite's secrets scan can fail a whole run: a vitest run of one test that leaks a planted key must exit non-zero,
// naming the file and the leak, redacted. `npm test` runs this after the suite (a vitest run inside vitest would hold
// a worker for its whole length).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

const planted = `nxr_planted_${randomBytes(24).toString('base64url')}`;
const run = spawnSync('npx', ['vitest', 'run', '--config', 'test/support/secrets-scan/fixture/vitest.fixture.config.ts'], {
  cwd: new URL('../../..', import.meta.url),
  env: { ...process.env, PLANTED_KEY: planted },
  encoding: 'utf8',
  timeout: 90_000,
});
const output = `${run.stdout}${run.stderr}`;
const report = output.slice(output.indexOf('secrets scan:')).split(planted).join('<PLANTED>');
const failures = [
  [run.status === 1, `exits 1 (it exited ${run.status}${run.error ? `: ${run.error.message}` : ''})`],
  [report.includes('secrets scan: 1 record(s) hold a secret'), 'reports one record holding a secret'],
  [report.includes('planted-leak.fixture.ts'), 'names the leaking file'],
  [/request with \[REDACTED [^\]]*\]/.test(report), 'shows the leak redacted'],
  [!report.includes('<PLANTED>'), 'never prints the planted key'],
].filter(([holds]) => !holds);
if (failures.length > 0) {
  console.error(`planted-leak run: the secrets scan did not fail the run as it must; it should have:`);
  for (const [, what] of failures) console.error(`  - ${what}`);
  console.error(report || output);
  process.exit(1);
}
console.log('planted-leak run: the secrets scan failed the run and named the leak, redacted');
