import { describe, expect, it } from 'vitest';
import { ConflictError, InvalidInputError, NotFoundError } from '../../../lib/errors.ts';
import { toHttpProblem } from '../../../lib/http/error-mapper.ts';
import { HttpProblem } from '../../../lib/http/problem.ts';
import { silentLog } from '../../../lib/logger.ts';
import { MxError } from '../../../lib/mx/errors.ts';
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

  it('gives MX’s own reason with a failure it kept answering through every retry', () => {
    const failed = new MxError('MX_UPSTREAM_ERROR', 'MX answered 500', {
      method: 'GET',
      route: '/members',
      status: 500,
      mxCode: 5000,
      mxMessage: 'Internal error.',
    });
    expect(toHttpProblem(failed, silentLog)).toMatchObject({
      problemCode: 'upstream_error',
      status: 502,
      mxCode: 5000,
      message: 'MX failed (MX_UPSTREAM_ERROR, HTTP 500): Internal error.',
    });
  });

  it('answers MX’s 429, kept through every retry, with 503 and MX’s own Retry-After and reason', () => {
    const limited = (retryAfterSeconds?: number) =>
      new MxError('MX_RATE_LIMITED', 'MX answered 429', {
        method: 'GET',
        route: '/members',
        status: 429,
        mxCode: 4290,
        mxMessage: 'Too many requests for this client.',
        ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
      });
    expect(toHttpProblem(limited(7), silentLog)).toMatchObject({
      problemCode: 'upstream_rate_limited',
      status: 503,
      mxCode: 4290,
      headers: { 'retry-after': '7' },
      message: expect.stringContaining('Too many requests for this client.'),
    });
    expect(toHttpProblem(limited(), silentLog).headers).toEqual({ 'retry-after': '1' });
  });

  it('gives MX’s own reason with a 403 it answered for want of PFM', () => {
    const refused = new MxError('MX_FORBIDDEN', 'MX answered 403', {
      method: 'POST',
      route: '/users/{user_guid}/members/{member_guid}/aggregate',
      status: 403,
      mxCode: 4030,
      mxMessage: 'Member does not have the PFM use case.',
    });
    expect(toHttpProblem(refused, silentLog)).toMatchObject({
      problemCode: 'use_case_not_permitted',
      mxCode: 4030,
      message: expect.stringContaining('Member does not have the PFM use case.'),
    });
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
