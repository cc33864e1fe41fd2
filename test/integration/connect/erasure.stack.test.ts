import { randomBytes } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type LocalStack, startLocalStack } from '../../../infra/local/local-stack.ts';
import { eventIds } from '../../../lib/events.ts';
import { createDocumentClient } from '../../../lib/aws/dynamodb-client.ts';
import { createSqsClient } from '../../../lib/aws/sqs-client.ts';
import { hashApiKey } from '../../../lib/http/auth.ts';
import { localStackDigestKeys } from '../../support/digest-keys.ts';
import { ApiKeysRepository } from '../../../lib/store/api-keys-repo.ts';
import { startWebhookReceiver } from '../../support/webhook-receiver.ts';
import { catalogueGuid } from '../../../sim/institutions.ts';

/**
 * `DELETE /users/{user_id}`: the user deleted at MX (the simulator's MDX Real Time), then nothing of the user left in the
 * table — a scan of every item, payloads inflated, finds neither the user's id nor its member — and `user.deleted`.
 */
const USER = `erase-${randomBytes(6).toString('hex')}`;
const OTHER = `keep-${randomBytes(6).toString('hex')}`;
const ERASED = `gone-${randomBytes(6).toString('hex')}`;
const USER_KEY = `nxr_test_${randomBytes(24).toString('base64url')}`;

let stack: LocalStack;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  stack = await startLocalStack({ port: 0, simPort: 0, env: { LOG_LEVEL: 'ERROR' } });
  const created = await call('POST', '/webhooks', { url: receiver.url });
  receiver.useSecret(created.body.webhook.secret);
  const client = createDocumentClient({ region: stack.engines.region, dynamoDbEndpoint: stack.engines.dynamoDbEndpoint });
  await new ApiKeysRepository({ client, tableName: stack.engines.tableName }).put({
    hash: hashApiKey(USER_KEY),
    name: 'erased user’s app',
    userId: USER,
    createdAt: new Date().toISOString(),
  });
  client.destroy();
}, 60_000);

afterAll(async () => {
  await receiver?.close();
  await stack?.stop();
});

async function call(method: string, path: string, body?: unknown, key = stack.apiKey, idempotencyKey?: string) {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as any };
}

async function sim(path: string, body: unknown) {
  const response = await fetch(`${stack.simulatorUrl}${path}`, { method: 'POST', body: JSON.stringify(body) });
  expect(response.status).toBe(201);
  return (await response.json()) as { member: { guid: string } };
}

const mxCalls = async (): Promise<Record<string, number>> =>
  ((await (await fetch(`${stack.simulatorUrl}/_sim/stats`)).json()) as { calls: Record<string, number> }).calls;

/**
 * A user with a member, a finished job, a session, synced transactions, stored Idempotency-Key answers (a member
 * created, a refresh, a refresh request) and a refresh request MX refused (`aggregation.rejected`, for a member
 * without PFM): most of what the relay keeps of one.
 */
async function populate(userId: string): Promise<string> {
  expect((await call('POST', `/users/${userId}/widget_urls`, { widget_type: 'connect_widget', use_cases: ['PFM'] })).status).toBe(
    201,
  );
  const { body } = await call('GET', `/users/${userId}/institutions/${catalogueGuid('mxbank')}/credentials`);
  const credentialsOf = (value: string) =>
    (body.credentials as { guid: string }[]).map((credential) => ({ guid: credential.guid, value }));
  // Another value for each member: MX refuses a duplicate member (same institution, same credentials).
  const create = (useCases: string[], key: string) =>
    call(
      'POST',
      `/users/${userId}/members`,
      { institution_guid: catalogueGuid('mxbank'), credentials: credentialsOf(key), use_cases: useCases },
      stack.apiKey,
      key,
    );
  const created = await create(['PFM'], `create-${userId}`);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  await receiver.waitFor((event) => event.type === 'aggregation.succeeded' && event.data.job?.id === created.body.job.id);
  const member = created.body.member.guid as string;
  const refreshed = await call('POST', `/users/${userId}/members/${member}/refresh`, {}, stack.apiKey, `refresh-${userId}`);
  expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(202);
  await receiver.waitFor((event) => event.type === 'aggregation.succeeded' && event.data.job?.id === refreshed.body.job.id);
  expect((await call('GET', `/users/${userId}/transactions/sync`)).status).toBe(200);

  const moneyMovement = await create(['MONEY_MOVEMENT'], `create-mm-${userId}`);
  expect(moneyMovement.status, JSON.stringify(moneyMovement.body)).toBe(201);
  const refused = moneyMovement.body.member.guid as string;
  const sqs = createSqsClient({ region: stack.engines.region, sqsEndpoint: stack.engines.sqsEndpoint });
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: stack.engines.queueUrls['refresh-requests'],
      MessageBody: JSON.stringify({ user_id: userId, member_guid: refused, idempotency_key: `refreq-${userId}` }),
    }),
  );
  sqs.destroy();
  await receiver.waitFor(
    (event) =>
      event.type === 'aggregation.rejected' &&
      (event.data as { request?: { member_guid?: string } }).request?.member_guid === refused,
  );
  return member;
}

/** Every item of the table as text, each delivery's payload inflated. */
async function tableText(): Promise<{ sk: string; text: string }[]> {
  const client = createDocumentClient({ region: stack.engines.region, dynamoDbEndpoint: stack.engines.dynamoDbEndpoint });
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: stack.engines.tableName, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  client.destroy();
  return items.map((item) => ({
    sk: String(item.sk),
    text: JSON.stringify(item) + (item.payload_z instanceof Uint8Array ? inflateRawSync(item.payload_z).toString('utf8') : ''),
  }));
}

describe('DELETE /users/{user_id}', () => {
  it('deletes the user at MX, leaves no item holding its id or its member, sends user.deleted, and keeps other users', async () => {
    const member = await populate(USER);
    const kept = await populate(OTHER);
    expect((await call('GET', `/users/${USER}/jobs`, undefined, USER_KEY)).status).toBe(200);
    expect((await tableText()).some((item) => item.text.includes(USER))).toBe(true);
    // Erasure is irreversible at MX: a key bound to the user may not (USER_KEYS_MAY_ERASE is off by default).
    const byUserKey = await call('DELETE', `/users/${USER}`, undefined, USER_KEY);
    expect(byUserKey.status).toBe(403);
    expect(byUserKey.body).toMatchObject({ code: 'forbidden' });
    expect((await mxCalls())['DELETE /mdx-realtime/{client_id}/users/{user_id}']).toBeUndefined();

    const erased = await call('DELETE', `/users/${USER}`);
    expect(erased.status, JSON.stringify(erased.body)).toBe(202);
    // Refused at once where it was erased (within a minute elsewhere); the rest follows in the background.
    expect((await call('POST', `/users/${USER}/members/${member}/refresh`, {})).status).toBe(410);
    const [deleted] = await receiver.waitFor((event) => event.type === 'user.deleted');
    expect(deleted!.data).toMatchObject({ user_id: USER });
    expect((await mxCalls())['DELETE /mdx-realtime/{client_id}/users/{user_id}']).toBe(1);

    // Nothing of the user, but the user.deleted delivery itself (which names the user for the app).
    const left = (await tableText()).filter(
      (item) => item.sk !== `MSG#${eventIds.userDeleted(localStackDigestKeys().of('event user', USER))}`,
    );
    expect(left.filter((item) => item.text.includes(USER) || item.text.includes(member))).toEqual([]);
    expect(left.some((item) => item.text.includes(OTHER) && item.text.includes(kept))).toBe(true);

    // The key bound to the user went with it (revoked keys stop working within the minute containers cache keys).
    expect(left.some((item) => item.text.includes(hashApiKey(USER_KEY)))).toBe(false);
    // MX no longer has the user (nor its members); the other user is untouched there too.
    expect((await fetch(`${stack.simulatorUrl}/_sim/users/${USER}`)).status).toBe(404);
    expect((await fetch(`${stack.simulatorUrl}/_sim/users/${OTHER}`)).status).toBe(200);

    // Safe to repeat: MX no longer has the user, the relay nothing to delete.
    expect((await call('DELETE', `/users/${USER}`)).status).toBe(202);
  });

  it('sticks: every route naming the erased user answers 410 user_erased, and nothing makes it again at MX or here', async () => {
    // A user the relay served through api-refresh only, then erased there: every other function looks it up afresh
    // (one that looked it up within the last minute may serve it until that minute ends: ErasedUsers' unit test).
    const { member } = await sim('/_sim/members', { user_id: ERASED });
    expect((await call('POST', `/users/${ERASED}/members/${member.guid}/refresh`, {})).status).toBe(202);
    expect((await call('DELETE', `/users/${ERASED}`)).status).toBe(202);
    await receiver.waitFor((event) => event.type === 'user.deleted' && (event.data as { user_id?: string }).user_id === ERASED);
    const calls = await mxCalls();
    const routes: [string, string, unknown?][] = [
      ['GET', `/users/${ERASED}/transactions/sync`],
      ['GET', `/users/${ERASED}/accounts`],
      ['GET', `/users/${ERASED}/members`],
      ['GET', `/users/${ERASED}/members/${member.guid}`],
      ['GET', `/users/${ERASED}/jobs`],
      ['POST', `/users/${ERASED}/widget_urls`, { widget_type: 'connect_widget', use_cases: ['PFM'] }],
      ['POST', `/users/${ERASED}/members/${member.guid}/refresh`, {}],
    ];
    for (const [method, path, body] of routes) {
      const answer = await call(method, path, body);
      expect(answer.status, `${method} ${path}`).toBe(410);
      expect(answer.body).toMatchObject({ code: 'user_erased', field: 'user_id', request_id: expect.any(String) });
    }
    // Not one call reached MX, so the user was not made there again; the table holds nothing of it but its tombstone.
    expect(await mxCalls()).toEqual(calls);
    expect((await fetch(`${stack.simulatorUrl}/_sim/users/${ERASED}`)).status).toBe(404);
    const left = (await tableText()).filter(
      (item) => item.sk !== `MSG#${eventIds.userDeleted(localStackDigestKeys().of('event user', ERASED))}`,
    );
    expect(left.filter((item) => item.text.includes(ERASED))).toEqual([]);
    expect(left.filter((item) => item.text.includes(localStackDigestKeys().of('erased user', ERASED)))).toMatchObject([
      { sk: 'ERASED' },
    ]);
    // The erasure itself is still served: repeating it completes a half-done one.
    expect((await call('DELETE', `/users/${ERASED}`)).status).toBe(202);

    // A reconcile turn for the user still in the queue is done without making it again, and never dead-lettered.
    const sqs = createSqsClient({ region: stack.engines.region, sqsEndpoint: stack.engines.sqsEndpoint });
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: stack.engines.queueUrls.poll,
        MessageBody: JSON.stringify({ reconcile: { user_id: ERASED }, due_at: Date.now() }),
      }),
    );
    const waiting = async (queueUrl: string) => {
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible);
    };
    await vi.waitFor(async () => expect(await waiting(stack.engines.queueUrls.poll)).toBe(0), { timeout: 20_000, interval: 100 });
    expect(await waiting(stack.engines.deadLetterQueueUrls.poll)).toBe(0);
    sqs.destroy();
    expect((await mxCalls())['POST /mdx-realtime/{client_id}/users']).toBe(calls['POST /mdx-realtime/{client_id}/users']);
    expect((await fetch(`${stack.simulatorUrl}/_sim/users/${ERASED}`)).status).toBe(404);
  });
});
