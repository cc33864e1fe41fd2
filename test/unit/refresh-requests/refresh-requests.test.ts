import { testDigests } from '../../support/digest-keys.ts';
import { UserErasedError } from '../../../lib/errors.ts';
import { noMetrics } from '../../../lib/metrics.ts';
import { beforeEach, describe, expect, it } from 'vitest';
import { RateLimitExceededError } from '../../../lib/aggregation/refresh-rate-limiter.ts';
import { RefreshRequests } from '../../../lib/aggregation/refresh-requests.ts';
import { EVENTS } from '../../../lib/notify/events.ts';
import type { RefreshRequest } from '../../../lib/aggregation/refresh-service.ts';
import { ManualClock } from '../../../lib/clock.ts';
import type { Log } from '../../../lib/logger.ts';
import { MxError } from '../../../lib/mx/errors.ts';
import type { WebhookEvent } from '../../../lib/notify/events.ts';
import { IdempotencyKeys } from '../../../lib/idempotency-keys.ts';
import { REFRESH_REQUEST_KEY_LEASE_MS } from '../../../lib/aggregation/refresh-requests.ts';
import { MemoryIdempotencyStore } from '../../support/memory-idempotency-store.ts';

const MX_FORBIDDEN = new MxError('MX_FORBIDDEN', 'MX answered 403', {
  method: 'GET',
  route: '/members/{member_guid}/aggregate',
  status: 403,
  mxCode: 4030,
});
const MX_DOWN = new MxError('MX_UPSTREAM_ERROR', 'MX answered 503', {
  method: 'GET',
  route: '/members/{member_guid}/aggregate',
  status: 503,
});

let clock: ManualClock;
let store: MemoryIdempotencyStore;
let refreshes: RefreshRequest[];
let refreshOutcome: () => Promise<{ job: { id: string }; joined: boolean }>;
let published: WebhookEvent[];
let deferred: { message: Record<string, unknown>; delayMs: number }[];
let deadLettered: { body: string; attributes: Record<string, string | undefined> }[];
let logged: { level: string; message: string; extra: Record<string, unknown> }[];
let consumer: RefreshRequests;

const capture =
  (level: string) =>
  (message: string, ...extra: Record<string, unknown>[]) =>
    logged.push({ level, message, extra: Object.assign({}, ...extra) });
const log: Log = { debug: capture('debug'), info: capture('info'), warn: capture('warn'), error: capture('error') };

beforeEach(() => {
  clock = new ManualClock();
  store = new MemoryIdempotencyStore();
  refreshes = [];
  refreshOutcome = async () => ({ job: { id: `job_${refreshes.length}` }, joined: false });
  published = [];
  deferred = [];
  deadLettered = [];
  logged = [];
  consumer = new RefreshRequests({
    metrics: noMetrics,
    refresh: {
      refresh: async (request) => {
        refreshes.push(request);
        return (await refreshOutcome()) as never;
      },
    },
    idempotency: new IdempotencyKeys(store, clock, REFRESH_REQUEST_KEY_LEASE_MS, testDigests),
    digests: testDigests,
    events: { publish: async (event) => void published.push(event) },
    queue: { scheduleIn: async (message, delayMs) => void deferred.push({ message, delayMs }) },
    deadLetters: { send: async (body, attributes) => void deadLettered.push({ body, attributes }) },
    clock,
    log,
    random: () => 0.5,
  });
});

const request = { user_id: 'u1', member_guid: 'MBR-1', include_holdings: false, correlation_id: 'corr-7' };
const message = (body: unknown, messageId = 'sqs-1') => ({
  messageId,
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

describe('RefreshRequests', () => {
  it('starts a refresh as the HTTP route does, with the correlation id for the job, and logs it', async () => {
    await consumer.handle(message(request));
    expect(refreshes).toEqual([
      { userId: 'u1', memberGuid: 'MBR-1', includeHoldings: false, includeTransactions: undefined, correlationId: 'corr-7' },
    ]);
    expect(logged).toContainEqual({
      level: 'info',
      message: 'refresh request handled',
      extra: expect.objectContaining({ outcome: 'started', job_id: 'job_1', correlation_id: 'corr-7', source_id: 'sqs-1' }),
    });
  });

  it('starts at most one refresh per idempotency key, however often the request comes', async () => {
    const keyed = { ...request, idempotency_key: 'order-42' };
    for (const id of ['sqs-1', 'sqs-2', 'sqs-3']) await consumer.handle(message(keyed, id));
    expect(refreshes).toHaveLength(1);
    expect(logged.filter((line) => line.extra.outcome === 'duplicate')).toHaveLength(2);
  });

  it('defers a duplicate whose first request is still running, and dead-letters a key reused for another member', async () => {
    const keyed = { ...request, idempotency_key: 'order-42' };
    let finish!: () => void;
    refreshOutcome = () => new Promise((resolve) => (finish = () => resolve({ job: { id: 'job_1' }, joined: false })));
    const first = consumer.handle(message(keyed, 'sqs-1'));
    await new Promise((resolve) => setImmediate(resolve));

    await consumer.handle(message(keyed, 'sqs-2'));
    expect(deferred).toEqual([{ message: { deferred: keyed, source_id: 'sqs-2', deferrals: 1 }, delayMs: 1000 }]);

    await consumer.handle(message({ ...keyed, member_guid: 'MBR-2' }, 'sqs-3'));
    expect(deadLettered).toEqual([
      {
        body: JSON.stringify({ ...keyed, member_guid: 'MBR-2' }),
        attributes: expect.objectContaining({ reason: 'idempotency_key_reused', error_field: 'idempotency_key' }),
      },
    ]);
    finish();
    await first;
    expect(refreshes).toHaveLength(1);
  });

  it('hands a request over the cap back to the queue, keeping its source id, and frees its key for that re-send', async () => {
    // As the MX client reports a call the aggregate-call gate refused.
    refreshOutcome = async () => {
      throw new MxError('MX_NETWORK_ERROR', 'could not reach MX (RATE_LIMIT_EXCEEDED)', {
        method: 'GET',
        route: '/members/{member_guid}/aggregate',
        cause: new RateLimitExceededError('full'),
      });
    };
    const keyed = { ...request, idempotency_key: 'order-42' };
    await consumer.handle(message({ deferred: keyed, source_id: 'evt-1', deferrals: 3, due_at: 0 }));
    // deferrals 3: 1 s plus up to 8 s of spread (random 0.5 → 4 s).
    expect(deferred).toEqual([{ message: { deferred: keyed, source_id: 'evt-1', deferrals: 4 }, delayMs: 5000 }]);
    expect(store.records.size).toBe(0);

    refreshOutcome = async () => ({ job: { id: 'job_2' }, joined: false });
    await consumer.handle(message({ ...deferred[0]!.message, due_at: clock.now() }, 'sqs-2'));
    expect(refreshes).toHaveLength(2);
    expect(logged.at(-1)!.extra).toMatchObject({ outcome: 'started', source_id: 'evt-1' });
  });

  it('publishes aggregation.rejected when MX refuses, once per request however often it is delivered', async () => {
    refreshOutcome = async () => {
      throw MX_FORBIDDEN;
    };
    await consumer.handle(message(request, 'sqs-1'));
    await consumer.handle(message(request, 'sqs-1'));
    expect(published).toHaveLength(2);
    expect(published[0]!.id).toBe(published[1]!.id);
    expect(published[0]).toMatchObject({
      id: expect.stringMatching(/^msg_refreq_[0-9a-f]{16}_[0-9a-f]{32}_rejected$/),
      type: 'aggregation.rejected',
      data: {
        request: { user_id: 'u1', member_guid: 'MBR-1', correlation_id: 'corr-7' },
        reason: 'use_case_not_permitted',
        mx_code: 4030,
      },
    });
    expect(EVENTS['aggregation.rejected'].data.parse(published[0]!.data)).toEqual(published[0]!.data);

    await consumer.handle(message(request, 'sqs-2'));
    expect(published[2]!.id).not.toBe(published[0]!.id);
  });

  it('names the rejected event after the idempotency key, so a repeat with a new message id is the same event', async () => {
    refreshOutcome = async () => {
      throw MX_FORBIDDEN;
    };
    const keyed = { ...request, idempotency_key: 'order-42' };
    await consumer.handle(message(keyed, 'sqs-1'));
    store.records.clear();
    await consumer.handle(message(keyed, 'sqs-2'));
    expect(published.map((event) => event.id)).toEqual([published[0]!.id, published[0]!.id]);
  });

  it('throws on a transient failure of its own, freeing the key so the retry runs', async () => {
    const dynamoDown = new Error('DynamoDB throttled');
    refreshOutcome = async () => {
      throw dynamoDown;
    };
    const keyed = { ...request, idempotency_key: 'order-42' };
    await expect(consumer.handle(message(keyed))).rejects.toBe(dynamoDown);
    expect(store.records.size).toBe(0);

    refreshOutcome = async () => ({ job: { id: 'job_2' }, joined: false });
    await consumer.handle(message(keyed));
    expect(refreshes).toHaveLength(2);
    expect([...store.records.values()][0]!.outcome).toMatchObject({ kind: 'started' });
  });

  it.each([
    ['MX answers 503', MX_DOWN],
    [
      "the container's breaker holds calls to MX",
      new MxError('MX_CIRCUIT_OPEN', 'held', { method: 'POST', route: '/x', retryAfterSeconds: 15 }),
    ],
  ])('defers a request while MX fails (%s): it waits on its queue, never for the dead-letter queue', async (_, error) => {
    refreshOutcome = async () => {
      throw error;
    };
    await consumer.handle(message(request));
    expect(deferred).toHaveLength(1);
    expect(deadLettered).toEqual([]);
  });

  it.each([
    [
      'MX has no such member',
      new MxError('MX_NOT_FOUND', '404', { method: 'GET', route: '/x', status: 404 }),
      'member_not_found',
    ],
    [
      'MX refuses the request',
      new MxError('MX_UNPROCESSABLE', '422', { method: 'GET', route: '/x', status: 422 }),
      'upstream_rejected',
    ],
    ['the user was erased', new UserErasedError(), 'user_erased'],
  ])('dead-letters a request that can never succeed: %s', async (_, error, reason) => {
    refreshOutcome = async () => {
      throw error;
    };
    await consumer.handle(message(request));
    expect(deadLettered).toEqual([{ body: JSON.stringify(request), attributes: expect.objectContaining({ reason }) }]);
  });

  it('dead-letters an invalid message with its original body, the reason and the field, and acknowledges it', async () => {
    await consumer.handle(message('{"user_id":"u1","member_guid":"nope"}', 'sqs-5'));
    await consumer.handle(message('not json', 'sqs-6'));
    expect(refreshes).toEqual([]);
    expect(deadLettered).toEqual([
      {
        body: '{"user_id":"u1","member_guid":"nope"}',
        attributes: {
          reason: 'invalid_request',
          error_field: 'member_guid',
          detail: 'member_guid: must look like MBR-…',
          source_message_id: 'sqs-5',
        },
      },
      { body: 'not json', attributes: expect.objectContaining({ reason: 'invalid_json', source_message_id: 'sqs-6' }) },
    ]);
  });
});
