import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../../infra/local/local-stack.ts';
import { describeStack, writeStackFile } from '../../../infra/local/stack-file.ts';
import { runCli } from './cli-process.ts';

/** `nexus-relay mx check` against the local simulator, as CI runs it: it must pass, and name what differs when MX does. */
let stack: LocalStack;
let directory: string;
let env: Record<string, string>;
const cli = (...args: string[]) => runCli(args, { env, timeoutMs: 60_000 });

async function sim(path: string, body: unknown) {
  const response = await fetch(`${stack.simulatorUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBeLessThan(300);
  return response.json() as Promise<any>;
}

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, simPort: 0, env: { LOG_LEVEL: 'ERROR' } });
  directory = mkdtempSync(join(tmpdir(), 'nexus-relay-mx-check-'));
  const stackFile = join(directory, 'stack.json');
  writeStackFile(describeStack(stack), stackFile);
  env = { NEXUS_RELAY_STACK_FILE: stackFile };
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  if (directory) rmSync(directory, { recursive: true, force: true });
});

describe('mx check', () => {
  it('passes against the simulator: every documented and unconfirmed fact it checks holds, nothing secret printed', async () => {
    const run = await cli('mx', 'check', '--json');
    expect(run.code).toBe(0);
    const report = run.json();
    expect(report.contradiction).toBe(false);
    const verdicts = Object.fromEntries(report.checks.map((c: any) => [c.id, c.verdict]));
    expect(verdicts).toMatchObject({
      sso_api_token: 'holds',
      session: 'holds',
      read_members: 'holds',
      read_member: 'holds',
      error_body: 'holds',
      session_expired: 'holds',
      retry_after: 'not_checked',
      aggregate: 'not_checked',
      mdx_create_user: 'not_checked',
      session_skip_aggregation: 'not_checked',
    });
    expect(report.checks.find((c: any) => c.id === 'session_expired').source).toBe('unconfirmed');
    expect(run.stdout + run.stderr).not.toMatch(/sim-api-key|MD-SESSION|token":/);
  });

  it('with --create-user and --check-session-body, checks users at MDX Real Time and the session body (both act at MX)', async () => {
    await sim('/_sim/members', { user_id: 'mx-check-sessions' });
    const run = await cli(
      'mx',
      'check',
      '--user',
      'mx-check-sessions',
      '--create-user',
      'mx-check-made',
      '--check-session-body',
      '--json',
    );
    expect(run.code).toBe(0);
    const verdicts = Object.fromEntries(run.json().checks.map((c: any) => [c.id, c.verdict]));
    expect(verdicts).toMatchObject({ mdx_create_user: 'holds', mdx_delete_user: 'holds', session_skip_aggregation: 'holds' });
    const stats = (await (await fetch(`${stack.simulatorUrl}/_sim/stats`)).json()) as any;
    expect(stats.aggregations_started_by_sessions).toBe(0);
    // An id MX already has (409) is someone's user: held, and never deleted; --user's own id is refused outright.
    const taken = await cli('mx', 'check', '--user', 'mx-check-sessions', '--create-user', 'sim-user-pfm', '--json');
    expect(taken.json().checks.find((c: any) => c.id === 'mdx_delete_user')).toMatchObject({ verdict: 'not_checked' });
    expect((await fetch(`${stack.simulatorUrl}/_sim/users/sim-user-pfm`)).status).toBe(200);
    const own = await cli('mx', 'check', '--user', 'mx-check-sessions', '--create-user', 'mx-check-sessions', '--json');
    expect(own.json()).toMatchObject({ code: 'usage', detail: expect.stringContaining('--create-user') });
  });

  it('with --aggregate, follows one aggregation to its end', async () => {
    const { member } = await sim('/_sim/members', {
      user_id: 'mx-check-user',
      aggregation: { duration_ms: 1_000, final_status: 'CONNECTED' },
    });
    const run = await cli('mx', 'check', '--user', 'mx-check-user', '--aggregate', member.guid, '--json');
    expect(run.code).toBe(0);
    expect(run.json().checks.find((c: any) => c.id === 'aggregate')).toMatchObject({ verdict: 'holds' });
  });

  it('tells a usage mistake from a contradiction: a member of another user, a user MX does not have (issue 38 #4)', async () => {
    const { member } = await sim('/_sim/members', { user_id: 'mx-check-owner' });
    await sim('/_sim/members', { user_id: 'mx-check-other' });
    const wrongUser = await cli('mx', 'check', '--user', 'mx-check-other', '--aggregate', member.guid);
    expect(wrongUser.code).toBe(1);
    expect(wrongUser.stderr).toContain(`${member.guid} is not a member of user mx-check-other at MX (HTTP 404`);
    expect(wrongUser.stdout + wrongUser.stderr).not.toMatch(/contradicts/);
    const json = await cli('mx', 'check', '--user', 'mx-check-nobody', '--json');
    expect(json.code).toBe(1);
    expect(json.json()).toMatchObject({ code: 'usage', detail: expect.stringContaining('MX has no user mx-check-nobody') });
  });

  it("reads its MX settings by the local stack's rule: all five name an MX, some without the rest are refused", async () => {
    const named = {
      MX_BASE_URL: stack.simulatorUrl!,
      MX_SSO_BASE_URL: stack.simulatorUrl!,
      MX_REALTIME_BASE_URL: `${stack.simulatorUrl!}/mdx-realtime`,
      MX_CLIENT_ID: 'sim-client',
      MX_API_KEY: 'sim-api-key',
    };
    // Named as a real MX would be (here the simulator, by its URL): no stack file is needed, --user is.
    const asMx = (...args: string[]) => runCli(['mx', 'check', ...args], { env: named, timeoutMs: 60_000 });
    const noUser = await asMx('--json');
    expect(noUser.code).toBe(1);
    expect(noUser.json()).toMatchObject({ code: 'usage', detail: '--user <user_id>: an existing MX user to act as' });
    const run = await asMx('--user', 'sim-user-pfm', '--json');
    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({ mx: stack.simulatorUrl, contradiction: false });

    const partial = await runCli(['mx', 'check', '--json'], {
      env: { ...named, MX_SSO_BASE_URL: '', MX_REALTIME_BASE_URL: '', MX_API_KEY: '' },
    });
    expect(partial.code).toBe(1);
    expect(partial.json()).toMatchObject({
      code: 'usage',
      detail:
        'MX settings are partial: MX_BASE_URL and MX_CLIENT_ID are set but MX_SSO_BASE_URL, MX_REALTIME_BASE_URL and MX_API_KEY ' +
        'are not. Set MX_SSO_BASE_URL, MX_REALTIME_BASE_URL and MX_API_KEY to talk to that MX, or unset MX_BASE_URL and ' +
        'MX_CLIENT_ID to run against the simulator.',
    });
    // A value the relay would refuse is refused by name, never echoed (the key is a secret).
    const badUrl = await runCli(['mx', 'check', '--json'], { env: { ...named, MX_SSO_BASE_URL: 'sso.example.com' } });
    expect(badUrl.json()).toMatchObject({ code: 'usage', detail: 'MX_SSO_BASE_URL is invalid: must be an http(s) URL' });
    expect(badUrl.stdout + badUrl.stderr).not.toContain('sim-api-key');
  });

  it('takes the aggregate method as the relay reads MX_AGGREGATE_METHOD: GET or POST, the flag first', async () => {
    // A path segment that would name another path is the command line's mistake, not MX's.
    const dots = await cli('mx', 'check', '--aggregate', '..', '--json');
    expect(dots.json()).toMatchObject({ code: 'usage', detail: '--aggregate must name one member, not ".."' });
    const dot = await cli('mx', 'check', '--user', '.', '--json');
    expect(dot.json()).toMatchObject({ code: 'usage', detail: '--user must name one user, not "."' });
    const flag = await cli('mx', 'check', '--method', 'PATCH', '--json');
    expect(flag.json()).toMatchObject({ code: 'usage', detail: '--method must be one of GET, POST' });
    const variable = await runCli(['mx', 'check', '--json'], { env: { ...env, MX_AGGREGATE_METHOD: 'post' } });
    expect(variable.json()).toMatchObject({ code: 'usage', detail: 'MX_AGGREGATE_METHOD must be one of GET, POST' });
    const overridden = await runCli(['mx', 'check', '--method', 'POST', '--json'], {
      env: { ...env, MX_AGGREGATE_METHOD: 'post' },
      timeoutMs: 60_000,
    });
    expect(overridden.code).toBe(0);
  });

  it('reports a contradiction, and exits 1, when MX answers otherwise', async () => {
    await sim('/_sim/faults', { error_rate: 1, status: 500 });
    try {
      const run = await cli('mx', 'check', '--json');
      expect(run.code).toBe(1);
      const report = run.json();
      expect(report.contradiction).toBe(true);
      expect(report.checks.find((c: any) => c.id === 'sso_api_token')).toMatchObject({
        verdict: 'differs',
        observed: expect.stringContaining('HTTP 500'),
      });
      const human = await cli('mx', 'check');
      expect(human.stdout).toContain('differs');
    } finally {
      await sim('/_sim/faults', {});
    }
  });

  let dialectUsers = 0;

  /**
   * The shapes MX's documents leave open, each played by the simulator (`POST /_sim/dialect`): `mx check` names the
   * one it met. A shape the relay reads holds; one it cannot read differs, with what came.
   */
  it.each([
    { dialect: { sso_answer: 'xml' }, check: 'sso_api_token', verdict: 'differs', names: 'not JSON' },
    { dialect: { sso_answer: 'refused' }, check: 'sso_api_token', verdict: 'differs', names: 'refused the partner credentials' },
    { dialect: { session_expired: '4011_under_400' }, check: 'session_expired', verdict: 'holds', names: '4011 under HTTP 400' },
    { dialect: { timestamps: 'seconds' }, check: 'timestamps', verdict: 'holds', names: 'whole seconds, Z' },
    { dialect: { timestamps: 'offset' }, check: 'timestamps', verdict: 'holds', names: '3-digit fraction, offset' },
    {
      dialect: { aggregate_answer: 'status_only' },
      check: 'aggregate',
      verdict: 'holds',
      names: 'without a member body',
      aggregation: { duration_ms: 1_000, final_status: 'CONNECTED' },
    },
    {
      dialect: { challenges_key: 'missing' },
      check: 'aggregate',
      verdict: 'differs',
      names: 'without "challenges"',
      aggregation: { duration_ms: 1_000, final_status: 'CONNECTED', challenge: { label: 'City?', answer: 'Paris' } },
    },
  ])('names the shape MX used: $dialect → $check $verdict', async ({ dialect, check, verdict, names, aggregation }) => {
    const user = `mx-check-dialect-${++dialectUsers}`; // its first member is the one read
    const { member } = await sim('/_sim/members', { user_id: user, aggregation: aggregation ?? { duration_ms: 1_000 } });
    if (check === 'timestamps') {
      // A member with timestamps to show: aggregated once, before the dialect is set.
      await cli('mx', 'check', '--user', user, '--aggregate', member.guid, '--json');
    }
    await sim('/_sim/dialect', dialect);
    try {
      const args = ['mx', 'check', '--user', user, '--json', ...(aggregation ? ['--aggregate', member.guid] : [])];
      const report = (await cli(...args)).json();
      expect(report.checks.find((c: any) => c.id === check)).toMatchObject({ verdict, observed: expect.stringContaining(names) });
    } finally {
      await sim('/_sim/dialect', {});
    }
  });
});
