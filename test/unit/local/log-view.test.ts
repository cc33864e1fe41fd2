import { describe, expect, it } from 'vitest';
import { shortLine } from '../../../infra/local/log-view.ts';

const at = '2026-11-24T15:04:05.678Z';
const line = (record: Record<string, unknown>) => JSON.stringify({ timestamp: at, service: 'nexus-relay', ...record });

describe('the short log npm start prints (issue 38 #9)', () => {
  it('one line per request, from the access log', () => {
    const access = JSON.stringify({
      requestId: 'req_1',
      requestTime: Date.parse(at),
      method: 'POST',
      path: '/users/u1/members/MBR-1/refresh',
      routeKey: 'POST /users/{user_id}/members/{member_guid}/refresh',
      status: 202,
      responseLatency: 41,
    });
    expect(shortLine(access)).toBe('15:04:05.678 POST /users/u1/members/MBR-1/refresh → 202 (41 ms) req_1');
  });

  it('a job transition, named by the function whose call chain wrote it, with its ids', () => {
    expect(
      shortLine(
        line({
          level: 'INFO',
          message: 'aggregation finished',
          function_name: 'worker-poll',
          function_arn: 'arn:aws:lambda:us-east-1:000000000000:function:api-jobs',
          job_id: 'job_1',
          status: 'succeeded',
          secret_looking: 'never shown',
        }),
      ),
    ).toBe('15:04:05.678 worker-poll aggregation finished job_id=job_1 status=succeeded');
  });

  it('warnings and errors with their error; other INFO and DEBUG lines and EMF metrics go to the file only', () => {
    // A delivery attempt's warning, with how it failed.
    const attemptFailed = (how: Record<string, unknown>) =>
      shortLine(
        line({ level: 'WARN', message: 'webhook attempt failed', function_name: 'worker-deliver', webhook_id: 'wh_1', ...how }),
      );
    expect(attemptFailed({ error: { name: 'TimeoutError', message: 'no answer in 10 s' } })).toBe(
      '15:04:05.678 WARN worker-deliver webhook attempt failed webhook_id=wh_1 error=TimeoutError: no answer in 10 s',
    );
    // A failure logged by its kind and code (the deliverer's), not as an Error (issue 59 #3).
    expect(attemptFailed({ error: 'connection', error_code: 'ECONNREFUSED' })).toBe(
      '15:04:05.678 WARN worker-deliver webhook attempt failed webhook_id=wh_1 error=connection (ECONNREFUSED)',
    );
    // Every kind of job's start and end is a transition the terminal shows.
    expect(
      shortLine(line({ level: 'INFO', message: 'verification finished', function_name: 'worker-poll', kind: 'verification' })),
    ).toBe('15:04:05.678 worker-poll verification finished kind=verification');
    expect(shortLine(line({ level: 'INFO', message: 'sweep done', function_name: 'sweeper' }))).toBeUndefined();
    expect(shortLine(line({ level: 'DEBUG', message: 'mx call', function_name: 'api-read' }))).toBeUndefined();
    expect(shortLine(JSON.stringify({ _aws: { CloudWatchMetrics: [] }, JobsStarted: 1 }))).toBeUndefined();
  });

  it('text that is not a JSON line is printed as it is', () => {
    expect(shortLine('nexus-relay listening on http://127.0.0.1:3000')).toBe('nexus-relay listening on http://127.0.0.1:3000');
    expect(shortLine('{not json')).toBe('{not json');
  });
});
