import { errors } from 'undici';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { MxError, type MxErrorCode, mxErrorFromResponse } from '../../../lib/mx/errors.ts';
import { classifyFailure, isRetryableFailure, RETRY_RULES, RetryPolicy } from '../../../lib/mx/retry-policy.ts';
import { FakeTimer } from './support/fakes.ts';

const site = { method: 'GET', route: '/members' };
const mxError = (code: MxErrorCode, details: { status?: number; retryAfterSeconds?: number; cause?: unknown } = {}) =>
  new MxError(code, 'failed', { ...site, ...details });
const upstream = (status: number) => mxError('MX_UPSTREAM_ERROR', { status });
const networkError = (cause: unknown) => mxError('MX_NETWORK_ERROR', { cause });
const withCode = (code: string) => Object.assign(new Error(code), { code });

/** Just under 1: every backoff at (almost) its ceiling. */
const HIGHEST = 1 - Number.EPSILON;

describe('RetryPolicy.backoffMs (full jitter)', () => {
  it('doubles its ceiling from 100 ms and caps it at 2 s', () => {
    const policy = new RetryPolicy({ budgetMs: 10_000, random: () => HIGHEST });
    const ceilings = [1, 2, 3, 4, 5, 6, 7, 30].map((retry) => Math.round(policy.backoffMs(retry)));
    expect(ceilings).toEqual([100, 200, 400, 800, 1600, 2000, 2000, 2000]);
  });

  it('is uniform between 0 and the ceiling: random × min(cap, base · 2^(retry-1))', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 1, max: 1_000 }),
        fc.integer({ min: 1, max: 60_000 }),
        (retry, random, baseDelayMs, maxDelayMs) => {
          const policy = new RetryPolicy({ budgetMs: 1, baseDelayMs, maxDelayMs, random: () => random });
          const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (retry - 1));
          const delay = policy.backoffMs(retry);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThan(ceiling);
          expect(delay).toBeCloseTo(random * ceiling, 6);
        },
      ),
    );
  });

  it('can be 0: full jitter, not equal jitter', () => {
    expect(new RetryPolicy({ budgetMs: 1, random: () => 0 }).backoffMs(5)).toBe(0);
  });
});

describe('RetryPolicy.nextDelayMs', () => {
  const policy = new RetryPolicy({ budgetMs: 10_000, random: () => 0.5 });
  const limited = (retryAfterSeconds: number) => mxError('MX_RATE_LIMITED', { status: 429, retryAfterSeconds });

  it('waits at least what Retry-After asks', () => {
    expect(policy.nextDelayMs(1, limited(3), 5_000)).toBe(3_000);
  });

  it('keeps the backoff when Retry-After asks for less (0 included)', () => {
    expect(policy.nextDelayMs(4, limited(0), 5_000)).toBe(400);
  });

  it('uses the backoff alone without Retry-After', () => {
    expect(policy.nextDelayMs(2, upstream(503), 5_000)).toBe(100);
  });

  it('shortens its own backoff to the room left', () => {
    expect(policy.nextDelayMs(6, upstream(503), 300)).toBe(300);
  });

  it('gives up rather than retry before Retry-After: a Retry-After must fit whole', () => {
    expect(policy.nextDelayMs(1, limited(3), 2_999)).toBeUndefined();
  });

  it('gives up when there is no room left', () => {
    expect(policy.nextDelayMs(1, upstream(503), 0)).toBeUndefined();
    expect(policy.nextDelayMs(1, upstream(503), -5)).toBeUndefined();
  });
});

describe('RetryPolicy.run', () => {
  const setup = (options: { budgetMs?: number; random?: () => number } = {}) => {
    const timer = new FakeTimer();
    const policy = new RetryPolicy({ budgetMs: options.budgetMs ?? 1_000, random: options.random ?? (() => HIGHEST), timer });
    return { timer, policy, deadline: policy.newDeadline() };
  };

  it('returns the first success, passing the attempt number', async () => {
    const { policy, deadline, timer } = setup();
    const operation = vi
      .fn<(attempt: number) => Promise<string>>()
      .mockRejectedValueOnce(upstream(503))
      .mockRejectedValueOnce(upstream(502))
      .mockResolvedValue('ok');

    await expect(policy.run(operation, { deadline, isRetryable: () => true })).resolves.toBe('ok');

    expect(operation.mock.calls.map(([attempt]) => attempt)).toEqual([1, 2, 3]);
    expect(timer.sleeps.map(Math.round)).toEqual([100, 200]);
  });

  it('throws a failure that is not retryable at once', async () => {
    const { policy, deadline, timer } = setup();
    const refused = mxError('MX_FORBIDDEN', { status: 403 });
    const operation = vi.fn().mockRejectedValue(refused);

    await expect(policy.run(operation, { deadline, isRetryable: () => false })).rejects.toBe(refused);
    expect(operation).toHaveBeenCalledTimes(1);
    expect(timer.sleeps).toEqual([]);
  });

  it('uses the budget up, keeping 100 ms for the last attempt, and throws the last error', async () => {
    const { policy, deadline, timer } = setup({ budgetMs: 1_000 });
    const failures = [upstream(502), upstream(504), upstream(503), upstream(503), upstream(500)];
    const operation = vi.fn(async (attempt: number) => {
      throw failures[attempt - 1];
    });

    const error = await policy.run(operation, { deadline, isRetryable: (e) => e !== failures[4] }).catch((e: unknown) => e);

    // Waits of ~100, 200 and 400 ms leave ~300 ms: the next (~800 ms) is cut to 200, leaving 100 for attempt 5.
    expect(timer.sleeps.map(Math.round)).toEqual([100, 200, 400, 200]);
    expect(operation).toHaveBeenCalledTimes(5);
    expect(error).toBe(failures[4]);
    expect(timer.now()).toBeCloseTo(900, 6);
  });

  it('throws the last error when the budget is spent', async () => {
    const { policy, deadline, timer } = setup({ budgetMs: 1_000 });
    const operation = vi.fn(async (attempt: number) => {
      throw upstream(attempt % 2 === 0 ? 502 : 503);
    });

    await expect(policy.run(operation, { deadline, isRetryable: () => true })).rejects.toMatchObject({ status: 503 });

    expect(operation).toHaveBeenCalledTimes(5);
    expect(timer.now()).toBeLessThanOrEqual(1_000);
  });

  it('never waits past the budget for a Retry-After', async () => {
    const { policy, deadline, timer } = setup({ budgetMs: 5_000 });
    const limited = mxError('MX_RATE_LIMITED', { status: 429, retryAfterSeconds: 5 });
    const operation = vi.fn().mockRejectedValue(limited);

    await expect(policy.run(operation, { deadline, isRetryable: () => true })).rejects.toBe(limited);
    expect(operation).toHaveBeenCalledTimes(1);
    expect(timer.sleeps).toEqual([]);
  });

  it('counts time spent in attempts against the budget', async () => {
    const { policy, deadline, timer } = setup({ budgetMs: 1_000, random: () => 0 });
    const operation = vi.fn(async () => {
      timer.advance(300);
      throw upstream(503);
    });

    await expect(policy.run(operation, { deadline, isRetryable: () => true })).rejects.toMatchObject({ status: 503 });
    // Attempts end at 300, 600 and 900 ms; at 900 only the 100 ms kept for an attempt are left, and no room to wait.
    expect(operation).toHaveBeenCalledTimes(3);
  });

  it('reports each retry before waiting', async () => {
    const { policy, deadline } = setup({ random: () => 0.5 });
    const onRetry = vi.fn();
    const failure = upstream(503);
    await policy.run(vi.fn().mockRejectedValueOnce(failure).mockResolvedValue('ok'), {
      deadline,
      isRetryable: () => true,
      onRetry,
    });
    expect(onRetry).toHaveBeenCalledExactlyOnceWith(failure, 1, 50);
  });
});

describe('isRetryableFailure', () => {
  const cases: [string, unknown, { idempotent: boolean; other: boolean }][] = [
    ['429', mxError('MX_RATE_LIMITED', { status: 429 }), { idempotent: true, other: true }],
    ['503', upstream(503), { idempotent: true, other: true }],
    ['a refused connection', networkError(withCode('ECONNREFUSED')), { idempotent: true, other: true }],
    ['a failed DNS lookup', networkError(withCode('EAI_AGAIN')), { idempotent: true, other: true }],
    ['a connect timeout', mxError('MX_TIMEOUT', { cause: new errors.ConnectTimeoutError() }), { idempotent: true, other: true }],
    ['500', upstream(500), { idempotent: true, other: false }],
    ['502', upstream(502), { idempotent: true, other: false }],
    ['504', upstream(504), { idempotent: true, other: false }],
    [
      'a socket closed by the other side',
      networkError(new errors.SocketError('other side closed')),
      { idempotent: true, other: false },
    ],
    ['a reset connection', networkError(withCode('ECONNRESET')), { idempotent: true, other: false }],
    [
      'an attempt timeout',
      mxError('MX_TIMEOUT', { cause: new DOMException('aborted', 'TimeoutError') }),
      { idempotent: true, other: false },
    ],
    ['a headers timeout', mxError('MX_TIMEOUT', { cause: new errors.HeadersTimeoutError() }), { idempotent: true, other: false }],
    ['501', upstream(501), { idempotent: false, other: false }],
    ['505', upstream(505), { idempotent: false, other: false }],
    ['507', upstream(507), { idempotent: false, other: false }],
    ['511', upstream(511), { idempotent: false, other: false }],
    ['599 (not defined by HTTP)', upstream(599), { idempotent: false, other: false }],
    ['401', mxError('MX_UNAUTHORIZED', { status: 401 }), { idempotent: false, other: false }],
    ['403', mxError('MX_FORBIDDEN', { status: 403 }), { idempotent: false, other: false }],
    ['404', mxError('MX_NOT_FOUND', { status: 404 }), { idempotent: false, other: false }],
    ['409', mxError('MX_CONFLICT', { status: 409 }), { idempotent: false, other: false }],
    ['422', mxError('MX_UNPROCESSABLE', { status: 422 }), { idempotent: false, other: false }],
    ['400', mxError('MX_BAD_REQUEST', { status: 400 }), { idempotent: false, other: false }],
    ['a body of the wrong shape', mxError('MX_INVALID_RESPONSE', { status: 200 }), { idempotent: false, other: false }],
    ['an error that is not an MxError', new TypeError('bug'), { idempotent: false, other: false }],
  ];

  it.each(cases)('%s: idempotent call → %j', (_, error, expected) => {
    expect(isRetryableFailure(error, true)).toBe(expected.idempotent);
    expect(isRetryableFailure(error, false)).toBe(expected.other);
  });

  // Every status MX can answer, as mxErrorFromResponse maps it, × both method classes.
  const READ_RETRIED = new Set([429, 500, 502, 503, 504]);
  const ANY_RETRIED = new Set([429, 503]);
  const statuses = [...Array.from({ length: 100 }, (_, i) => 400 + i), ...Array.from({ length: 100 }, (_, i) => 500 + i)];
  it.each(statuses)('status %i, as MX answers it: read and other call', (status) => {
    const error = mxErrorFromResponse({ status, headers: {}, body: '' }, site, 0);
    expect({ read: isRetryableFailure(error, true), other: isRetryableFailure(error, false) }).toEqual({
      read: READ_RETRIED.has(status),
      other: ANY_RETRIED.has(status),
    });
  });

  /** Any MxError a transport can throw: from an MX answer, a lost connection or a timeout. */
  const anyMxFailure = fc.oneof(
    fc.integer({ min: 100, max: 599 }).map((status) => mxErrorFromResponse({ status, headers: {}, body: '' }, site, 0)),
    fc
      .constantFrom('ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CLOSED')
      .map((code) => networkError(withCode(code))),
    fc
      .constantFrom('UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'TimeoutError')
      .map((code) => mxError('MX_TIMEOUT', { cause: withCode(code) })),
  );

  it('never sends a call that is not idempotent again after a failure where MX may have acted', () => {
    fc.assert(
      fc.property(anyMxFailure, (error) => {
        const kind = classifyFailure(error);
        const certainlyNotActedOn = kind === 'rate-limited' || kind === 'unavailable' || kind === 'never-sent';
        expect(isRetryableFailure(error, false)).toBe(certainlyNotActedOn);
      }),
    );
  });

  it('retries a read whenever it retries any other call (the read column includes the other)', () => {
    fc.assert(
      fc.property(anyMxFailure, (error) => {
        if (isRetryableFailure(error, false)) expect(isRetryableFailure(error, true)).toBe(true);
      }),
    );
    for (const rule of Object.values(RETRY_RULES)) expect(!rule.nonIdempotent || rule.idempotent).toBe(true);
  });
});

describe('RetryPolicy.run with the retry rules: never past the budget', () => {
  it('ends every attempt and every wait within the budget, whatever fails and however long attempts take', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 10_000 }),
        fc.boolean(),
        fc.array(
          fc.record({
            status: fc.constantFrom(429, 500, 502, 503, 504),
            retryAfterSeconds: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
            durationMs: fc.integer({ min: 20, max: 3_000 }),
          }),
          { minLength: 1, maxLength: 40 },
        ),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        async (budgetMs, idempotent, failures, random) => {
          const timer = new FakeTimer();
          const policy = new RetryPolicy({ budgetMs, random: () => random, timer });
          const deadline = policy.newDeadline();
          const attemptsStartedAt: number[] = [];
          const operation = async (attempt: number) => {
            attemptsStartedAt.push(timer.now());
            const failure = failures[Math.min(attempt, failures.length) - 1]!;
            // An attempt takes some time (≥ 20 ms) but never outlives the deadline: the transport cuts its timeout to what is left.
            timer.advance(Math.max(0, Math.min(failure.durationMs, deadline.remainingMs())));
            const error = mxErrorFromResponse({ status: failure.status, headers: {}, body: '' }, site, 0);
            throw failure.retryAfterSeconds === undefined || failure.status !== 429
              ? error
              : mxError('MX_RATE_LIMITED', { status: 429, retryAfterSeconds: failure.retryAfterSeconds });
          };

          await expect(
            policy.run(operation, { deadline, isRetryable: (e) => isRetryableFailure(e, idempotent) }),
          ).rejects.toBeInstanceOf(MxError);

          expect(timer.now()).toBeLessThanOrEqual(budgetMs);
          // Every retry starts with at least the 100 ms kept for an attempt.
          for (const startedAt of attemptsStartedAt.slice(1)) expect(budgetMs - startedAt).toBeGreaterThanOrEqual(100 - 1e-9);
          // A call that is not idempotent is sent again only after 429 or 503.
          if (!idempotent) {
            for (let i = 0; i < attemptsStartedAt.length - 1; i++)
              expect([429, 503]).toContain(failures[Math.min(i + 1, failures.length) - 1]!.status);
          }
        },
      ),
    );
  });
});
