import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { describeFindings, scanRunDirectory, type SecretEntry } from './scanner.ts';

/**
 * Vitest global setup: gives the workers a run directory for what they record (`setup.ts`) and, when the run ends,
 * scans it all. A secret in any log line, answer or webhook payload of the whole run fails it, naming where (redacted).
 */
/**
 * The local configuration's MX credentials, as the MX simulator and `npm start` default them (sim/server.ts,
 * local-stack.ts): known here because a stack in a subprocess never shows them to the test process. In-process stacks
 * also register whatever MX_API_KEY / MX_CLIENT_ID / MX_WEBHOOK_PASSWORD they were given (collector.ts).
 */
export const LOCAL_MX_CREDENTIALS: SecretEntry[] = [
  { k: 'mx credential', v: 'sim-api-key' },
  { k: 'mx credential', v: 'sim-client' },
  { k: 'basic password', v: 'sim-webhook-password' },
];

export default function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'nexus-relay-secrets-scan-'));
  project.provide('secretsScanDir', dir);
  return () => {
    const started = performance.now();
    const scan = scanRunDirectory(dir, LOCAL_MX_CREDENTIALS);
    const scanMs = Math.round(performance.now() - started);
    rmSync(dir, { recursive: true, force: true });
    if (scan.findings.length > 0) {
      // Vitest reports a teardown error but does not fail the run for it: the exit code is set here.
      process.exitCode = 1;
      throw new Error(describeFindings(scan.findings));
    }
    const megabytes = (scan.characters / 1e6).toFixed(1);
    console.log(
      `secrets scan (${project.name}): ${scan.records} records, ${megabytes} M characters, ${scan.secrets} secrets ${JSON.stringify(scan.secretKinds)}, scanned in ${scanMs} ms: none leaked`,
    );
  };
}
