import { testDigests } from '../../support/digest-keys.ts';
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { lambdaContext } from '../../../infra/local/lambda-context.ts';
import { ManualClock } from '../../../lib/clock.ts';
import type { ApiEvent, ApiResult } from '../../../lib/http/api-event.ts';
import { ApiKeyAuthenticator, hashApiKey } from '../../../lib/http/auth.ts';
import { createHttpHandler } from '../../../lib/http/http-handler.ts';
import { type IdempotencyDeps, idempotent } from '../../../lib/http/idempotency.ts';
import type { AuthenticatedRequest, HttpResponse, Route } from '../../../lib/http/route.ts';
import { HttpProblem } from '../../../lib/http/problem.ts';
import { type Log, silentLog } from '../../../lib/logger.ts';
import type { ApiKeyRecord } from '../../../lib/store/api-keys-repo.ts';
import { IDEMPOTENCY_RETENTION_SECONDS, IdempotencyRepository } from '../../../lib/store/idempotency-repo.ts';
import { useLocalEngines } from '../../support/local-table.ts';

/**
 * The wrapper inside the real HTTP pipeline (createHttpHandler) over real dynalite, time on a ManualClock.
 * The operation under it counts its executions and answers what each test scripts.
 */
const CLIENT_A = 'client-a-key-0123456789abcdef';
const CLIENT_B = 'client-b-key-0123456789abcdef';
/** Another server key carrying CLIENT_A's name: names are labels, not unique. */
const CLIENT_A_TWIN = 'client-a-twin-0123456789abcdef';
/** Keys bound to one user each; mallory's is named like CLIENT_A, alice's and bob's share a name. */
const MALLORY = 'mallory-key-0123456789abcdef';
const ALICE = 'alice-key-0123456789abcdef';
const BOB = 'bob-key-0123456789abcdef';
const CREATE = 'POST /things/{thing_id}';
const COPY = 'POST /things/{thing_id}/copy';
/** A route any key may call for its own user (`access: 'path_user'`). */
const USER_THING = 'POST /users/{user_id}/things/{thing_id}';
const LEASE_MS = 30_000;

const local = useLocalEngines();
let clock: ManualClock;
let executions: number;
let respond: (request: AuthenticatedRequest, execution: number) => Promise<HttpResponse>;
let warnings: string[];
let refusals: unknown[];
let call: ReturnType<typeof handlerWith>;

const created = async (request: AuthenticatedRequest, execution: number): Promise<HttpResponse> => ({
  status: 201,
  body: { thing: { id: request.pathParams.thing_id, execution, price: 1e21, note: 'ünïcødé "quoted"' } },
  headers: { location: `/things/${request.pathParams.thing_id}` },
});

/** The file shares one table: each test's keys carry its own prefix so earlier tests' records stay out of the way. */
let keyPrefix: string;

beforeEach(() => {
  clock = new ManualClock();
  keyPrefix = randomUUID();
  executions = 0;
  respond = created;
  warnings = [];
  refusals = [];
  call = handlerWith();
});

function handlerWith(options: Partial<IdempotencyDeps> = {}) {
  const log: Log = { debug() {}, info() {}, warn: (message) => warnings.push(message), error() {} };
  const records: [string, string, string?][] = [
    [CLIENT_A, 'client-0'],
    [CLIENT_B, 'client-1'],
    [CLIENT_A_TWIN, 'client-0'],
    [MALLORY, 'client-0', 'mallory'],
    [ALICE, 'app', 'alice'],
    [BOB, 'app', 'bob'],
  ];
  const principals = new Map<string, ApiKeyRecord>(
    records.map(([key, name, userId]) => [
      hashApiKey(key),
      { hash: hashApiKey(key), name, userId, createdAt: '2026-01-01T00:00:00Z' },
    ]),
  );
  const authenticator = new ApiKeyAuthenticator({ get: async (hash) => principals.get(hash) }, clock, { log: silentLog });
  const route = (key: string, access: 'server_key' | 'path_user'): Route => ({
    method: 'POST',
    path: key.slice('POST '.length),
    fn: 'api-refresh',
    summary: key,
    auth: 'api_key',
    access,
    query: 'parsed',
    handle: (request: AuthenticatedRequest) => respond(request, ++executions),
    docs: () => ({ responses: {} }),
  });
  const deps = { store: new IdempotencyRepository(local.table), digests: testDigests, clock, log, ...options };
  const routes = [route(CREATE, 'server_key'), route(COPY, 'server_key'), route(USER_THING, 'path_user')];
  const handler = createHttpHandler(
    routes,
    {},
    {
      authenticator: () => authenticator,
      log,
      metrics: { add: (name, _value, dimensions) => refusals.push({ name, ...dimensions }) },
      refuseErasedUser: async () => {},
      idempotent: (route) => idempotent(route, deps),
    },
  );
  return (event: ApiEvent) => handler(event, lambdaContext('idempotency-test')) as Promise<ApiResult>;
}

let sequence = 0;
function post(
  options: {
    key?: string;
    body?: string;
    thing?: string;
    routeKey?: string;
    apiKey?: string;
    query?: Record<string, string>;
    user?: string;
  } = {},
): ApiEvent {
  const thing = options.thing ?? 't1';
  const routeKey = options.routeKey ?? (options.user === undefined ? CREATE : USER_THING);
  const rawPath = routeKey
    .slice('POST '.length)
    .replace('{thing_id}', thing)
    .replace('{user_id}', options.user ?? '');
  return {
    routeKey,
    rawPath,
    headers: {
      authorization: `Bearer ${options.apiKey ?? CLIENT_A}`,
      'content-type': 'application/json',
      ...(options.key === undefined ? {} : { 'idempotency-key': `${keyPrefix}:${options.key}` }),
    },
    queryStringParameters: options.query,
    pathParameters: { thing_id: thing, ...(options.user === undefined ? {} : { user_id: options.user }) },
    body: options.body ?? '{"name":"widget","size":3}',
    isBase64Encoded: false,
    requestContext: { requestId: `req-${String(++sequence).padStart(8, '0')}`, http: { method: 'POST', path: rawPath } },
  };
}

const problemCode = (result: ApiResult) => (JSON.parse(result.body) as { code: string }).code;

/** Resolves when `open` is called: lets a test hold an execution in flight. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('replay', () => {
  it('answers the same key and request with the first answer, byte for byte, without executing again', async () => {
    const first = await call(post({ key: 'k1' }));
    const again = await call(post({ key: 'k1' }));

    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(first.statusCode);
    expect(again.body).toBe(first.body);
    expect(again.headers.location).toBe('/things/t1');
    expect(again.headers['content-type']).toBe(first.headers['content-type']);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(again.headers['x-request-id']).not.toBe(first.headers['x-request-id']);
    expect(executions).toBe(1);
  });

  it('compares bodies as JSON values: whitespace and key order do not make a different request', async () => {
    const first = await call(post({ key: 'k1', body: '{"name":"widget","size":3}' }));
    const again = await call(post({ key: 'k1', body: '{ "size": 3,\n  "name": "widget" }' }));
    expect(again.body).toBe(first.body);
    expect(executions).toBe(1);
  });

  it('stores and replays a 4xx answer (it is final), thrown or returned', async () => {
    respond = async () => {
      throw new HttpProblem('not_found', 'No thing t1.');
    };
    const first = await call(post({ key: 'k1' }));
    const again = await call(post({ key: 'k1' }));
    expect(first.statusCode).toBe(404);
    expect(first.headers['content-type']).toBe('application/problem+json');
    expect(again.statusCode).toBe(404);
    expect(again.body).toBe(first.body);
    expect(again.headers['content-type']).toBe('application/problem+json');
    expect(executions).toBe(1);

    respond = async () => ({ status: 400, body: { error: 'bad' } });
    await call(post({ key: 'k2' }));
    expect((await call(post({ key: 'k2' }))).statusCode).toBe(400);
    expect(executions).toBe(2);
  });

  it('replays an answer without a body as one without a body', async () => {
    respond = async () => ({ status: 204 });
    const first = await call(post({ key: 'k1' }));
    const again = await call(post({ key: 'k1' }));
    expect([first.statusCode, first.body, again.statusCode, again.body]).toEqual([204, '', 204, '']);
    expect(again.headers['content-type']).toBeUndefined();
    expect(executions).toBe(1);
  });

  it('executes every request that carries no key', async () => {
    await call(post());
    await call(post());
    expect(executions).toBe(2);
  });
});

describe('reuse and scope', () => {
  it('answers 422 idempotency_key_reused when the key comes back with another body, path or query', async () => {
    await call(post({ key: 'k1' }));
    for (const other of [
      post({ key: 'k1', body: '{"name":"widget","size":4}' }),
      post({ key: 'k1', thing: 't2' }),
      post({ key: 'k1', query: { dry_run: 'true' } }),
    ]) {
      const answer = await call(other);
      expect(answer.statusCode, other.rawPath).toBe(422);
      expect(problemCode(answer)).toBe('idempotency_key_reused');
    }
    expect(executions).toBe(1);
    // The first answer is still there for the original request.
    expect((await call(post({ key: 'k1' }))).headers['idempotent-replayed']).toBe('true');
  });

  it('keeps keys of different clients, and of different routes, apart', async () => {
    const fromA = await call(post({ key: 'shared' }));
    const fromB = await call(post({ key: 'shared', apiKey: CLIENT_B }));
    const onCopy = await call(post({ key: 'shared', routeKey: COPY }));
    expect([fromA, fromB, onCopy].map((answer) => answer.statusCode)).toEqual([201, 201, 201]);
    expect(new Set([fromA.body, fromB.body, onCopy.body]).size).toBe(3);
    expect(executions).toBe(3);
  });
});

describe('keys: what one key earns stays with that key', () => {
  it('scopes records by the key, not its name: a key named like another runs its own request', async () => {
    const first = await call(post({ key: 'shared' }));
    const twin = await call(post({ key: 'shared', apiKey: CLIENT_A_TWIN }));
    expect([first.statusCode, twin.statusCode]).toEqual([201, 201]);
    expect(twin.headers['idempotent-replayed']).toBeUndefined();
    expect(twin.body).not.toBe(first.body);
    expect(executions).toBe(2);
  });

  it("refuses (403) a user key named like a server key the server key's answer, before any replay, and counts it", async () => {
    await call(post({ key: 'secret-answer' }));
    const replay = await call(post({ key: 'secret-answer', apiKey: MALLORY }));
    expect(replay.statusCode).toBe(403);
    expect(problemCode(replay)).toBe('forbidden');
    expect(replay.headers['idempotent-replayed']).toBeUndefined();
    expect(replay.body).not.toContain('execution');
    expect(executions).toBe(1);
    expect(refusals).toEqual([{ name: 'AccessRefused', rule: 'server_key', idempotency_key: 'present' }]);
  });

  it("refuses (403) bob's key alice's answer on alice's path, with alice's Idempotency-Key and request", async () => {
    const alice = await call(post({ key: 'refresh-1', user: 'alice', apiKey: ALICE }));
    expect(alice.statusCode).toBe(201);
    const bob = await call(post({ key: 'refresh-1', user: 'alice', apiKey: BOB }));
    expect(bob.statusCode).toBe(403);
    expect(bob.headers['idempotent-replayed']).toBeUndefined();
    expect(executions).toBe(1);
    expect(refusals).toEqual([{ name: 'AccessRefused', rule: 'user', idempotency_key: 'present' }]);
    // On his own path the same Idempotency-Key is his own record: it runs, and is not alice's answer.
    const own = await call(post({ key: 'refresh-1', user: 'bob', apiKey: BOB }));
    expect(own.statusCode).toBe(201);
    expect(own.headers['idempotent-replayed']).toBeUndefined();
    expect(executions).toBe(2);
  });
});

describe('release', () => {
  it.each([
    ['returns a 5xx', async () => ({ status: 503, body: { error: 'unavailable' } })],
    [
      'throws',
      async () => {
        throw new Error('boom');
      },
    ],
    [
      'answers 409 (retry)',
      async () => {
        throw new HttpProblem('conflict', 'Try again.');
      },
    ],
  ])('frees the key when the operation %s, so the retry executes', async (_, failure: () => Promise<HttpResponse>) => {
    respond = failure;
    const failed = await call(post({ key: 'k1' }));
    expect(failed.statusCode).toBeGreaterThanOrEqual(409);
    expect(failed.headers['idempotent-replayed']).toBeUndefined();

    respond = created;
    const retried = await call(post({ key: 'k1' }));
    expect(retried.statusCode).toBe(201);
    expect(JSON.parse(retried.body).thing.execution).toBe(2);
    expect((await call(post({ key: 'k1' }))).body).toBe(retried.body);
    expect(executions).toBe(2);
  });
});

describe('concurrent duplicates', () => {
  it('execute once: the others wait for the first answer and replay it', async () => {
    const inFlight = gate();
    respond = async (request, execution) => {
      await inFlight.opened;
      return created(request, execution);
    };
    const answers = Array.from({ length: 10 }, () => call(post({ key: 'k1' })));
    await new Promise((resolve) => setTimeout(resolve, 300));
    inFlight.open();

    const results = await Promise.all(answers);
    expect(executions).toBe(1);
    expect(results.map((answer) => answer.statusCode)).toEqual(Array(10).fill(201));
    expect(new Set(results.map((answer) => answer.body)).size).toBe(1);
    expect(results.filter((answer) => answer.headers['idempotent-replayed'] === 'true')).toHaveLength(9);
  });

  it('get 409 request_in_progress with retry-after once their wait is over', async () => {
    call = handlerWith({ maxWaitMs: 0 });
    const inFlight = gate();
    respond = async (request, execution) => {
      await inFlight.opened;
      return created(request, execution);
    };
    const first = call(post({ key: 'k1' }));
    await new Promise((resolve) => setTimeout(resolve, 100));

    const duplicate = await call(post({ key: 'k1' }));
    expect(duplicate.statusCode).toBe(409);
    expect(problemCode(duplicate)).toBe('request_in_progress');
    expect(duplicate.headers['retry-after']).toBe('1');
    // A different request under the same key is refused as such even while the first runs.
    expect((await call(post({ key: 'k1', thing: 't2' }))).statusCode).toBe(422);

    inFlight.open();
    expect((await call(post({ key: 'k1' }))).body).toBe((await first).body);
    expect(executions).toBe(1);
  });
});

describe('expiry', () => {
  it('forgets a key 24 h after its first request', async () => {
    const first = await call(post({ key: 'k1' }));
    clock.advance(IDEMPOTENCY_RETENTION_SECONDS * 1000 - 1_000);
    expect((await call(post({ key: 'k1' }))).body).toBe(first.body);

    clock.advance(1_000);
    const afresh = await call(post({ key: 'k1' }));
    expect(afresh.headers['idempotent-replayed']).toBeUndefined();
    expect(JSON.parse(afresh.body).thing.execution).toBe(2);
  });

  it('takes over the key of an execution that died once its lease has run out', async () => {
    call = handlerWith({ maxWaitMs: 0, leaseMs: LEASE_MS });
    const crashed = gate();
    respond = async (request, execution) => {
      await crashed.opened; // never answers while the test looks: the Lambda died holding the key
      return created(request, execution);
    };
    const dead = call(post({ key: 'k1' }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await call(post({ key: 'k1' }))).statusCode).toBe(409);

    clock.advance(LEASE_MS + 1);
    respond = created;
    const retried = await call(post({ key: 'k1' }));
    expect(retried.statusCode).toBe(201);
    expect(JSON.parse(retried.body).thing.execution).toBe(2);

    // Were the dead execution to come back, it could not overwrite its successor's answer.
    crashed.open();
    await dead;
    expect(warnings).toContain('idempotency lease lost before the answer was stored');
    expect((await call(post({ key: 'k1' }))).body).toBe(retried.body);
  });
});
