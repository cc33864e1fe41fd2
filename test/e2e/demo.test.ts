import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRelayClient, RelayNotFoundError } from '@nexus-relay/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStackProcess, type StackProcess } from '../support/stack-process.ts';

/**
 * `npm run demo` as a user runs it: against an `npm start` that found nothing but the stack file, in a subprocess,
 * judged by its exit code and what it prints.
 */
const root = new URL('../..', import.meta.url).pathname;
let dir: string;
let stack: StackProcess;
let stackFile: string;

/** The environment without anything that would aim the demo elsewhere than the test says. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const name of ['NEXUS_RELAY_URL', 'NEXUS_RELAY_API_KEY', 'NEXUS_RELAY_SIM_URL']) if (!(name in extra)) delete env[name];
  return env;
}

async function runDemo(env: Record<string, string>, args: string[] = []) {
  const child = spawn('npm', ['run', 'demo', '--silent', '--', ...args], {
    cwd: root,
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

/** A port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nexus-relay-demo-'));
  stackFile = join(dir, 'stack.json');
  stack = await startStackProcess({ NEXUS_RELAY_STACK_FILE: stackFile });
}, 90_000);

afterAll(async () => {
  await stack?.interrupt();
  await rm(dir, { recursive: true, force: true });
});

describe('npm run demo', () => {
  it('against a running stack: three scripted members and one connected through the Connect page, every expected webhook verified, exit 0, webhook gone', async () => {
    const { code, stdout, stderr } = await runDemo({ NEXUS_RELAY_STACK_FILE: stackFile });
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(stdout).toContain(`nexus-relay demo against ${stack.url}`);
    expect(stdout).toMatch(/✓ #1 succeeds\s+aggregation\.started → aggregation\.succeeded\n/);
    expect(stdout).toMatch(/✓ #2 needs MFA\s+aggregation\.started → aggregation\.action_required → aggregation\.succeeded\n/);
    expect(stdout).toMatch(/✓ #3 fails\s+aggregation\.started → aggregation\.failed\n/);
    expect(stdout).toMatch(/✓ #4 connected\s+aggregation\.started → aggregation\.succeeded\n/);
    expect(stdout).toMatch(/→ answered the MFA question of #2 with "Rex": job aggregating/);
    expect(stdout).toMatch(/demo passed: 9 webhooks, every one verified/);
    expect(stdout).not.toContain('\x1b['); // not a terminal: plain lines, no cursor movement or colours

    const webhook = /subscribed as (wh_\S+);/.exec(stdout)![1];
    expect(stdout).toContain(`webhook ${webhook} deleted`);
    const relay = createRelayClient({ baseUrl: stack.url, apiKey: stack.apiKey });
    await expect(relay.webhooks.get(webhook!)).rejects.toBeInstanceOf(RelayNotFoundError);
  }, 90_000);

  it('exits non-zero with what is missing when the events do not all arrive in time', async () => {
    const { code, stdout } = await runDemo({ NEXUS_RELAY_STACK_FILE: stackFile }, ['--timeout', '1']);
    expect(code).toBe(1);
    expect(stdout).toContain('demo failed (timed out after 1 s)');
    expect(stdout).toMatch(/member 3 \(fails, MBR-\S+\): missing aggregation\.failed/);
    expect(stdout).toMatch(/webhook wh_\S+ deleted/);
  }, 60_000);
});

describe('npm run demo without a stack', () => {
  it('says there is no stack and how to start one, and exits 2', async () => {
    const { code, stdout, stderr } = await runDemo({ NEXUS_RELAY_STACK_FILE: join(dir, 'no-stack.json') });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/No running nexus-relay stack found: .*no-stack\.json is missing or its process is gone/);
    expect(stderr).toContain('Start one with `npm start` in another terminal');
  }, 30_000);

  it('says nothing answers when the URL it was given is dead, and exits 2', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const { code, stderr } = await runDemo({ NEXUS_RELAY_URL: url, NEXUS_RELAY_API_KEY: 'k', NEXUS_RELAY_SIM_URL: url });
    expect(code).toBe(2);
    expect(stderr).toContain(`No nexus-relay stack answers at ${url} (from NEXUS_RELAY_URL)`);
  }, 30_000);
});
