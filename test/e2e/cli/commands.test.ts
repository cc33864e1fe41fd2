import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../../infra/local/local-stack.ts';
import { describeStack, writeStackFile } from '../../../infra/local/stack-file.ts';
import { createDocumentClient } from '../../../lib/aws/dynamodb-client.ts';
import { hashApiKey } from '../../../lib/http/auth.ts';
import { ApiKeysRepository } from '../../../lib/store/api-keys-repo.ts';
import { startWebhookReceiver } from '../../support/webhook-receiver.ts';
import { REPO, runCli } from './cli-process.ts';
import { catalogueGuid } from '../../../sim/institutions.ts';

/**
 * Every `nexus-relay` command in `--json` mode (run in this process; a few as processes of their own: the bin,
 * `npm run cli`, the SDK's default chain) against a local stack that this file starts in-process and describes in a
 * stack file of its own, as `npm start` would.
 */
let stack: LocalStack;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let directory: string;
let env: Record<string, string>;
let keys: ApiKeysRepository;
let closeKeys: () => void;

const cli = (...args: string[]) => runCli(args, { env });
const newUser = () => `user-${randomUUID().slice(0, 8)}`;

async function api(path: string, key: string) {
  const response = await fetch(`${stack.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: response.status, body: await response.json() };
}

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  stack = await startLocalStack({ port: 0, simPort: 0, env: { LOG_LEVEL: 'ERROR' } });
  directory = mkdtempSync(join(tmpdir(), 'nexus-relay-cli-'));
  const stackFile = join(directory, 'stack.json');
  writeStackFile(describeStack(stack), stackFile);
  env = { NEXUS_RELAY_STACK_FILE: stackFile };
  const { engines } = stack;
  const client = createDocumentClient({ region: engines.region, dynamoDbEndpoint: engines.dynamoDbEndpoint });
  keys = new ApiKeysRepository({ client, tableName: engines.tableName });
  closeKeys = () => client.destroy();
}, 60_000);

afterAll(async () => {
  closeKeys?.();
  await receiver?.close();
  await stack?.stop();
  if (directory) rmSync(directory, { recursive: true, force: true });
});

describe('keys', () => {
  it.concurrent(
    'create prints a key once that the API accepts; list shows it without hash or key; revoke marks it revoked',
    async () => {
      const user = newUser();
      const [bound, server] = await Promise.all([
        cli('keys', 'create', '--name', 'client-app', '--user', user, '--json'),
        cli('keys', 'create', '--name', 'server-app', '--json'),
      ]);
      expect(bound.code).toBe(0);
      const created = bound.json();
      expect(created).toEqual({
        key: expect.stringMatching(/^nxr_[A-Za-z0-9_-]{43}$/),
        prefix: expect.any(String),
        name: 'client-app',
        user_id: user,
        created_at: expect.any(String),
      });
      expect(created.prefix).toBe(created.key.slice(4, 12));
      const serverKey = server.json().key as string;
      expect(server.json().user_id).toBeNull();

      // Stored as its SHA-256 with the display prefix; the key itself nowhere.
      const stored = (await keys.list()).find((record) => record.hash === hashApiKey(created.key));
      expect(stored).toMatchObject({ name: 'client-app', userId: user, prefix: created.prefix });
      expect(JSON.stringify(stored)).not.toContain(created.key);
      // The key works, bound to its user; the server key reaches what needs a server key.
      expect((await api(`/users/${user}/jobs`, created.key)).status).toBe(200);
      expect((await api(`/users/${newUser()}/jobs`, created.key)).status).toBe(403);
      expect((await api('/webhooks', created.key)).status).toBe(403);
      expect((await api('/webhooks', serverKey)).status).toBe(200);

      const listed = await cli('keys', 'list', '--json');
      expect(listed.code).toBe(0);
      expect(listed.json().keys).toEqual(
        expect.arrayContaining([
          {
            prefix: created.prefix,
            name: 'client-app',
            user_id: user,
            created_at: created.created_at,
            revoked_at: null,
            last_used_at: expect.anything(),
          },
          expect.objectContaining({ name: 'local-dev', user_id: null, prefix: stack.apiKey.slice(4, 12) }),
        ]),
      );
      expect(listed.stdout).not.toContain(created.key);
      expect(listed.stdout).not.toContain(hashApiKey(created.key));

      // After `--`: one prefix in 64 begins with `-`, which commander would take for an option.
      const revoked = await cli('keys', 'revoke', '--json', '--', created.prefix);
      expect(revoked.code, revoked.stdout).toBe(0);
      expect(revoked.json()).toMatchObject({
        already_revoked: false,
        key: { prefix: created.prefix, name: 'client-app', revoked_at: expect.any(String) },
      });
      // The API caches keys for 60 s: the revocation is asserted where it is made, in the table.
      expect((await keys.get(hashApiKey(created.key)))?.revokedAt).toBe(revoked.json().key.revoked_at);

      const again = await cli('keys', 'revoke', `nxr_${created.prefix}…`, '--json');
      expect(again.json()).toMatchObject({ already_revoked: true, key: { revoked_at: revoked.json().key.revoked_at } });
    },
  );

  it.concurrent(
    'a revoked, never-used key is refused at once; --table reaches a deployed table; an unknown prefix is not_found',
    async () => {
      const created = (await cli('keys', 'create', '--name', 'short-lived', '--json')).json();
      const revoked = await cli('keys', 'revoke', hashApiKey(created.key), '--json');
      expect(revoked.json().key.prefix).toBe(created.prefix);
      expect((await api('/webhooks', created.key)).status).toBe(401);

      // A deployed table: --table/--region and the SDK's default chain (here: credentials and endpoint from the environment).
      const deployed = await runCli(
        ['keys', 'create', '--name', 'deployed', '--table', stack.engines.tableName, '--region', stack.engines.region, '--json'],
        {
          spawn: true,
          env: {
            NEXUS_RELAY_STACK_FILE: join(directory, 'absent.json'),
            AWS_ENDPOINT_URL_DYNAMODB: stack.engines.dynamoDbEndpoint,
            AWS_ACCESS_KEY_ID: 'deployed-test',
            AWS_SECRET_ACCESS_KEY: 'deployed-test',
          },
        },
      );
      expect(deployed.code, deployed.stdout).toBe(0);
      expect((await api('/webhooks', deployed.json().key)).status).toBe(200);

      const unknown = await cli('keys', 'revoke', 'zzzzzzzz', '--json');
      expect(unknown.code).toBe(1);
      expect(unknown.json()).toMatchObject({ title: 'Resource not found', code: 'not_found', detail: 'No API key zzzzzzzz.' });
    },
  );
});

describe('mx webhook-url', () => {
  it.concurrent(
    "prints the one URL to give MX, from a deployed stack's mx-events function URL with or without its slash, or the local stack",
    async () => {
      for (const functionUrl of ['https://abc123.lambda-url.us-east-1.on.aws/', 'https://abc123.lambda-url.us-east-1.on.aws']) {
        const printed = await runCli(['mx', 'webhook-url', '--url', functionUrl, '--json']);
        expect(printed.code, printed.stderr).toBe(0);
        expect(printed.json()).toEqual({ url: 'https://abc123.lambda-url.us-east-1.on.aws/mx/webhooks' });
      }
      // The API's URL is not where MX's webhooks go (decision 0034): refused, naming the way to the right one.
      const api = await runCli(['mx', 'webhook-url', '--url', 'https://abc123.execute-api.us-east-1.amazonaws.com', '--json']);
      expect(api.code).not.toBe(0);
      expect(api.stderr + api.stdout).toContain('--env');
      const local = await cli('mx', 'webhook-url', '--json');
      expect(local.json()).toEqual({ url: `${stack.url}/mx/webhooks` });
      // What it prints is the route MX's webhooks reach: 401 without MX's credentials, not the API key's.
      const answer = await fetch(local.json<{ url: string }>().url, { method: 'POST', body: '{}' });
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toContain('Basic');
    },
  );
});

describe('connect-url', () => {
  it.concurrent(
    'prints a single-use Connect URL for a new user (PFM unless told); a refusal exits 1 with the problem',
    async () => {
      const user = newUser();
      const made = await cli('connect-url', user, '--json');
      expect(made.code, made.stderr).toBe(0);
      expect(made.json()).toEqual({
        widget_url: {
          url: expect.stringMatching(/\/_sim\/widgets\/\S+$/),
          type: 'connect_widget',
          user_id: user,
          expires_at: expect.any(String),
        },
      });
      expect((await cli('connect-url', user, '--use-cases', 'money_movement', '--json')).code).toBe(0);
      const refused = await cli('connect-url', user, '--widget', 'accounts_widget', '--use-cases', 'PFM,PFM', '--json');
      expect(refused.code).toBe(1);
      expect(refused.json()).toMatchObject({ code: 'validation_failed', field: 'use_cases' });
    },
  );
});

describe('members create, update, delete; users delete', () => {
  it.concurrent('create --oauth makes an OAuth member without credentials and names the window step', async () => {
    const user = newUser();
    const institutions = (await cli('institutions', user, 'MX Bank', '--json')).json().institutions as {
      guid: string;
      supports_oauth?: boolean;
    }[];
    const oauthBank = institutions.find((institution) => institution.supports_oauth === true)!.guid;
    expect(oauthBank).toBe(catalogueGuid('mx_bank_oauth'));
    // `members credentials` says how an OAuth bank connects, not to send it credentials.
    const asked = await cli('members', 'credentials', user, oauthBank);
    expect(asked.code, asked.stderr).toBe(0);
    expect(asked.stdout).toContain('MX Bank (OAuth) connects by OAuth');
    expect(asked.stdout).toContain(`members create ${user} --institution ${oauthBank} --oauth`);
    expect(asked.stdout).not.toContain('--credential GUID=VALUE');
    expect((await cli('members', 'credentials', user, oauthBank, '--json')).json()).toMatchObject({ supports_oauth: true });
    const plain = await cli('members', 'credentials', user, catalogueGuid('mxbank'));
    expect(plain.stdout).not.toContain('connects by OAuth');
    const refused = await cli('members', 'create', user, '--institution', oauthBank, '--oauth', '--credential', 'CRD-1=x');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--oauth');
    const created = await cli('members', 'create', user, '--institution', oauthBank, '--oauth');
    expect(created.code, created.stderr).toBe(0);
    const member = /member:?\s+(MBR-\S+)/.exec(created.stdout)?.[1];
    expect(created.stdout).toContain(`oauth-url ${user} ${member}`);
    const window = await cli('oauth-url', user, member!, '--json');
    expect(window.code, window.stderr).toBe(0);
    expect(window.json().oauth_window.url).toMatch(/^https?:\/\//);
  });

  it.concurrent('create with credentials from a file follows the member_created job; update; delete', async () => {
    const user = newUser();
    expect((await cli('connect-url', user, '--json')).code).toBe(0);
    // The institution by name, then the credentials it asks for (the guids members create takes), as the CLI lists them.
    const found = await cli('institutions', user, 'MX Bank');
    expect(found.code, found.stderr).toBe(0);
    expect(found.stdout).toMatch(/INSTITUTION +CODE +NAME +OAUTH/);
    const institutions = (await cli('institutions', user, 'MX Bank', '--json')).json().institutions as {
      guid: string;
      code: string;
    }[];
    const bank = institutions.find((institution) => institution.code === 'mxbank')!.guid;
    expect(found.stdout).toContain(bank);
    const listed = await cli('members', 'credentials', user, bank);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/CREDENTIAL +LABEL +FIELD +TYPE/);
    const body = (await cli('members', 'credentials', user, bank, '--json')).json();
    for (const { guid } of body.credentials as { guid: string }[]) expect(listed.stdout).toContain(guid);
    const credentialsFile = join(directory, `${user}-credentials.json`);
    const password = `pw-${randomUUID()}`;
    writeFileSync(
      credentialsFile,
      JSON.stringify({
        credentials: (body as { credentials: { guid: string; field_name: string }[] }).credentials.map((credential) => ({
          guid: credential.guid,
          value: credential.field_name === 'password' ? password : 'jane',
        })),
      }),
    );
    const created = await cli('members', 'create', user, '--institution', bank, '--credentials-file', credentialsFile, '--json');
    expect(created.code, created.stderr).toBe(0);
    const { member, job } = created.json();
    expect(job).toMatchObject({ trigger: 'member_created', member_guid: member.guid });
    expect(created.stdout + created.stderr).not.toContain(password);
    // While MX aggregates the new member, an update with credentials answers the job already running.
    const joined = await cli('members', 'update', user, member.guid, '--credentials-file', credentialsFile, '--json');
    expect(joined.json().job).toMatchObject({ id: job.id, trigger: 'member_created' });
    for (let status = job.status; status === 'aggregating'; await new Promise((resolve) => setTimeout(resolve, 250))) {
      status = ((await api(`/jobs/${job.id}`, stack.apiKey)).body as { job: { status: string } }).job.status;
    }

    const watched = await cli(
      'members',
      'update',
      user,
      member.guid,
      '--use-cases',
      'PFM',
      '--credentials-file',
      credentialsFile,
      '--watch',
      '--interval',
      '0.2',
      '--json',
    );
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.json().job).toMatchObject({ trigger: 'member_updated', status: 'succeeded' });

    const refused = await cli('members', 'create', user, '--institution', bank, '--json');
    expect(refused.code).toBe(1);
    // An update naming no use cases keeps the member's (MX wants them on every update).
    const noted = await cli('members', 'update', user, member.guid, '--metadata', 'hello', '--json');
    expect(noted.code, noted.stdout).toBe(0);
    expect(noted.json().member).toMatchObject({ metadata: 'hello', use_cases: ['PFM'] });
    // What job-view.ts hints for a member that needs its user (DENIED and the like).
    expect((await cli('connect-url', user, '--member', member.guid, '--json')).code).toBe(0);

    const deleted = await cli('members', 'delete', user, member.guid, '--json');
    expect(deleted.code, deleted.stderr).toBe(0);
    expect((await cli('members', user, member.guid, '--json')).json()).toMatchObject({ code: 'not_found' });

    const erased = await cli('users', 'delete', user, '--json');
    expect(erased.code, erased.stderr).toBe(0);
    expect(erased.json()).toEqual({ erasing: { user_id: user } });
  });
});

describe('webhooks, refresh --watch, jobs, sim', () => {
  let webhookId: string;
  const members = { succeeds: '', challenged: '', fails: '' };
  const users = { succeeds: newUser(), challenged: newUser(), fails: newUser() };
  const jobs = { succeeds: '', challenged: '', fails: '' };

  it('webhooks add prints the secret once; list shows the webhook; test delivers a signed webhook.test', async () => {
    const added = await cli(
      'webhooks',
      'add',
      receiver.url,
      '--events',
      'aggregation.*',
      '--description',
      'cli test',
      '--max-per-second',
      '500',
      '--json',
    );
    expect(added.code).toBe(0);
    const { webhook } = added.json();
    expect(webhook).toMatchObject({
      url: receiver.url,
      event_types: ['aggregation.*'],
      description: 'cli test',
      max_deliveries_per_second: 500,
      status: 'enabled',
    });
    expect(webhook.secret).toMatch(/^whsec_/);
    webhookId = webhook.id;
    receiver.useSecret(webhook.secret);

    const listed = await cli('webhooks', 'list', '--json');
    const mine = listed.json().webhooks.find((entry: { id: string }) => entry.id === webhookId);
    expect(mine).toMatchObject({ url: receiver.url, status: 'enabled' });
    expect(mine.secret).toBeUndefined();

    const tested = await cli('webhooks', 'test', webhookId, '--json');
    expect(tested.code).toBe(0);
    const { test } = tested.json();
    expect(test).toMatchObject({ delivered: true, attempt: { status_code: 204 } });
    const [event] = await receiver.waitFor((received) => received.id === test.msg_id);
    expect(event).toMatchObject({ type: 'webhook.test', verified: true });
    // Said where it is looked for: a test is not in the delivery log (issue 74 #6).
    const human = await cli('webhooks', 'test', webhookId);
    expect(human.stdout).toContain('Delivered');
    expect(human.stdout).toContain('A test is not logged');
  });

  it('webhooks rotate-secret prints a new secret once; disable and enable change the status (issue 38 #6)', async () => {
    const rotated = await cli('webhooks', 'rotate-secret', webhookId, '--json');
    expect(rotated.code, rotated.stderr).toBe(0);
    const { webhook } = rotated.json();
    expect(webhook.secret).toMatch(/^whsec_/);
    receiver.useSecret(webhook.secret);
    const disabled = await cli('webhooks', 'disable', webhookId, '--json');
    expect(disabled.code, disabled.stderr).toBe(0);
    expect(disabled.json().webhook).toMatchObject({ id: webhookId, status: 'disabled', disabled_reason: 'manual' });
    const enabled = await cli('webhooks', 'enable', webhookId);
    expect(enabled.code, enabled.stderr).toBe(0);
    expect(enabled.stdout).toContain('enabled');
    expect(
      (await cli('webhooks', 'list', '--json')).json().webhooks.find((w: { id: string }) => w.id === webhookId),
    ).toMatchObject({
      status: 'enabled',
    });
  });

  it('sim member add scripts members (duration, outcome, MFA challenge, institution)', async () => {
    const [succeeds, challenged, fails] = await Promise.all([
      cli('sim', 'member', 'add', users.succeeds, '--aggregation-seconds', '1.5', '--institution', 'otherbank', '--json'),
      cli(
        'sim',
        'member',
        'add',
        users.challenged,
        '--aggregation-seconds',
        '1.5',
        '--challenge',
        'Code we sent?',
        '--answer',
        '4321',
        '--json',
      ),
      cli(
        'sim',
        'member',
        'add',
        users.fails,
        '--aggregation-seconds',
        '1',
        '--outcome',
        'failed',
        '--use-cases',
        'pfm',
        '--json',
      ),
    ]);
    for (const run of [succeeds, challenged, fails]) expect(run.code, run.stdout).toBe(0);
    expect(succeeds.json().member).toMatchObject({ institution_code: 'otherbank', connection_status: expect.any(String) });
    expect(fails.json().member.use_cases).toEqual(['PFM']);
    members.succeeds = succeeds.json().member.guid;
    members.challenged = challenged.json().member.guid;
    members.fails = fails.json().member.guid;

    // Its data: as many accounts and transactions as asked for, read through the relay.
    const holder = newUser();
    expect((await cli('sim', 'member', 'add', holder, '--accounts', '3', '--transactions', '7', '--json')).code).toBe(0);
    const [accounts, transactions] = await Promise.all([
      cli('accounts', holder, '--json'),
      cli('transactions', 'list', holder, '--json'),
    ]);
    expect(accounts.json().accounts).toHaveLength(3);
    expect(transactions.json().transactions).toHaveLength(7);
    expect((await cli('sim', 'member', 'add', newUser(), '--accounts', '21')).stderr).toContain('--accounts');

    const invalid = await cli('sim', 'member', 'add', newUser(), '--outcome', 'NOT_A_STATUS', '--json');
    expect(invalid.code).toBe(1);
    expect(invalid.json()).toMatchObject({
      code: 'simulator_error',
      status: 400,
      detail: expect.stringContaining('final_status'),
    });
  });

  it('refresh --watch exits 0 on succeeded, 2 on action_required, 1 on failed', async () => {
    const watch = (key: keyof typeof members) =>
      cli('refresh', users[key], members[key], '--watch', '--interval', '0.5', '--json');
    const [succeeds, challenged, fails] = await Promise.all([watch('succeeds'), watch('challenged'), watch('fails')]);

    expect(succeeds.code, succeeds.stdout).toBe(0);
    expect(succeeds.json().job).toMatchObject({ status: 'succeeded', connection_status: 'CONNECTED', user_id: users.succeeds });
    expect(succeeds.json().watch).toMatchObject({
      checks: expect.any(Number),
      connection_statuses: expect.arrayContaining(['CONNECTED']),
    });
    expect(succeeds.json().watch.checks).toBeGreaterThan(0);
    // The poll loop's own count (the job view's `polls`), which the live status line shows.
    expect(succeeds.json().job.polls).toBeGreaterThan(0);

    expect(challenged.code, challenged.stdout).toBe(2);
    expect(challenged.json().job).toMatchObject({ status: 'action_required', connection_status: 'CHALLENGED' });
    expect(challenged.json().job.challenges).toEqual([expect.objectContaining({ label: 'Code we sent?' })]);
    expect(challenged.json().watch.connection_statuses.at(-1)).toBe('CHALLENGED');

    expect(fails.code, fails.stdout).toBe(1);
    expect(fails.json().job).toMatchObject({ status: 'failed', connection_status: 'FAILED' });

    jobs.succeeds = succeeds.json().job.id;
    jobs.challenged = challenged.json().job.id;
    jobs.fails = fails.json().job.id;
    // The webhook heard about each end.
    await receiver.waitFor(
      (event) => Object.values(jobs).includes(event.data.job?.id) && event.type !== 'aggregation.started',
      3,
    );
  });

  it('refresh --watch inside MX’s throttle window says MX did not aggregate (mx_aggregated: false)', async () => {
    const settings = (body: unknown) =>
      fetch(`${stack.simulatorUrl}/_sim/settings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const user = newUser();
    const member = (await cli('sim', 'member', 'add', user, '--aggregation-seconds', '0.5', '--json')).json().member.guid;
    const first = await cli('refresh', user, member, '--watch', '--interval', '0.5', '--json');
    expect(first.code).toBe(0);
    expect((await settings({ throttle_window_minutes: 180 })).status).toBe(200);
    try {
      // The member has just aggregated: a refresh now is inside the window.
      const watched = await cli('refresh', user, member, '--watch', '--interval', '0.5');
      expect(watched.code, watched.stderr).toBe(0);
      // The first job's record beside the second's output, should they ever disagree.
      expect(watched.stdout + watched.stderr, `first: ${first.stdout}`).toContain('MX did not aggregate');
    } finally {
      await settings({});
    }
  });

  it('refresh without --watch prints the job at once; jobs get and jobs list (newest first, with a cursor) read it back', async () => {
    const started = await cli(
      'refresh',
      users.succeeds,
      members.succeeds,
      '--include-transactions',
      '--idempotency-key',
      randomUUID(),
      '--json',
    );
    expect(started.code).toBe(0);
    const { job } = started.json();
    expect(job).toMatchObject({ status: 'aggregating', user_id: users.succeeds, member_guid: members.succeeds });
    expect(job.id).not.toBe(jobs.succeeds);

    const got = await cli('jobs', 'get', jobs.succeeds, '--json');
    expect(got.code).toBe(0);
    expect(got.json().job).toMatchObject({ id: jobs.succeeds, status: 'succeeded', finished_at: expect.any(String) });

    const first = await cli('jobs', 'list', users.succeeds, '--per-page', '1', '--json');
    expect(first.code).toBe(0);
    expect(first.json().jobs.map((entry: { id: string }) => entry.id)).toEqual([job.id]);
    expect(first.json().next_cursor).toEqual(expect.any(String));
    const second = await cli('jobs', 'list', users.succeeds, '--per-page', '1', '--cursor', first.json().next_cursor, '--json');
    expect(second.json().jobs.map((entry: { id: string }) => entry.id)).toEqual([jobs.succeeds]);
  });

  it.concurrent('webhooks deliveries lists the log; replay sends one delivery or a time range again; rm deletes', async () => {
    const log = await cli('webhooks', 'deliveries', webhookId, '--per-page', '50', '--json');
    expect(log.code).toBe(0);
    // The watched job's delivery: the concurrent refresh test starts another job of that member, whose own
    // `aggregation.succeeded` may be newer and not yet delivered.
    const succeeded = log
      .json()
      .deliveries.find(
        (delivery: { event_type: string; msg_id: string }) =>
          delivery.event_type === 'aggregation.succeeded' && delivery.msg_id.startsWith(`msg_${jobs.succeeds}_`),
      );
    expect(succeeded).toMatchObject({ status: 'delivered', attempt_count: 1 });

    const replayed = await cli('webhooks', 'replay', webhookId, succeeded.msg_id, '--json');
    expect(replayed.code).toBe(0);
    expect(replayed.json().delivery).toMatchObject({ msg_id: succeeded.msg_id });
    // The same webhook-id arrives a second time, so receivers can deduplicate.
    await receiver.waitFor((event) => event.id === succeeded.msg_id, 2);

    const range = await cli('webhooks', 'replay', webhookId, '--since', new Date(Date.now() - 3_600_000).toISOString(), '--json');
    // --until defaults to now (issue 59 #5), and takes `now` as given.
    expect(range.code, range.stdout).toBe(0);
    expect(range.json().replayed).toBeGreaterThanOrEqual(3);
    const untilNow = await cli(
      'webhooks',
      'replay',
      webhookId,
      '--since',
      new Date(Date.now() - 3_600_000).toISOString(),
      '--until',
      'now',
      '--json',
    );
    expect(untilNow.code, untilNow.stdout).toBe(0);
    expect(untilNow.json().replayed).toBeGreaterThanOrEqual(range.json().replayed);

    const removed = await cli('webhooks', 'rm', webhookId, '--json');
    expect(removed.json()).toEqual({ deleted: true, id: webhookId });
    const gone = await cli('webhooks', 'rm', webhookId, '--json');
    expect(gone.code).toBe(1);
    expect(gone.json()).toMatchObject({
      status: 404,
      code: 'not_found',
      title: 'Resource not found',
      request_id: expect.any(String),
    });
  });

  it.concurrent('sim institutions lists every simulated bank, whatever its name, each one the CLI can connect', async () => {
    const listed = await cli('sim', 'institutions', '--json');
    expect(listed.code, listed.stderr).toBe(0);
    const { institutions } = listed.json<{ institutions: { name: string; guid: string; supports_oauth: boolean }[] }>();
    expect(institutions.map((institution) => institution.name)).toEqual(
      expect.arrayContaining(['MX Bank', 'MX Bank (OAuth)', 'Gringotts', 'Iron Bank of Braavos']),
    );
    expect(institutions.find((institution) => institution.name === 'MX Bank (OAuth)')).toMatchObject({ supports_oauth: true });
    // Each guid is one `members credentials` takes.
    const gringotts = institutions.find((institution) => institution.name === 'Gringotts')!;
    const fields = await cli('members', 'credentials', newUser(), gringotts.guid, '--json');
    expect(fields.code, fields.stderr).toBe(0);
    const text = await cli('sim', 'institutions');
    expect(text.stdout).toMatch(/Iron Bank of Braavos\s+INS-/);
  });

  it.concurrent(
    'sim stats counts MX calls by route and by member; --reset clears them; sim faults sets and clears faults',
    async () => {
      const stats = await cli('sim', 'stats', '--json');
      expect(stats.code).toBe(0);
      expect(stats.json().calls['GET /members/{member_guid}']).toBeGreaterThan(0);
      const byMember = await cli('sim', 'stats', '--members', '--reset', '--json');
      expect(byMember.json().members[members.succeeds]).toMatchObject({ 'GET /members/{member_guid}': expect.any(Number) });
      expect(byMember.json().reset).toBe(true);

      const set = await cli(
        'sim',
        'faults',
        '--error-rate',
        '0.25',
        '--status',
        '429',
        '--retry-after',
        '2',
        '--latency-ms',
        '5',
        '--json',
      );
      expect(set.code).toBe(0);
      expect(set.json().faults).toMatchObject({ error_rate: 0.25, status: 429, retry_after_s: 2, latency_ms: 5 });
      // Without options: the faults as they stand (issue 59 #5), changing nothing.
      const shown = await cli('sim', 'faults', '--json');
      expect(shown.code, shown.stdout).toBe(0);
      expect(shown.json().faults).toEqual(set.json().faults);
      const cleared = await cli('sim', 'faults', '--clear', '--expire-sessions', '--json');
      expect(cleared.json()).toMatchObject({ faults: { error_rate: 0, latency_ms: 0 }, sessions_expired: true });
    },
  );
});

describe('verify, identify, extend-history, oauth-url', () => {
  it('each starts its job and, with --watch, follows it to its end like refresh', async () => {
    const user = newUser();
    const added = await cli('sim', 'member', 'add', user, '--aggregation-seconds', '1', '--json');
    const member = added.json().member.guid as string;
    for (const [command, kind] of [
      ['verify', 'verification'],
      ['identify', 'identification'],
      ['extend-history', 'history'],
    ] as const) {
      const run = await cli(command, user, member, '--watch', '--interval', '0.3', '--json');
      expect(run.code, run.stdout).toBe(0);
      expect(run.json().job).toMatchObject({ kind, status: 'succeeded', member_guid: member });
    }
    // MX's institution says no: refused before MX, the field named.
    const iron = await cli('sim', 'member', 'add', user, '--institution', 'iron_bank', '--json');
    const refused = await cli('verify', user, iron.json().member.guid, '--json');
    expect(refused.code).toBe(1);
    expect(refused.json()).toMatchObject({ code: 'job_not_supported', field: 'supports_account_verification' });
  });

  it('oauth-url prints a one-time window for an OAuth member', async () => {
    const user = newUser();
    const created = await fetch(`${stack.url}/users/${user}/members`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ institution_guid: catalogueGuid('mx_bank_oauth'), is_oauth: true, use_cases: ['PFM'] }),
    });
    const { member } = (await created.json()) as { member: { guid: string } };
    const run = await cli('oauth-url', user, member.guid, '--app', '--redirect', 'https://app.example/back', '--json');
    expect(run.code, run.stdout).toBe(0);
    expect(run.json().oauth_window).toEqual({ member_guid: member.guid, url: expect.stringMatching(/\/_sim\/oauth\/\S{20,}$/) });
  });
});

describe('resume and reads', () => {
  async function challengedMember() {
    const user = newUser();
    const added = await cli(
      'sim',
      'member',
      'add',
      user,
      '--aggregation-seconds',
      '1',
      '--challenge',
      'Code?',
      '--answer',
      '9876',
      '--json',
    );
    const member = added.json().member.guid as string;
    const refreshed = await cli('refresh', user, member, '--watch', '--interval', '0.3', '--json');
    expect(refreshed.code, refreshed.stdout).toBe(2);
    return { user, member, job: refreshed.json().job };
  }

  it('resume answers MFA from --answer flags or from the JSON the refresh hint prints, then follows the job to its end', async () => {
    const [byFlag, byFile] = await Promise.all([challengedMember(), challengedMember()]);
    const guid = byFlag.job.challenges[0].guid as string;

    const flagged = await cli(
      'resume',
      byFlag.user,
      byFlag.member,
      '--answer',
      `${guid}=9876`,
      '--watch',
      '--interval',
      '0.3',
      '--json',
    );
    expect(flagged.code, flagged.stdout).toBe(0);
    expect(flagged.json().job).toMatchObject({ id: byFlag.job.id, status: 'succeeded', connection_status: 'CONNECTED' });
    expect(flagged.stdout).not.toContain('9876'); // answers are sent, never printed

    // The human hint's JSON line, completed, is what --answers-file takes.
    const hint = await cli('jobs', 'get', byFile.job.id);
    const line = hint.stdout.split('\n').find((text) => text.includes('{"challenges"'))!;
    const answers = JSON.parse(line.replace(/\x1b\[[0-9;]*m/g, '').trim());
    expect(answers).toEqual({ challenges: [{ guid: byFile.job.challenges[0].guid, value: '' }] });
    answers.challenges[0].value = '9876';
    const file = join(directory, 'answers.json');
    writeFileSync(file, JSON.stringify(answers));
    const filed = await cli('resume', byFile.user, byFile.member, '--answers-file', file, '--json');
    expect(filed.code, filed.stdout).toBe(0);
    expect(filed.json().job).toMatchObject({ id: byFile.job.id, status: 'aggregating' });

    const neither = await cli('resume', byFile.user, byFile.member, '--json');
    expect(neither.code).toBe(1);
    expect(neither.json()).toMatchObject({ code: 'usage', detail: expect.stringContaining('--answer GUID=VALUE') });
    const malformed = await cli('resume', byFile.user, byFile.member, '--answer', 'no-equals-sign', '--json');
    expect(malformed.json()).toMatchObject({ code: 'usage', detail: expect.stringContaining('GUID=VALUE') });
  });

  it('a wrong MFA answer says the job is over and how to ask again (issue 38 #7)', async () => {
    const challenged = await challengedMember();
    const guid = challenged.job.challenges[0].guid as string;
    const wrong = await cli(
      'resume',
      challenged.user,
      challenged.member,
      '--answer',
      `${guid}=0000`,
      '--watch',
      '--interval',
      '0.3',
    );
    expect(wrong.code, wrong.stderr).toBe(2);
    expect(wrong.stdout).toContain('MX rejected the MFA answer');
    expect(wrong.stdout).toContain(`ask again: nexus-relay refresh ${challenged.user} ${challenged.member} --watch`);
  });

  it('reads members, accounts, transactions (across MX pages), beats and spending plans; an MX refusal is its problem', async () => {
    const user = 'sim-user-pfm';
    const [members, accounts, transactions, beats, plans] = await Promise.all([
      cli('members', user, '--json'),
      cli('accounts', user, '--json'),
      cli('transactions', 'list', user, '--per-page', '100', '--json'),
      cli('beats', user, '--max', '2', '--json'),
      cli('spending-plan', user, '--json'),
    ]);
    for (const run of [members, accounts, transactions, beats, plans]) expect(run.code, run.stdout).toBe(0);
    expect(members.json().members).toHaveLength(2);
    expect(accounts.json().accounts).toHaveLength(5);
    const guids = transactions.json().transactions.map((transaction: { guid: string }) => transaction.guid);
    expect(guids).toHaveLength(315); // four pages of 100
    expect(new Set(guids).size).toBe(315);
    expect(beats.json().beats).toHaveLength(2);
    expect(plans.json().spending_plans).toHaveLength(2);

    const member = members.json().members[0].guid as string;
    const plan = plans.json().spending_plans[0].guid as string;
    const [one, items, table] = await Promise.all([
      cli('members', user, member, '--json'),
      cli('spending-plan', user, plan, '--json'),
      cli('accounts', user),
    ]);
    expect(one.json().member).toMatchObject({ guid: member });
    expect(items.json().iteration_items.length).toBeGreaterThan(0);
    expect(table.stdout).toContain('ACCOUNT');
    expect(table.stdout).toContain('5 accounts');

    const refused = await cli('beats', 'sim-user-mm', '--json');
    expect(refused.code).toBe(1);
    expect(refused.json()).toMatchObject({ code: 'use_case_not_permitted', status: 403, request_id: expect.any(String) });
  });
});

describe('targets and errors', () => {
  it.concurrent('flags win over the environment, which wins over the stack file; its key only goes to its own URL', async () => {
    const deadUrl = 'http://127.0.0.1:9';
    const [flagWins, envKey, otherUrl, unreachable] = await Promise.all([
      runCli(['--url', stack.url, 'jobs', 'list', newUser(), '--json'], { env: { ...env, NEXUS_RELAY_URL: deadUrl } }),
      runCli(['jobs', 'list', newUser(), '--json'], { env: { ...env, NEXUS_RELAY_API_KEY: 'nxr_not-a-real-key-0000000' } }),
      runCli(['jobs', 'list', newUser(), '--json'], { env: { ...env, NEXUS_RELAY_URL: deadUrl } }),
      runCli(['--api-key', stack.apiKey, 'jobs', 'list', 'u', '--json'], { env: { ...env, NEXUS_RELAY_URL: deadUrl } }),
    ]);
    expect(flagWins.code, flagWins.stdout).toBe(0);
    expect(flagWins.json()).toEqual({ jobs: [] });
    expect(envKey.code).toBe(1);
    expect(envKey.json()).toMatchObject({ status: 401, code: 'unauthorized', request_id: expect.any(String) });
    expect(otherUrl.json()).toMatchObject({ code: 'no_target', detail: expect.stringContaining(`No API key for ${deadUrl}`) });
    expect(unreachable.json()).toMatchObject({ code: 'unreachable', title: 'Cannot reach the server' });
  });

  it.concurrent('without a stack file or flags every kind of command says how to get a target', async () => {
    const none = { NEXUS_RELAY_STACK_FILE: join(directory, 'absent.json') };
    const runs = await Promise.all([
      runCli(['jobs', 'get', 'job_x', '--json'], { env: none }),
      runCli(['keys', 'list', '--json'], { env: none }),
      runCli(['sim', 'stats', '--json'], { env: none }),
    ]);
    for (const run of runs) {
      expect(run.code).toBe(1);
      expect(run.json()).toMatchObject({ title: 'No target', code: 'no_target', detail: expect.stringContaining('npm start') });
    }
    expect(runs[0]!.json().detail).toContain('--url/--api-key');
    expect(runs[1]!.json().detail).toContain('--table');
    expect(runs[2]!.json().detail).toContain('--sim-url');
  });

  it.concurrent('a usage error in --json mode is a problem document too', async () => {
    const run = await cli('refresh', 'only-a-user', '--json');
    expect(run.code).toBe(1);
    expect(run.json()).toMatchObject({
      title: 'Invalid command line',
      code: 'usage',
      detail: expect.stringContaining('member_guid'),
    });
    expect(run.stderr).toBe('');
  });

  it.concurrent('`npm run cli` runs the same CLI from a fresh clone (no linked bin)', async () => {
    const run = await runCli(['keys', 'list', '--json'], { env, command: ['npm', 'run', '--silent', 'cli', '--'] });
    expect(run.code, run.stderr).toBe(0);
    expect(run.json().keys).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'local-dev' })]));
    // Its hints name the command as it was run: `sim member add`'s next step too (issue 59 #5).
    const added = await runCli(['sim', 'member', 'add', newUser()], { env, command: ['npm', 'run', '--silent', 'cli', '--'] });
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/refresh:\s+npm run cli -- refresh user-\S+ MBR-\S+ --watch/);
  });
});

describe('npm run refresh-request', () => {
  it('finds the running stack through its stack file (no queue URL, no environment): the job appears in the user’s jobs', async () => {
    const user = newUser();
    const created = await fetch(`${stack.simulatorUrl}/_sim/members`, {
      method: 'POST',
      body: JSON.stringify({ user_id: user, aggregation: { duration_ms: 500 } }),
    });
    const { member } = (await created.json()) as { member: { guid: string } };
    const run = await runCli(['--user', user, '--member', member.guid], {
      env,
      command: ['npm', 'run', '--silent', 'refresh-request', '--'],
      timeoutMs: 60_000,
    });
    expect(run.code, run.stderr).toBe(0);
    let jobs: { member_guid: string }[] = [];
    for (const until = Date.now() + 20_000; jobs.length === 0 && Date.now() < until;) {
      jobs = ((await api(`/users/${user}/jobs`, stack.apiKey)).body as { jobs: { member_guid: string }[] }).jobs;
      if (jobs.length === 0) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(jobs).toEqual([expect.objectContaining({ member_guid: member.guid })]);
  });
});

describe('npm run receiver', () => {
  // Its waits are on output, each up to 30 s: on a loaded machine npm, tsx and the refresh together pass vitest's 30 s.
  it('subscribes itself to the running stack, prints each verified event in one line, and unsubscribes on Ctrl-C', async () => {
    const child = spawn('npm', ['run', '--silent', 'receiver'], {
      cwd: REPO,
      env: { ...process.env, NEXUS_RELAY_STACK_FILE: env.NEXUS_RELAY_STACK_FILE },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    const waitForOutput = async (pattern: RegExp) => {
      for (const until = Date.now() + 30_000; !pattern.test(output);) {
        if (Date.now() > until) throw new Error(`timed out waiting for ${pattern}; output:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    try {
      await waitForOutput(/subscribed to .* as (wh_\S+);/);
      const webhookId = /as (wh_\S+);/.exec(output)![1]!;
      const user = newUser();
      const created = await fetch(`${stack.simulatorUrl}/_sim/members`, {
        method: 'POST',
        body: JSON.stringify({ user_id: user, aggregation: { duration_ms: 300 } }),
      });
      const { member } = (await created.json()) as { member: { guid: string } };
      const started = await fetch(`${stack.url}/users/${user}/members/${member.guid}/refresh`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.apiKey}` },
      });
      const { job } = (await started.json()) as { job: { id: string } };
      await waitForOutput(new RegExp(`✓ verified\\s+aggregation\\.succeeded\\s+${job.id}\\s+${member.guid}\\s+succeeded`));
      expect(output).toMatch(new RegExp(`✓ verified\\s+aggregation\\.started\\s+${job.id}`));
      process.kill(-child.pid!, 'SIGINT');
      await waitForOutput(new RegExp(`webhook ${webhookId} deleted`));
      expect((await api(`/webhooks/${webhookId}`, stack.apiKey)).status).toBe(404);
    } finally {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Already gone: it stopped on the SIGINT.
      }
    }
  }, 90_000);
});
