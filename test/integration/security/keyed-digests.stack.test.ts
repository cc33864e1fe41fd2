import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../../infra/local/local-stack.ts';
import { createDocumentClient } from '../../../lib/aws/dynamodb-client.ts';
import { digestOf, sha256Hex } from '../../../lib/hash.ts';
import { catalogueGuid } from '../../../sim/institutions.ts';

/**
 * What a reader of the table (or a 35-day backup) can learn by guessing, through the stack's own routes: a plain
 * SHA-256 of an idempotent request gave its credentials back (`bob.smith`/`sunshine1` in 14 guesses), and of a user id
 * who was erased. Every digest of user input or of a user id is keyed (lib/digest-keys.ts): the same guesses find
 * nothing.
 */
let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, simPort: 0, env: { LOG_LEVEL: 'ERROR' } });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as any };
}

async function items(): Promise<Record<string, unknown>[]> {
  const client = createDocumentClient(stack.engines);
  const found: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: stack.engines.tableName, ExclusiveStartKey: start }));
    found.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return found;
}

/** A guessing loop's dictionary: the real password among common ones. */
const GUESSES = ['123456', 'password', 'qwerty', 'letmein', 'sunshine1', 'iloveyou'];

describe('keyed digests', () => {
  it("an idempotent member create's request_hash gives no credential back to a guessing loop", async () => {
    const userId = 'digest-bob';
    const institution = catalogueGuid('mxbank');
    expect((await call('POST', `/users/${userId}/widget_urls`, { widget_type: 'connect_widget' })).status).toBe(201);
    const fields = await call('GET', `/users/${userId}/institutions/${institution}/credentials`);
    const credentialsWith = (password: string) =>
      (fields.body.credentials as { guid: string; field_name: string }[]).map((credential) => ({
        guid: credential.guid,
        value: credential.field_name === 'password' ? password : 'bob.smith',
      }));
    const body = { institution_guid: institution, credentials: credentialsWith('sunshine1') };
    const created = await call('POST', `/users/${userId}/members`, body, { 'idempotency-key': 'digest-create-1' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);

    const stored = (await items()).filter((item) => String(item.pk).startsWith('IDEMP#')).map((item) => item.request_hash);
    expect(stored.length).toBeGreaterThan(0);
    // The loop: every guess fingerprinted as the relay fingerprints a request (lib/http/idempotency.ts).
    const found = GUESSES.filter((guess) => {
      const fingerprint = [
        'POST',
        'POST /users/{user_id}/members',
        { user_id: userId },
        {},
        { ...body, credentials: credentialsWith(guess) },
      ];
      return stored.includes(digestOf(fingerprint));
    });
    expect(found).toEqual([]);
    // Keyed, the same request is still known again: its repeat gets the first answer.
    const repeat = await call('POST', `/users/${userId}/members`, body, { 'idempotency-key': 'digest-create-1' });
    expect(repeat.body).toEqual(created.body);
  });

  it("an erased user's tombstone names no digest of its id a reader can compute", async () => {
    const userId = 'dave_example';
    expect(
      (await call('POST', `/users/${encodeURIComponent(userId)}/widget_urls`, { widget_type: 'connect_widget' })).status,
    ).toBe(201);
    expect((await call('DELETE', `/users/${encodeURIComponent(userId)}`)).status).toBe(202);
    const tombstones = (await items()).filter((item) => String(item.pk).startsWith('ERASED#'));
    expect(tombstones).toHaveLength(1);
    expect(tombstones[0]!.pk).not.toBe(`ERASED#${sha256Hex(userId)}`);
    // Still the user's: every route naming it is refused.
    expect((await call('GET', `/users/${encodeURIComponent(userId)}/members`)).status).toBe(410);
    const ids = (await items()).map((item) => JSON.stringify(item));
    expect(ids.filter((text) => text.includes(sha256Hex(userId).slice(0, 16)))).toEqual([]);
  });
});
