import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordText, registerSecret } from './secrets-scan/collector.ts';

export interface StackProcess {
  url: string;
  simulatorUrl: string;
  apiKey: string;
  /** Milliseconds from spawn to the ready line. */
  readyMs: number;
  /** What it printed: the banner and the short log lines (infra/local/log-view.ts), or every JSON line with --json-logs. */
  output(): string;
  /** The JSON log and metric lines it wrote to its log file (none with --json-logs). */
  logs(): string;
  /**
   * Sends SIGINT to the process group, as Ctrl-C in a terminal does. Resolves once npm is gone, with how it ended
   * (npm itself dies of the signal; the service below it shuts down and exits 0).
   */
  interrupt(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL to the whole process group, as a crash or an OOM kill would: nothing gets to clean up. */
  kill(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const READY = /nexus-relay listening on (http:\/\/127\.0\.0\.1:\d+)/;

/** Runs `npm start` exactly as a user would, on free ports, and waits for its ready line. */
export async function startStackProcess(
  env: Record<string, string> = {},
  timeoutMs = 60_000,
  args: string[] = [],
): Promise<StackProcess> {
  const startedAt = performance.now();
  // Each process its own log file, so that tests running stacks side by side never share one.
  const logFile = env.NEXUS_RELAY_LOG_FILE ?? join(mkdtempSync(join(tmpdir(), 'nexus-relay-logs-')), 'stack.jsonl');
  const logs = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const child: ChildProcess = spawn('npm', ['start', '--silent', ...(args.length > 0 ? ['--', ...args] : [])], {
    cwd: new URL('../..', import.meta.url).pathname,
    env: { ...process.env, PORT: '0', MX_SIM_PORT: '0', NEXUS_RELAY_LOG_FILE: logFile, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit').then(([code, signal]) => {
    // For the secrets scan: everything the stack printed and logged, once it is done.
    recordText('subprocess', `${output}\n${logs()}`);
    return { code: code as number | null, signal: signal as NodeJS.Signals | null };
  });

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start not ready after ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const check = () => {
      const match = READY.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', check);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`npm start ended (${code ?? signal}) before it was ready:\n${output}`));
    });
  });
  const readyMs = performance.now() - startedAt;
  // With MX_BASE_URL, MX_SSO_BASE_URL, MX_REALTIME_BASE_URL, MX_CLIENT_ID and MX_API_KEY given, the stack talks to that MX (here: a simulator the test runs).
  const simulatorUrl = /MX: the simulator at (http:\/\/\S+)/.exec(output)?.[1] ?? env.MX_BASE_URL;
  const apiKey = /api key: (\S+)/.exec(output)?.[1];
  if (!simulatorUrl || !apiKey) throw new Error(`ready line without simulator url or api key:\n${output}`);
  registerSecret('api key', apiKey);

  return {
    url,
    simulatorUrl,
    apiKey,
    readyMs,
    output: () => output,
    logs,
    async interrupt() {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGINT');
      return exited;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
      return exited;
    },
  };
}
