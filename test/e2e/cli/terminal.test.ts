import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStackProcess, type StackProcess } from '../../support/stack-process.ts';
import { BIN, normalise, runCli, screen } from './cli-process.ts';

/**
 * `npm start` as a user runs it, found by the CLI through nothing but the stack file it writes; and the CLI's
 * human mode: a forced terminal (NEXUS_RELAY_FORCE_TTY=1) snapshotted as the screen shows it, plain lines when
 * stdout is not a terminal, and a real pseudo-terminal (`script`) where available.
 */
let stack: StackProcess;
let directory: string;
let stackFile: string;
let env: Record<string, string>;

const cli = (args: string[], extra: Record<string, string> = {}) => runCli(args, { env: { ...env, ...extra } });
const tty = { NEXUS_RELAY_FORCE_TTY: '1' };

async function member(options: string[]) {
  const user = `user-${randomUUID().slice(0, 8)}`;
  const added = await cli(['sim', 'member', 'add', user, ...options, '--json']);
  expect(added.code, added.stdout).toBe(0);
  return { user, guid: added.json().member.guid as string };
}

/** Resolves once `path` is gone (watching its directory), or rejects after `timeoutMs`. */
function removal(path: string, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const watcher = watch(join(path, '..'));
    const timer = setTimeout(() => {
      watcher.close();
      reject(new Error(`${path} still exists after ${timeoutMs} ms`));
    }, timeoutMs);
    const check = () => {
      if (existsSync(path)) return;
      clearTimeout(timer);
      watcher.close();
      resolve();
    };
    watcher.on('change', check);
    check();
  });
}

const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'nexus-relay-cli-'));
  stackFile = join(directory, 'stack.json');
  env = { NEXUS_RELAY_STACK_FILE: stackFile };
  stack = await startStackProcess({ NEXUS_RELAY_STACK_FILE: stackFile, LOG_LEVEL: 'ERROR' });
}, 90_000);

afterAll(async () => {
  await stack?.interrupt();
  if (directory) rmSync(directory, { recursive: true, force: true });
});

describe('npm start and the stack file', () => {
  it('writes the stack file, readable by its owner only, once it is ready', () => {
    const written = JSON.parse(readFileSync(stackFile, 'utf8'));
    expect(written).toMatchObject({
      url: stack.url,
      apiKey: stack.apiKey,
      simulatorUrl: stack.simulatorUrl,
      dynamodb: {
        endpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
        region: 'us-east-1',
        tableName: expect.any(String),
      },
      queues: {
        urls: { 'refresh-requests': expect.stringContaining('refresh-requests'), poll: expect.any(String) },
        deadLetterUrls: { 'refresh-requests': expect.stringContaining('refresh-requests-dlq') },
      },
      pid: expect.any(Number),
    });
    expect(statSync(stackFile).mode & 0o777).toBe(0o600);
    expect(stack.output()).toContain(`stack file: ${stackFile}`);
  });
});

describe('human mode', () => {
  it('on a terminal: one live status line, rewritten in place, in colour; then what MX asks', async () => {
    const { user, guid } = await member(['--aggregation-seconds', '1.5', '--challenge', 'Code we sent?', '--answer', '4321']);
    const run = await cli(['refresh', user, guid, '--watch', '--interval', '0.5'], tty);
    expect(run.code, run.stderr).toBe(2);
    // Rewritten in place: several frames, each starting with carriage return + erase line, on one line.
    expect(run.stdout.split('\r\x1b[2K').length).toBeGreaterThan(2);
    expect(normalise(screen(run.stdout))).toMatchInlineSnapshot(`
      "␛[33m!␛[39m job_<id> · ␛[33maction_required␛[39m · RECONNECTED → CHALLENGED · polls <n> · <elapsed>
      MX asks:
        ␛[33m?␛[39m Code we sent? ␛[2m(CRD-<guid>)␛[22m
      answer: nexus-relay resume user-<id> MBR-<guid> --answer CRD-<guid>=… --watch
      ␛[2m   or: nexus-relay resume user-<id> MBR-<guid> --answers-file answers.json, with answers.json:␛[22m
      ␛[2m       {"challenges":[{"guid":"CRD-<guid>","value":""}]}␛[22m
      "
    `);
  });

  it('on a terminal with NO_COLOR: the same live line without colours', async () => {
    const { user, guid } = await member(['--aggregation-seconds', '1']);
    const run = await cli(['refresh', user, guid, '--watch', '--interval', '0.5'], { ...tty, NO_COLOR: '1' });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('\r\x1b[2K');
    expect(run.stdout).not.toMatch(/\x1b\[\d+m/);
    expect(normalise(screen(run.stdout))).toMatchInlineSnapshot(`
      "✔ job_<id> · succeeded · RECONNECTED → CONNECTED · polls <n> · <elapsed>
      "
    `);
  });

  it('not on a terminal: a plain line per change, no escape codes', async () => {
    const { user, guid } = await member(['--aggregation-seconds', '1', '--outcome', 'DENIED']);
    const run = await cli(['refresh', user, guid, '--watch', '--interval', '0.5']);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stdout).not.toContain('\x1b');
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^\[\s*\d+\.\ds\] aggregating (RECONNECTED|CONNECTED) \((polls|checks) 0\)$/);
    expect(lines.at(-3)).toMatch(/^action_required: job_\w+ \(.*DENIED, (polls|checks) \d+, \d+\.\ds\)$/);
    expect(lines.slice(-2)).toEqual([
      "The member needs its user (connection status DENIED): they reconnect it in MX's Connect widget.",
      `widget URL: nexus-relay connect-url ${user} --member ${guid}`,
    ]);
  });

  it('tables: keys list and webhooks list', async () => {
    const added = await cli([
      'webhooks',
      'add',
      'http://127.0.0.1:9/hooks',
      '--events',
      'aggregation.failed',
      '--description',
      'tty',
    ]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/secret: +whsec_/);
    const [keys, webhooks] = await Promise.all([cli(['keys', 'list'], tty), cli(['webhooks', 'list'], tty)]);
    expect(normalise(screen(keys.stdout))).toMatchInlineSnapshot(`
      "␛[1mPREFIX         NAME       USER          CREATED                   STATUS  LAST USED␛[22m
      nxr_<prefix>…  local-dev  ␛[2m(server key)␛[22m  <time>  ␛[32mactive␛[39m  <time>
      "
    `);
    expect(normalise(screen(webhooks.stdout))).toMatchInlineSnapshot(`
      "␛[1mID                         STATUS   URL                       EVENTS              DESCRIPTION␛[22m
      wh_<id>  ␛[32menabled␛[39m  http://127.0.0.1:<port>/hooks  aggregation.failed  tty
      "
    `);
  });

  it('errors: title, detail and request id on stderr, never a stack trace', async () => {
    const [notFound, noTarget] = await Promise.all([
      cli(['jobs', 'get', 'job_000000000000000000000000a']),
      runCli(['webhooks', 'list'], { env: { NEXUS_RELAY_STACK_FILE: join(directory, 'absent.json') } }),
    ]);
    expect(notFound.code).toBe(1);
    expect(notFound.stdout).toBe('');
    expect(normalise(notFound.stderr)).toMatchInlineSnapshot(`
      "Error: Resource not found (404)
        No job job_<id>.
        request id: <id>
      "
    `);
    expect(noTarget.code).toBe(1);
    expect(noTarget.stderr).toMatchInlineSnapshot(`
      "Error: No target
        No nexus-relay to talk to: start the local stack with \`npm start\`, or pass --url/--api-key.
      "
    `);
    for (const run of [notFound, noTarget]) expect(run.stderr).not.toMatch(/^\s+at /m);

    // MX's refusal: MX's own reason in the detail, and MX's code (issue 59 #2).
    const plain = await member(['--aggregation-seconds', '1']);
    const refused = await cli(['oauth-url', plain.user, plain.guid]);
    expect(refused.code).toBe(1);
    expect(normalise(refused.stderr)).toContain('MX rejected the request (HTTP 400): Member cannot use OAuth\n  MX code: 4001\n');
  });

  it.skipIf(!hasScript)('in a real pseudo-terminal (script): colours on, and off with NO_COLOR', async () => {
    const command = `${process.execPath} ${BIN} keys list`;
    const [coloured, plain] = await Promise.all([
      runCli(['-qec', command, '/dev/null'], { env, command: ['script'] }),
      runCli(['-qec', command, '/dev/null'], { env: { ...env, NO_COLOR: '1' }, command: ['script'] }),
    ]);
    expect(coloured.code, coloured.stdout).toBe(0);
    expect(coloured.stdout).toContain('\x1b[1mPREFIX');
    expect(plain.stdout).toContain('PREFIX');
    expect(plain.stdout).not.toMatch(/\x1b\[\d+m/);
  });
});

describe('shutdown', () => {
  it('removes the stack file; the CLI then says to start the stack', async () => {
    // npm ends at once; the stack below it shuts down, then removes its stack file.
    await stack.interrupt();
    await removal(stackFile);
    const run = await cli(['jobs', 'list', 'someone', '--json']);
    expect(run.json()).toMatchObject({ code: 'no_target', detail: expect.stringContaining('npm start') });
  });
});
