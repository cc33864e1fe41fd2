import { randomBytes, randomUUID } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type LocalStack, startLocalStack } from '../../../infra/local/local-stack.ts';
import { createDocumentClient } from '../../../lib/aws/dynamodb-client.ts';
import { registerSecret } from '../../support/secrets-scan/collector.ts';
import { startWebhookReceiver } from '../../support/webhook-receiver.ts';
import { catalogueGuid } from '../../../sim/institutions.ts';

/**
 * Members made, changed and removed through the relay (api-refresh → Nexus create, update and delete member at the
 * simulator): the aggregation MX starts is a job with its trigger, MX's use_cases rules hold before MX is called, a
 * deleted member's job ends, and the user's credentials are in no log line, item or answer.
 */
let stack: LocalStack;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
const written: string[] = [];
const PASSWORD = `pw-${randomBytes(12).toString('hex')}`;

beforeAll(async () => {
  registerSecret('member credential', PASSWORD);
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  receiver = await startWebhookReceiver();
  stack = await startLocalStack({ port: 0, simPort: 0, env: { LOG_LEVEL: 'DEBUG' } });
  const created = await call('POST', '/webhooks', { url: receiver.url });
  receiver.useSecret(created.body.webhook.secret);
}, 60_000);

afterAll(async () => {
  await receiver?.close();
  await stack?.stop();
  vi.restoreAllMocks();
});

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as any };
}

const mxCalls = async (): Promise<Record<string, number>> =>
  ((await (await fetch(`${stack.simulatorUrl}/_sim/stats`)).json()) as { calls: Record<string, number> }).calls;

/** The institution's credential fields, filled: what an app builds from GET …/institutions/{institution_guid}/credentials. */
async function credentialsFor(userId: string, institution: string, password = PASSWORD) {
  const answer = await call('GET', `/users/${userId}/institutions/${institution}/credentials`);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return (answer.body.credentials as { guid: string; field_name: string }[]).map((credential) => ({
    guid: credential.guid,
    value: credential.field_name === 'password' ? password : 'jane',
  }));
}

describe('POST /users/{user_id}/members', () => {
  it('creates the member at MX, making the user first, and follows the aggregation MX starts as a member_created job', async () => {
    const userId = 'members-new-user';
    // The widget URL makes the user at MX; the institutions read needs it too.
    expect(
      (await call('POST', `/users/${userId}/widget_urls`, { widget_type: 'connect_widget', use_cases: ['PFM'] })).status,
    ).toBe(201);
    const credentials = await credentialsFor(userId, catalogueGuid('mxbank'));
    const externalGuid = `partner-${randomUUID()}`;
    // MX's Nexus names the institution by guid and the partner's own id `external_guid`; the code is no longer taken.
    const byCode = await call('POST', `/users/${userId}/members`, { institution_code: 'mxbank', credentials });
    expect(byCode.status).toBe(400);
    expect(byCode.body).toMatchObject({ code: 'validation_failed', field: 'institution_guid' });
    const created = await call('POST', `/users/${userId}/members`, {
      institution_guid: catalogueGuid('mxbank'),
      credentials,
      use_cases: ['PFM'],
      external_guid: externalGuid,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const { member, job } = created.body;
    expect(member).toMatchObject({ guid: expect.stringMatching(/^MBR-/), external_guid: externalGuid });
    expect(job).toMatchObject({ member_guid: member.guid, user_id: userId, status: 'aggregating', trigger: 'member_created' });
    expect(created.headers.get('location')).toBe(`/jobs/${job.id}`);
    expect(JSON.stringify(created.body)).not.toContain(PASSWORD);

    const [ended] = await receiver.waitFor((event) => event.type === 'aggregation.succeeded' && event.data.job.id === job.id);
    expect(ended!.data.job).toMatchObject({ trigger: 'member_created', status: 'succeeded' });

    // A duplicate (same user, institution and credentials) is MX's 422, answered as a problem.
    const duplicate = await call('POST', `/users/${userId}/members`, {
      institution_guid: catalogueGuid('mxbank'),
      credentials,
      use_cases: ['PFM'],
    });
    expect(duplicate.status).toBe(422);
    expect(duplicate.headers.get('content-type')).toContain('application/problem+json');
  });

  it("refuses an empty use_cases before MX is called; one named none gets PFM, an update naming none the member's", async () => {
    const userId = 'members-rules-user';
    const credentials = [{ guid: 'CRD-1', value: PASSWORD }];
    const before = (await mxCalls())['POST /members'] ?? 0;
    const empty = await call('POST', `/users/${userId}/members`, {
      institution_guid: catalogueGuid('mxbank'),
      credentials,
      use_cases: [],
    });
    expect(empty.status, JSON.stringify(empty.body)).toBe(422);
    expect(empty.body).toMatchObject({ code: 'use_cases_invalid', field: 'use_cases' });
    const emptyUpdate = await call('PUT', `/users/${userId}/members/MBR-anything`, { metadata: 'x', use_cases: [] });
    expect(emptyUpdate.body).toMatchObject({ code: 'use_cases_invalid', field: 'use_cases' });
    expect((await mxCalls())['POST /members'] ?? 0).toBe(before);
    expect((await mxCalls())['PUT /members/{member_guid}'] ?? 0).toBe(0);

    const created = await call('POST', `/users/${userId}/members`, {
      institution_guid: catalogueGuid('mxbank'),
      credentials: await credentialsFor(userId, catalogueGuid('mxbank')),
      skip_aggregation: true,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.member.use_cases).toEqual(['PFM']);
    const moved = await call('PUT', `/users/${userId}/members/${created.body.member.guid}`, { use_cases: ['MONEY_MOVEMENT'] });
    expect(moved.body.member.use_cases).toEqual(['MONEY_MOVEMENT']);
    const kept = await call('PUT', `/users/${userId}/members/${created.body.member.guid}`, { metadata: 'kept' });
    expect(kept.status, JSON.stringify(kept.body)).toBe(200);
    expect(kept.body.member).toMatchObject({ use_cases: ['MONEY_MOVEMENT'], metadata: 'kept' });
  });

  it('refuses a bad body naming the field, never echoing a credential', async () => {
    const answer = await call('POST', '/users/u1/members', {
      institution_guid: catalogueGuid('mxbank'),
      credentials: [{ guid: 'not-a-guid', value: PASSWORD }],
      use_cases: ['PFM'],
    });
    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.body)).toContain('credentials');
    expect(JSON.stringify(answer.body)).not.toContain(PASSWORD);
  });
});

describe('PUT and DELETE /users/{user_id}/members/{member_guid}', () => {
  const userId = 'members-change-user';
  let memberGuid: string;

  beforeAll(async () => {
    await call('POST', `/users/${userId}/widget_urls`, { widget_type: 'connect_widget', use_cases: ['PFM'] });
    const created = await call('POST', `/users/${userId}/members`, {
      institution_guid: catalogueGuid('gringotts'),
      credentials: await credentialsFor(userId, catalogueGuid('gringotts')),
      use_cases: ['PFM'],
      skip_aggregation: true,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.job).toBeNull();
    memberGuid = created.body.member.guid;
  });

  it('new credentials start an aggregation followed as a member_updated job; a metadata change starts none', async () => {
    const metadata = await call('PUT', `/users/${userId}/members/${memberGuid}`, { metadata: 'note' });
    expect(metadata.status, JSON.stringify(metadata.body)).toBe(200);
    expect(metadata.body.job).toBeNull();
    const updated = await call('PUT', `/users/${userId}/members/${memberGuid}`, {
      credentials: await credentialsFor(userId, catalogueGuid('gringotts'), 'wrong'),
      use_cases: ['PFM', 'MONEY_MOVEMENT'],
    });
    expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    expect(updated.body.job).toMatchObject({ trigger: 'member_updated', member_guid: memberGuid });
    // MX refuses `wrong` at the bank: the job ends action_required (DENIED), as a refresh's would.
    const [ended] = await receiver.waitFor(
      (event) =>
        event.type.startsWith('aggregation.') &&
        event.type !== 'aggregation.started' &&
        event.data.job?.id === updated.body.job.id,
    );
    expect(ended!.data.job.connection_status).toBe('DENIED');
  });

  it('deletes the member at MX, ends its running job failed and sends member.deleted', async () => {
    const running = await call('PUT', `/users/${userId}/members/${memberGuid}`, {
      credentials: await credentialsFor(userId, catalogueGuid('gringotts')),
      use_cases: ['PFM'],
    });
    const jobId = running.body.job.id as string;
    await fetch(`${stack.simulatorUrl}/_sim/members`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: userId, member_guid: memberGuid, aggregation: { duration_ms: 600_000 } }),
    });
    const deleted = await call('DELETE', `/users/${userId}/members/${memberGuid}`);
    expect(deleted.status).toBe(204);
    const [ended] = await receiver.waitFor((event) => event.data.job?.id === jobId && event.type !== 'aggregation.started');
    expect(ended!.type).toBe('aggregation.failed');
    const [gone] = await receiver.waitFor((event) => event.type === 'member.deleted');
    expect(gone!.data).toMatchObject({ user_id: userId, member_guid: memberGuid });
    expect((await call('DELETE', `/users/${userId}/members/${memberGuid}`)).status).toBe(404);
  });
});

describe('credentials', () => {
  it('appear in no log line and no table item', async () => {
    expect(written.join('')).not.toContain(PASSWORD);
    const client = createDocumentClient({ region: stack.engines.region, dynamoDbEndpoint: stack.engines.dynamoDbEndpoint });
    const { Items = [] } = await client.send(new ScanCommand({ TableName: stack.engines.tableName }));
    client.destroy();
    expect(JSON.stringify(Items)).not.toContain(PASSWORD);
    expect(Items.length).toBeGreaterThan(0);
  });
});
