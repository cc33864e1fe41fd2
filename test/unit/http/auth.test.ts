import { randomBytes, timingSafeEqual } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import {
  ApiKeyAuthenticator,
  type ApiKeyAuthenticatorOptions,
  type ApiKeyLookup,
  assertUserAccess,
  hashApiKey,
  secretsEqual,
} from '../../../lib/http/auth.ts';
import { HttpProblem } from '../../../lib/http/problem.ts';
import { type Log, silentLog } from '../../../lib/logger.ts';
import type { ApiKeyRecord } from '../../../lib/store/api-keys-repo.ts';

const SERVER_KEY = 'server-key-0123456789abcdef';
const USER_KEY = 'user-key-0123456789abcdef';
const MINUTE = 60_000;
const bearer = (key: string) => `Bearer ${key}`;
const randomKey = () => `nxr_${randomBytes(24).toString('base64url')}`;

/** An in-memory key table counting its reads and use records; `recordUse` answers as `onRecordUse` says. */
function keyTable(onRecordUse: (hash: string, at: string) => Promise<boolean> = async () => true) {
  const records = new Map<string, ApiKeyRecord>([
    [hashApiKey(SERVER_KEY), { hash: hashApiKey(SERVER_KEY), name: 'server', createdAt: '2026-01-01T00:00:00Z' }],
    [hashApiKey(USER_KEY), { hash: hashApiKey(USER_KEY), name: 'app', userId: 'user-1', createdAt: '2026-01-01T00:00:00Z' }],
  ]);
  const reads: string[] = [];
  const uses: { hash: string; at: string; threshold: string }[] = [];
  const lookup: ApiKeyLookup = {
    async get(hash) {
      reads.push(hash);
      return records.get(hash);
    },
    recordUse: (hash, at, threshold) => {
      uses.push({ hash, at, threshold });
      return onRecordUse(hash, at);
    },
  };
  return { records, reads, uses, lookup };
}

function capturingLog() {
  const warnings: { message: string; extra: unknown }[] = [];
  const log: Log = { debug() {}, info() {}, warn: (message, extra) => warnings.push({ message, extra }), error() {} };
  return { log, warnings };
}

const setup = (
  options: Omit<ApiKeyAuthenticatorOptions, 'log'> = {},
  onRecordUse?: (hash: string, at: string) => Promise<boolean>,
) => {
  const clock = new ManualClock();
  const table = keyTable(onRecordUse);
  const { log, warnings } = capturingLog();
  const authenticator = new ApiKeyAuthenticator(table.lookup, clock, { log, ...options });
  return { clock, table, warnings, authenticator };
};

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: unknown) => {
      expect(error).toBeInstanceOf(HttpProblem);
      return (error as HttpProblem).status;
    },
  );

describe('ApiKeyAuthenticator', () => {
  it('resolves server keys and user-bound keys', async () => {
    const { authenticator } = setup();
    expect(await authenticator.authenticate(bearer(SERVER_KEY))).toEqual({
      keyId: hashApiKey(SERVER_KEY),
      keyName: 'server',
      userId: undefined,
    });
    expect(await authenticator.authenticate(`bearer  ${USER_KEY} `)).toEqual({
      keyId: hashApiKey(USER_KEY),
      keyName: 'app',
      userId: 'user-1',
    });
  });

  it.each([undefined, '', 'Bearer', 'Bearer short', `Basic ${SERVER_KEY}`, `Bearer ${SERVER_KEY} extra`, bearer(randomKey())])(
    'answers 401 to %j',
    async (header) => {
      expect(await refusal(setup().authenticator.authenticate(header))).toBe(401);
    },
  );

  it('refuses a record that is not the presented key’s, even if the lookup returns one', async () => {
    const clock = new ManualClock();
    const other = { hash: hashApiKey('someone-else-0123456789'), name: 'other', createdAt: '2026-01-01T00:00:00Z' };
    const authenticator = new ApiKeyAuthenticator({ get: async () => other }, clock, { log: silentLog });
    expect(await refusal(authenticator.authenticate(bearer(SERVER_KEY)))).toBe(401);
  });

  it('reads the table once per key per 60 s cache TTL, hits and misses alike', async () => {
    const { authenticator, table, clock } = setup();
    const wrong = randomKey();
    for (let i = 0; i < 5; i++) {
      await authenticator.authenticate(bearer(SERVER_KEY));
      await refusal(authenticator.authenticate(bearer(wrong)));
    }
    expect(table.reads).toHaveLength(2);
    clock.advance(MINUTE);
    await authenticator.authenticate(bearer(SERVER_KEY));
    await refusal(authenticator.authenticate(bearer(wrong)));
    expect(table.reads).toHaveLength(4);
  });

  it('a revoked key keeps working until the 60 s cache TTL has passed, then 401', async () => {
    const { authenticator, table, clock } = setup();
    await authenticator.authenticate(bearer(SERVER_KEY));
    table.records.get(hashApiKey(SERVER_KEY))!.revokedAt = '2026-01-01T00:00:01Z';
    clock.advance(MINUTE - 1);
    expect(await authenticator.authenticate(bearer(SERVER_KEY))).toMatchObject({ keyName: 'server' });
    clock.advance(1);
    expect(await refusal(authenticator.authenticate(bearer(SERVER_KEY)))).toBe(401);
  });

  it('a deleted key (an erased user’s) keeps working until the 60 s cache TTL has passed, then 401', async () => {
    const { authenticator, table, clock } = setup();
    await authenticator.authenticate(bearer(USER_KEY));
    table.records.delete(hashApiKey(USER_KEY));
    clock.advance(MINUTE - 1);
    expect(await authenticator.authenticate(bearer(USER_KEY))).toMatchObject({ userId: expect.any(String) });
    clock.advance(1);
    expect(await refusal(authenticator.authenticate(bearer(USER_KEY)))).toBe(401);
  });

  it('a flood of random wrong keys keeps at most maxCachedMisses of them and evicts no known key', async () => {
    const { authenticator, table } = setup({ maxCachedMisses: 100 });
    await authenticator.authenticate(bearer(SERVER_KEY));
    for (let i = 0; i < 1_000; i++) await refusal(authenticator.authenticate(bearer(randomKey())));
    expect(authenticator.cacheSize).toEqual({ keys: 1, misses: 100 });
    const reads = table.reads.length;
    await authenticator.authenticate(bearer(SERVER_KEY));
    expect(table.reads).toHaveLength(reads);
  });

  it('keeps at most maxCachedKeys known keys, dropping the oldest', async () => {
    const { authenticator, table } = setup({ maxCachedKeys: 2 });
    const keys = Array.from({ length: 3 }, () => randomKey());
    for (const key of keys) table.records.set(hashApiKey(key), { hash: hashApiKey(key), name: key, createdAt: '2026-01-01' });
    for (const key of keys) await authenticator.authenticate(bearer(key));
    expect(authenticator.cacheSize).toEqual({ keys: 2, misses: 0 });
    const reads = table.reads.length;
    await authenticator.authenticate(bearer(keys[2]!));
    expect(table.reads).toHaveLength(reads);
    await authenticator.authenticate(bearer(keys[0]!));
    expect(table.reads).toHaveLength(reads + 1);
  });
});

describe('recording key use', () => {
  it('writes at most once per key per interval, with the interval’s start as the condition threshold', async () => {
    const { authenticator, table, clock } = setup({ lastUsedIntervalMs: 5 * MINUTE });
    const start = clock.now();
    for (let i = 0; i < 10; i++) {
      await authenticator.authenticate(bearer(SERVER_KEY));
      clock.advance(29_000);
    }
    await authenticator.settled();
    expect(table.uses).toEqual([
      { hash: hashApiKey(SERVER_KEY), at: new Date(start).toISOString(), threshold: new Date(start - 5 * MINUTE).toISOString() },
    ]);
    clock.set(start + 5 * MINUTE);
    await authenticator.authenticate(bearer(SERVER_KEY));
    clock.advance(1);
    await authenticator.authenticate(bearer(SERVER_KEY));
    await authenticator.authenticate(bearer(USER_KEY));
    expect(table.uses.map((use) => [use.hash, use.at])).toEqual([
      [hashApiKey(SERVER_KEY), new Date(start).toISOString()],
      [hashApiKey(SERVER_KEY), new Date(start + 5 * MINUTE + 1).toISOString()],
      [hashApiKey(USER_KEY), new Date(start + 5 * MINUTE + 1).toISOString()],
    ]);
  });

  it('skips the write when the table already holds a use within the interval', async () => {
    const { authenticator, table, clock } = setup();
    table.records.get(hashApiKey(SERVER_KEY))!.lastUsedAt = new Date(clock.now() - MINUTE).toISOString();
    await authenticator.authenticate(bearer(SERVER_KEY));
    expect(table.uses).toEqual([]);
    clock.advance(4 * MINUTE);
    await authenticator.authenticate(bearer(SERVER_KEY));
    expect(table.uses).toEqual([]);
    clock.advance(1);
    await authenticator.authenticate(bearer(SERVER_KEY));
    expect(table.uses).toHaveLength(1);
  });

  it('does not make the answer wait for the write', async () => {
    let finish!: (written: boolean) => void;
    const { authenticator, table } = setup({}, () => new Promise((resolve) => (finish = resolve)));
    expect(await authenticator.authenticate(bearer(SERVER_KEY))).toMatchObject({ keyName: 'server' });
    expect(table.uses).toHaveLength(1);
    let settled = false;
    const draining = authenticator.settled().then(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    finish(true);
    await draining;
    expect(settled).toBe(true);
  });

  it('a failed write is logged without the key, never rejects, and the next use tries again', async () => {
    const failure = Object.assign(new Error(`table down; key was ${SERVER_KEY}`), { name: 'ServiceUnavailable' });
    const record = vi.fn<(hash: string, at: string) => Promise<boolean>>().mockRejectedValueOnce(failure);
    record.mockImplementationOnce(() => {
      throw failure;
    });
    record.mockResolvedValue(true);
    const { authenticator, table, warnings } = setup({}, record);

    await authenticator.authenticate(bearer(SERVER_KEY));
    await authenticator.settled();
    await authenticator.authenticate(bearer(SERVER_KEY));
    await authenticator.settled();
    await authenticator.authenticate(bearer(SERVER_KEY));
    await authenticator.authenticate(bearer(SERVER_KEY));
    await authenticator.settled();

    expect(table.uses).toHaveLength(3);
    expect(warnings).toEqual([
      { message: 'could not record the API key use', extra: { key_name: 'server', error: 'ServiceUnavailable' } },
      { message: 'could not record the API key use', extra: { key_name: 'server', error: 'ServiceUnavailable' } },
    ]);
    expect(JSON.stringify(warnings)).not.toContain(SERVER_KEY);
  });

  it('records nothing for refused keys', async () => {
    const { authenticator, table } = setup();
    table.records.get(hashApiKey(USER_KEY))!.revokedAt = '2026-01-01T00:00:00Z';
    await refusal(authenticator.authenticate(bearer(USER_KEY)));
    await refusal(authenticator.authenticate(bearer(randomKey())));
    expect(table.uses).toEqual([]);
  });
});

describe('secretsEqual', () => {
  it('is true exactly for equal secrets, whatever their lengths', () => {
    expect(secretsEqual('same-secret', 'same-secret')).toBe(true);
    expect(secretsEqual(Buffer.from('same-secret'), 'same-secret')).toBe(true);
    for (const other of ['same-secreT', 'same-secret ', 'same', '', 'x'.repeat(10_000)]) {
      expect(secretsEqual(other, 'same-secret')).toBe(false);
    }
  });

  it('hands the constant-time compare two 32-byte digests', () => {
    const compare = vi.fn(timingSafeEqual);
    secretsEqual('a', 'b'.repeat(1000), compare);
    expect(compare.mock.calls.map(([a, b]) => [a.byteLength, b.byteLength])).toEqual([[32, 32]]);
  });
});

describe('assertUserAccess', () => {
  it('lets server keys through and holds user-bound keys to their user', () => {
    expect(() => assertUserAccess({ keyId: 'k1', keyName: 'server' }, 'anyone')).not.toThrow();
    expect(() => assertUserAccess({ keyId: 'k2', keyName: 'app', userId: 'user-1' }, 'user-1')).not.toThrow();
    expect(() => assertUserAccess({ keyId: 'k2', keyName: 'app', userId: 'user-1' }, 'user-2')).toThrow(
      expect.objectContaining({ status: 403, problemCode: 'forbidden' }),
    );
  });
});
