import { describe, expect, it } from 'vitest';
import { ConflictError, InvalidInputError, NexusRelayError, NotFoundError } from '../../../lib/errors.ts';
import { toHttpProblem } from '../../../lib/http/error-mapper.ts';
import { HttpProblem } from '../../../lib/http/problem.ts';
import { silentLog } from '../../../lib/logger.ts';
import { MxError, type MxErrorCode } from '../../../lib/mx/errors.ts';
import { AttemptLimitError } from '../../../lib/notify/redelivery.ts';
import { InvalidCursorError } from '../../../lib/errors.ts';

describe('toHttpProblem: the one place an error becomes a problem', () => {
  it.each([
    ['NotFoundError', new NotFoundError('No such member for this user.'), 'not_found', undefined],
    ['ConflictError', new ConflictError('Another aggregation of this member is running.'), 'conflict', undefined],
    ['AttemptLimitError (a conflict)', new AttemptLimitError('msg_1'), 'conflict', undefined],
    [
      'InvalidInputError',
      new InvalidInputError('end_date', 'path.end_date: must not be before start_date'),
      'validation_failed',
      'end_date',
    ],
    ['InvalidCursorError (a cursor not issued here)', new InvalidCursorError('not a cursor'), 'invalid_cursor', 'cursor'],
  ])('maps the domain’s %s to its problem, keeping the message and the field', (_, error, code, field) => {
    const problem = toHttpProblem(error, silentLog);
    expect(problem).toBeInstanceOf(HttpProblem);
    expect(problem.problemCode).toBe(code);
    expect(problem.message).toBe(error.message);
    expect(problem.field).toBe(field);
    expect(problem.cause).toBe(error);
  });

  it('keeps MX’s numeric code and answers anything unexpected with a bare 500', () => {
    const mx = new MxError('MX_NOT_FOUND', 'MX answered 404', { method: 'GET', route: '/x', status: 404, mxCode: 4040 });
    expect(toHttpProblem(mx, silentLog)).toMatchObject({ problemCode: 'not_found', mxCode: 4040 });
    const unexpected = toHttpProblem(new TypeError('x is undefined'), silentLog);
    expect(unexpected.problemCode).toBe('internal_error');
    expect(unexpected.message).not.toContain('x is undefined');
  });

  it.each([
    ['DynamoDB throttled through the SDK’s retries', new NexusRelayError('TABLE_THROTTLED', 'throttled')],
    ['a batch left unprocessed through every retry', new NexusRelayError('DYNAMODB_UNPROCESSED', 'left 3 key(s)')],
  ])('answers %s with a 503 to retry, not a 500', (_, error) => {
    const problem = toHttpProblem(error, silentLog);
    expect(problem).toMatchObject({ problemCode: 'table_throttled', status: 503 });
    expect(problem.headers).toEqual({ 'retry-after': '5' });
    expect(problem.cause).toBe(error);
  });

  it('leaves a throttle of another service (KMS’s ThrottlingException) a 500', () => {
    const kms = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    expect(toHttpProblem(kms, silentLog).problemCode).toBe('internal_error');
  });

  /** What MX answered, as the transport reports it once the retries are spent. */
  const answered = (code: MxErrorCode, status: number, mxMessage: string, extra: { retryAfterSeconds?: number } = {}) =>
    new MxError(code, `MX answered ${status}`, {
      method: 'GET',
      route: '/members',
      status,
      mxCode: status * 10,
      mxMessage,
      ...extra,
    });

  it.each([
    ['5xx through every retry', answered('MX_UPSTREAM_ERROR', 500, 'Internal error.'), 'upstream_error', 502],
    [
      'a 403 for want of PFM',
      answered('MX_FORBIDDEN', 403, 'Member does not have the PFM use case.'),
      'use_case_not_permitted',
      403,
    ],
    [
      '429 through every retry',
      answered('MX_RATE_LIMITED', 429, 'Too many requests for this client.', { retryAfterSeconds: 7 }),
      'upstream_rate_limited',
      503,
    ],
  ])('gives MX’s own reason and code with %s', (_, error, code, status) => {
    expect(toHttpProblem(error, silentLog)).toMatchObject({
      problemCode: code,
      status,
      mxCode: error.status! * 10,
      message: expect.stringContaining(error.mxMessage!),
    });
  });

  it('answers MX’s 429 with MX’s own Retry-After, 1 s when MX sent none', () => {
    expect(toHttpProblem(answered('MX_RATE_LIMITED', 429, 'Slow down.', { retryAfterSeconds: 7 }), silentLog).headers).toEqual({
      'retry-after': '7',
    });
    expect(toHttpProblem(answered('MX_RATE_LIMITED', 429, 'Slow down.'), silentLog).headers).toEqual({ 'retry-after': '1' });
    expect(toHttpProblem(answered('MX_UPSTREAM_ERROR', 500, 'Internal error.'), silentLog).message).toBe(
      'MX failed (MX_UPSTREAM_ERROR, HTTP 500): Internal error.',
    );
  });

  it("answers calls the breaker holds with 503 and the breaker's Retry-After", () => {
    const held = new MxError('MX_CIRCUIT_OPEN', 'MX is failing: calls to mx-data are held for 12 s', {
      method: 'GET',
      route: '/x',
      retryAfterSeconds: 12,
    });
    const problem = toHttpProblem(held, silentLog);
    expect(problem).toMatchObject({ problemCode: 'upstream_unavailable', status: 503, headers: { 'retry-after': '12' } });
    expect(problem.message).toContain('held for 12 s');
  });

  it('answers calls the MX budget refuses with 503 and the time to its next period', () => {
    const refused = new MxError('MX_BUDGET_SPENT', "The relay's MX call budget is spent for the next 3 s", {
      method: 'GET',
      route: '/x',
      retryAfterSeconds: 3,
    });
    const problem = toHttpProblem(refused, silentLog);
    expect(problem).toMatchObject({ problemCode: 'upstream_unavailable', status: 503, headers: { 'retry-after': '3' } });
  });
});
