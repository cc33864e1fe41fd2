import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { main } from '../../../cli/main.ts';

export const REPO = fileURLToPath(new URL('../../..', import.meta.url));
export const BIN = fileURLToPath(new URL('../../../bin/nexus-relay.mjs', import.meta.url));

/**
 * The environment the CLI runs in: this process's as it was before any local stack started in it (that rewrites
 * process.env), without anything that would point the CLI somewhere by itself.
 */
const CLEAN_ENV = Object.fromEntries(
  Object.entries(process.env).filter(
    ([name]) =>
      !name.startsWith('NEXUS_RELAY_') &&
      !name.startsWith('AWS_ENDPOINT_URL') &&
      !['NO_COLOR', 'FORCE_COLOR', 'LOCAL_API_KEY', 'TABLE_NAME'].includes(name),
  ),
);

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as the one JSON document `--json` promises (fails the test when it is not exactly that). */
  json<T = any>(): T;
}

/**
 * Runs a command line and waits for it to end: `main` in this process, given the environment and capturing what it
 * prints, as `node bin/nexus-relay.mjs` runs it. `spawn` (or a `command`, by default `node bin/nexus-relay.mjs`) runs
 * it as a process of its own instead: for what only a process has (the AWS SDK's default chain reads the process's
 * environment; signals; the bin script itself).
 */
export async function runCli(
  args: string[],
  options: { env?: Record<string, string | undefined>; spawn?: boolean; command?: string[]; timeoutMs?: number } = {},
): Promise<CliRun> {
  const env = { ...CLEAN_ENV, ...options.env };
  const timeoutMs = options.timeoutMs ?? 30_000;
  const { code, stdout, stderr } =
    options.spawn || options.command
      ? await runProcess(args, env, options.command, timeoutMs)
      : await runInProcess(args, env, timeoutMs);
  return {
    code,
    stdout,
    stderr,
    json() {
      try {
        return JSON.parse(stdout);
      } catch {
        throw new Error(`stdout is not one JSON document (exit ${code}):\n${stdout}\nstderr:\n${stderr}`);
      }
    },
  };
}

type Ended = Pick<CliRun, 'code' | 'stdout' | 'stderr'>;

async function runInProcess(args: string[], env: Record<string, string | undefined>, timeoutMs: number): Promise<Ended> {
  let stdout = '';
  let stderr = '';
  const terminal = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`nexus-relay ${args.join(' ')} still running after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return { code: await Promise.race([main(args, terminal), timeout]), stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}

async function runProcess(
  args: string[],
  env: Record<string, string | undefined>,
  command: string[] | undefined,
  timeoutMs: number,
): Promise<Ended> {
  const [file, ...prefix] = command ?? [process.execPath, BIN];
  const child = spawn(file!, [...prefix, ...args], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/**
 * What a terminal shows after the output ran: each line as its last `\r`-rewrite left it, escape codes visible
 * as `␛[…m`, so a snapshot shows the colours too.
 */
export function screen(output: string): string {
  return output
    .split('\n')
    .map((line) => (line.split('\r').at(-1) ?? '').replaceAll('\x1b[2K', ''))
    .join('\n')
    .replaceAll('\x1b', '␛');
}

/** Ids, times and counters that change from run to run, replaced by placeholders. */
export function normalise(text: string): string {
  return text
    .replace(/job_[a-z0-9]{25}/g, 'job_<id>')
    .replace(/MBR-[A-Za-z0-9-]+/g, 'MBR-<guid>')
    .replace(/CRD-[A-Za-z0-9-]+/g, 'CRD-<guid>')
    .replace(/wh_[A-Za-z0-9_-]+/g, 'wh_<id>')
    .replace(/user-[0-9a-f]{8}/g, 'user-<id>')
    .replace(/nxr_[A-Za-z0-9_-]{8}…/g, 'nxr_<prefix>…')
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, '<time>')
    .replace(/\b\d+(\.\d)?s\b/g, '<elapsed>')
    .replace(/\b(checks|polls) \d+/g, '$1 <n>')
    .replace(/request id: \S+/g, 'request id: <id>')
    .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>');
}
