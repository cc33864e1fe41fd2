import { createRelayClient, type RelayClient } from '@nexus-relay/client';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDocumentClient } from '../../lib/aws/dynamodb-client.ts';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordText } from '../support/secrets-scan/collector.ts';
import { simulatorControl } from '../support/simulator-control.ts';
import { startStackProcess, type StackProcess } from '../support/stack-process.ts';
import { startWebhookReceiver } from '../support/webhook-receiver.ts';
import { catalogueGuid } from '../../sim/institutions.ts';

/**
 * MX's premium jobs through `npm start`, as a client app drives them: a verification (MFA answered) of a
 * MONEY_MOVEMENT member and its account numbers read, an identification and its owners, an extended history — each
 * followed to its end with exactly one terminal event per run, every delivery verified — and the refusals made before
 * MX is asked, the simulator's counters proving MX was not. At the end every item of the stack's table goes to the
 * secrets scan, which fails the suite if an account number or owner field is in one (or in any log line or event).
 */
let stack: StackProcess;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let stackFile: string;
let relay: RelayClient;
const { sim, simMember } = simulatorControl(() => stack.simulatorUrl);

async function api(method: string, path: string, body?: unknown) {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${stack.apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

const member = (userId: string, memberGuid: string) => `/users/${userId}/members/${memberGuid}`;
const eventsOf = (jobId: string) => receiver.events.filter((event) => event.data.job?.id === jobId).map((event) => event.type);
const ended = (jobId: string, type: string) => receiver.waitFor((event) => event.data.job?.id === jobId && event.type === type);

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  stackFile = join(mkdtempSync(join(tmpdir(), 'nexus-relay-premium-')), 'stack.json');
  stack = await startStackProcess({ NEXUS_RELAY_STACK_FILE: stackFile });
  relay = createRelayClient({ baseUrl: stack.url, apiKey: stack.apiKey });
  receiver.useSecret((await relay.webhooks.create({ url: receiver.url })).secret);
}, 90_000);

afterAll(async () => {
  // Every item the relay wrote, for the secrets scan: no account number or owner field may be kept.
  if (stack) {
    const { dynamodb } = JSON.parse(readFileSync(stackFile, 'utf8'));
    const client = createDocumentClient({ region: dynamodb.region, dynamoDbEndpoint: dynamodb.endpoint });
    const items: unknown[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await client.send(new ScanCommand({ TableName: dynamodb.tableName, ExclusiveStartKey: start }));
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    client.destroy();
    recordText('table', items.map((item) => JSON.stringify(item)).join('\n'), 'premium-jobs table');
  }
  await receiver?.close();
  await stack?.interrupt();
});

describe('premium jobs', () => {
  it('verifies a MONEY_MOVEMENT member, MFA answered; its numbers are read, never kept', async () => {
    const { userId, memberGuid } = await simMember(
      { duration_ms: 1_500, final_status: 'CONNECTED', challenge: { label: 'Code sent to your phone?', answer: '8642' } },
      ['MONEY_MOVEMENT'],
    );
    const started = await api('POST', `${member(userId, memberGuid)}/verify?include_transactions=false`);
    expect(started.status).toBe(202);
    const job = started.body.job;
    expect(job).toMatchObject({ kind: 'verification', status: 'aggregating', member_guid: memberGuid });
    expect(started.headers.get('location')).toBe(`/jobs/${job.id}`);

    const [challenged] = await ended(job.id, 'verification.action_required');
    const challenges = challenged!.data.job.challenges as { guid: string }[];
    expect(challenges).toHaveLength(1);
    const resumed = await api('PUT', `${member(userId, memberGuid)}/resume`, {
      challenges: [{ guid: challenges[0]!.guid, value: '8642' }],
    });
    expect(resumed.status).toBe(202);
    expect(resumed.body.job).toMatchObject({ id: job.id, kind: 'verification', status: 'aggregating' });
    await ended(job.id, 'verification.succeeded');
    expect(eventsOf(job.id)).toEqual(['verification.started', 'verification.action_required', 'verification.succeeded']);
    expect(receiver.events.filter((event) => event.data.job?.id === job.id).every((event) => event.verified)).toBe(true);

    const numbers = await api('GET', `${member(userId, memberGuid)}/account_numbers`);
    expect(numbers.status).toBe(200);
    expect(numbers.headers.get('cache-control')).toBe('no-store');
    expect(numbers.body.account_numbers).toHaveLength(2);
    const [first] = numbers.body.account_numbers;
    expect(first).toMatchObject({
      member_guid: memberGuid,
      account_number: expect.stringMatching(/^\d{12}$/),
      passed_validation: true,
    });
    const byAccount = await api('GET', `/users/${userId}/accounts/${first.account_guid}/account_number`);
    expect(byAccount.body).toEqual({ account_numbers: [first] });
    // The verification showed MX's use cases, without PFM: a refresh is refused, MX not asked.
    await sim('POST', '/_sim/reset');
    const refused = await api('POST', `${member(userId, memberGuid)}/refresh`);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'use_case_not_permitted', detail: expect.stringContaining('PFM') });
    const { calls } = await sim('GET', '/_sim/stats');
    expect(Object.keys(calls).filter((route) => route.endsWith('/aggregate'))).toEqual([]);
    // Another user's account is not this user's to read.
    expect((await api('GET', `/users/user-someone-else/accounts/${first.account_guid}/account_number`)).status).toBe(404);
  });

  it('identifies a member and reads its owners; extends its history; through the client kit, one terminal event each', async () => {
    const { userId, memberGuid } = await simMember({ duration_ms: 1_000, final_status: 'CONNECTED' });
    const ids = { user_id: userId, member_guid: memberGuid };
    const identification = await relay.members.identify({ ...ids, include_transactions: false });
    expect(identification.kind).toBe('identification');
    expect(await relay.waitForJob(identification)).toMatchObject({ kind: 'identification', status: 'succeeded' });
    await ended(identification.id, 'identification.succeeded');
    expect(eventsOf(identification.id)).toEqual(['identification.started', 'identification.succeeded']);
    const owners = (await relay.members.accountOwners(ids)).account_owners as Record<string, unknown>[];
    expect(owners).toHaveLength(2);
    expect(owners[0]).toMatchObject({ member_guid: memberGuid, owner_name: expect.any(String) });

    const history = await relay.members.extendHistory(ids);
    expect(history.kind).toBe('history');
    expect(await relay.waitForJob(history)).toMatchObject({ kind: 'history', status: 'succeeded' });
    await ended(history.id, 'history.succeeded');
    expect(eventsOf(history.id)).toEqual(['history.started', 'history.succeeded']);
  });

  it('refuses before MX what MX documents it would refuse; passes MX’s own refusal on with its reason', async () => {
    const iron = await sim('POST', '/_sim/members', {
      user_id: 'user-iron',
      institution_code: 'iron_bank',
      aggregation: { duration_ms: 30_000, final_status: 'CONNECTED' },
    });
    const gringotts = await sim('POST', '/_sim/members', {
      user_id: 'user-gringotts',
      institution_code: 'gringotts',
      aggregation: { duration_ms: 30_000, final_status: 'CONNECTED' },
    });
    const moneyMovement = await simMember({ duration_ms: 30_000, final_status: 'CONNECTED' }, ['MONEY_MOVEMENT']);
    await sim('POST', '/_sim/reset');

    for (const [path, field] of [
      ['verify', 'supports_account_verification'],
      ['identify', 'supports_account_identification'],
    ] as const) {
      const refused = await api('POST', `${member('user-iron', iron.member.guid)}/${path}`);
      expect(refused.status).toBe(422);
      expect(refused.body).toMatchObject({ code: 'job_not_supported', field });
      expect(refused.body.detail).toContain('iron_bank');
    }
    const noHistory = await api('POST', `${member('user-gringotts', gringotts.member.guid)}/extend_history`);
    expect(noHistory.body).toMatchObject({ code: 'job_not_supported', field: 'supports_transaction_history' });

    // One job per member: an aggregation running, an extended history is refused without asking MX.
    const running = await api('POST', `${member('user-iron', iron.member.guid)}/refresh`);
    expect(running.status).toBe(202);
    const busy = await api('POST', `${member('user-iron', iron.member.guid)}/extend_history`);
    expect(busy.status).toBe(409);
    expect(busy.body.detail).toContain(running.body.job.id);

    const { calls } = await sim('GET', '/_sim/stats');
    for (const route of ['verify', 'identify', 'extend_history']) {
      expect(calls[`POST /members/{member_guid}/${route}`], route).toBeUndefined();
    }

    // A member created through the relay for money movement only: its refreshes are refused, MX not asked.
    const owner = 'user-money-movement';
    const fields = (await api('GET', `/users/${owner}/institutions/${catalogueGuid('mxbank')}/credentials`)).body.credentials as {
      guid: string;
    }[];
    const created = await api('POST', `/users/${owner}/members`, {
      institution_guid: catalogueGuid('mxbank'),
      credentials: fields.map(({ guid }, index) => ({ guid, value: `value-${index}` })),
      use_cases: ['MONEY_MOVEMENT'],
      skip_aggregation: true,
    });
    expect(created.body.job).toBeNull();
    await sim('POST', '/_sim/reset');
    const noPfm = await api('POST', `${member(owner, created.body.member.guid)}/refresh`);
    expect(noPfm.body).toMatchObject({ status: 403, code: 'use_case_not_permitted' });
    const after = (await sim('GET', '/_sim/stats')).calls as Record<string, number>;
    expect(Object.keys(after).filter((route) => route.endsWith('/aggregate'))).toEqual([]);

    // MX's refusal, with MX's reason: extended history needs PFM.
    const forbidden = await api('POST', `${member(moneyMovement.userId, moneyMovement.memberGuid)}/extend_history`);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toMatchObject({ code: 'mx_forbidden', detail: expect.stringContaining('PFM') });
    const bad = await api('POST', `${member(moneyMovement.userId, moneyMovement.memberGuid)}/verify?include_transactions=maybe`);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'validation_failed', field: 'include_transactions' });
  });
});

describe('OAuth members', () => {
  it('an OAuth member is created, authorised through the bank’s page, aggregated; then re-authorised', async () => {
    const userId = `user-oauth-${Date.now().toString(36)}`;
    const created = await api('POST', `/users/${userId}/members`, {
      institution_guid: catalogueGuid('mx_bank_oauth'),
      is_oauth: true,
      use_cases: ['PFM'],
    });
    expect(created.status).toBe(201);
    const { member: oauth, job } = created.body;
    expect(oauth).toMatchObject({ is_oauth: true, connection_status: 'PENDING' });
    // MX's one-time URI is a credential: an answer that may be stored for a replay never holds it.
    expect(JSON.stringify(created.body)).not.toContain('oauth_window_uri');
    expect(job).toMatchObject({ kind: 'aggregation', trigger: 'member_created', status: 'aggregating' });

    const window = await api('POST', `${member(userId, oauth.guid)}/oauth_window`, {});
    expect(window.status).toBe(201);
    expect(window.headers.get('cache-control')).toBe('no-store');
    const url = window.body.oauth_window.url as string;
    expect(await (await fetch(url)).text()).toContain('Authorize');
    expect((await fetch(`${url}/authorize`, { method: 'POST' })).status).toBe(200);
    await ended(job.id, 'aggregation.succeeded');
    expect(eventsOf(job.id)).toEqual(['aggregation.started', 'aggregation.succeeded']);

    // Re-authorised from a mobile app: MX aggregates after, which its webhook reports and a job of its own follows.
    await sim('POST', '/_sim/webhooks', {
      url: `${stack.url}/mx/webhooks`,
      username: 'sim-webhooks',
      password: 'sim-webhook-password',
    });
    const again = await relay.members.oauthWindow(
      { user_id: userId, member_guid: oauth.guid },
      { referral_source: 'APP', client_redirect_url: 'https://app.example/oauth-done' },
    );
    const back = await fetch(`${again.url}/authorize`, { method: 'POST', redirect: 'manual' });
    expect(back.headers.get('location')).toBe(`https://app.example/oauth-done?status=success&member_guid=${oauth.guid}`);
    const [reported] = await receiver.waitFor(
      (event) =>
        event.data.member?.guid === oauth.guid && event.data.job?.id !== job.id && event.type === 'aggregation.succeeded',
    );
    expect(reported!.data.job).toMatchObject({ trigger: 'mx', status: 'succeeded' });
    expect(eventsOf(reported!.data.job.id)).toEqual(['aggregation.succeeded']);

    // A member that is not OAuth: MX's refusal, with its reason.
    const plain = await simMember({ duration_ms: 1_000, final_status: 'CONNECTED' });
    const refused = await api('POST', `${member(plain.userId, plain.memberGuid)}/oauth_window`, {});
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: 'upstream_rejected', detail: expect.stringContaining('Member cannot use OAuth') });
    // Credentials or OAuth: one of the two.
    const both = await api('POST', `/users/${userId}/members`, {
      institution_guid: catalogueGuid('mx_bank_oauth'),
      is_oauth: true,
      credentials: [{ guid: 'CRD-1', value: 'x' }],
    });
    expect(both.body).toMatchObject({ status: 400, code: 'validation_failed', field: 'credentials' });
  });
});
