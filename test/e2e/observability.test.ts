import { randomUUID } from 'node:crypto';
import { createRelayClient, RelayNotFoundError, RelayProblemError } from '@nexus-relay/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRIC_NAMESPACE } from '../../lib/metrics.ts';
import { startStackProcess, type StackProcess } from '../support/stack-process.ts';
import { startWebhookReceiver } from '../support/webhook-receiver.ts';

/**
 * What an operator sees of `npm start`, which writes what Lambda would send to CloudWatch: EMF metric lines,
 * JSON log lines carrying the request id a client received and the job id, and an access log line per request.
 */
let stack: StackProcess;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

const jsonLines = (): Record<string, any>[] =>
  stack
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, any>];
      } catch {
        return [];
      }
    });

/** The metric names of every EMF line in the output, with the dimension values each was recorded under. */
function emitted(): Map<string, Record<string, string>[]> {
  const metrics = new Map<string, Record<string, string>[]>();
  for (const line of jsonLines()) {
    for (const directive of line._aws?.CloudWatchMetrics ?? []) {
      expect(directive.Namespace).toBe(METRIC_NAMESPACE);
      const dimensions = Object.fromEntries((directive.Dimensions[0] as string[]).map((name) => [name, line[name]]));
      for (const { Name } of directive.Metrics) metrics.set(Name, [...(metrics.get(Name) ?? []), dimensions]);
    }
  }
  return metrics;
}

/** The client kit, sending the request id a client app chose (as `x-request-id`) when given one. */
const relayWith = (headers: Record<string, string> = {}) =>
  createRelayClient({ baseUrl: stack.url, apiKey: stack.apiKey, headers, retry: false });

async function sim(method: string, path: string, body?: unknown) {
  const response = await fetch(`${stack.simulatorUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(response.status).toBeLessThan(300);
  return response.json() as Promise<any>;
}

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  // --json-logs: the JSON lines printed as written, as before the short log (infra/local/log-view.ts).
  stack = await startStackProcess({}, 60_000, ['--json-logs']);
  receiver.useSecret((await relayWith().webhooks.create({ url: receiver.url })).secret);
}, 90_000);

afterAll(async () => {
  await receiver?.close();
  await stack?.interrupt();
});

describe('a refresh followed to its terminal webhook', () => {
  const requestId = `req-${randomUUID()}`;
  let jobId: string;

  beforeAll(async () => {
    const userId = `user-${randomUUID().slice(0, 8)}`;
    const { member } = await sim('POST', '/_sim/members', {
      user_id: userId,
      aggregation: { duration_ms: 2_000, final_status: 'CONNECTED' },
    });
    const started = await relayWith({ 'x-request-id': requestId }).raw.POST('/users/{user_id}/members/{member_guid}/refresh', {
      params: { path: { user_id: userId, member_guid: member.guid } },
    });
    expect(started.response.status).toBe(202);
    expect(started.response.headers.get('x-request-id')).toBe(requestId);
    jobId = started.data!.job.id;
    await receiver.waitFor((event) => event.data.job.id === jobId && event.type === 'aggregation.succeeded');
    // Each invocation writes its metrics when it ends: the delivery's just after the receiver answered, the poll's once
    // it has also freed the member (which may come after the delivery).
    const written = () => emitted().has('WebhookAttempts') && emitted().has('JobsEnded');
    for (const until = Date.now() + 10_000; !written() && Date.now() < until;) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }, 60_000);

  it('writes EMF metrics for the job outcome, its duration and detection lag, MX calls and webhook attempts', () => {
    const metrics = emitted();
    expect(metrics.get('JobsEnded')).toContainEqual(
      expect.objectContaining({ outcome: 'succeeded', detected_by: 'poll', environment: 'local' }),
    );
    expect(metrics.has('JobDuration')).toBe(true);
    expect(metrics.get('DetectionLag')).toContainEqual(expect.objectContaining({ detected_by: 'poll' }));
    expect(metrics.get('MxCallLatency')).toContainEqual(expect.objectContaining({ route: 'aggregate', status_class: '2xx' }));
    expect(metrics.get('MxCallLatency')).toContainEqual(expect.objectContaining({ route: 'member', status_class: '2xx' }));
    expect(metrics.get('WebhookAttempts')).toContainEqual(expect.objectContaining({ outcome: 'delivered' }));
    expect(metrics.has('ColdStart')).toBe(true);
  });

  it('logs the line that starts the job with both the client’s request id and the job id', () => {
    const lines = jsonLines();
    expect(lines).toContainEqual(
      expect.objectContaining({ message: 'aggregation started', request_id: requestId, job_id: jobId }),
    );
    // Every later line about the job names it: its polls, its end. A delivery's account is its log and WebhookAttempts:
    // its line is DEBUG's.
    expect(lines).toContainEqual(expect.objectContaining({ message: 'aggregation finished', job_id: jobId }));
    expect(lines).not.toContainEqual(expect.objectContaining({ message: 'webhook delivered' }));
  });

  it('writes one access log line per request with API Gateway’s fields', () => {
    const access = jsonLines().filter((line) => line.routeKey === 'POST /users/{user_id}/members/{member_guid}/refresh');
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({ method: 'POST', status: 202, requestId: expect.any(String) });
    expect(access[0]!.responseLatency).toBeGreaterThanOrEqual(0);
  });
});

describe('answers that are not 2xx', () => {
  it('a 4xx: its request id is in a log line of the stack’s output', async () => {
    const answer = (await relayWith()
      .jobs.get('job_0000000000000000000000000')
      .catch((error: unknown) => error)) as RelayProblemError;
    expect(answer).toBeInstanceOf(RelayNotFoundError);
    expect(answer.requestId).toEqual(expect.any(String));
    await expect
      .poll(() => jsonLines().filter((line) => line.request_id === answer.requestId || line.requestId === answer.requestId))
      .toContainEqual(expect.objectContaining({ message: 'request answered with a problem', status: 404 }));
  });

  it('a 5xx: its request id is in a log line of the stack’s output', async () => {
    const userId = `user-${randomUUID().slice(0, 8)}`;
    const { member } = await sim('POST', '/_sim/members', {
      user_id: userId,
      aggregation: { duration_ms: 1_000, final_status: 'CONNECTED' },
    });
    // MX asks to come back in a minute, longer than a call may wait: the read fails at once.
    await sim('POST', '/_sim/faults', { error_rate: 1, status: 429, retry_after_s: 60 });
    const answer = (await relayWith({ 'x-request-id': `req-${randomUUID()}` })
      .members.get({ user_id: userId, member_guid: member.guid })
      .catch((error: unknown) => error)) as RelayProblemError;
    await sim('POST', '/_sim/faults', {});
    expect(answer).toBeInstanceOf(RelayProblemError);
    expect(answer.status).toBeGreaterThanOrEqual(500);
    await expect
      .poll(() => jsonLines().filter((line) => line.request_id === answer.requestId))
      .toContainEqual(expect.objectContaining({ message: 'request answered with a problem', status: answer.status }));
    expect(jsonLines()).toContainEqual(
      expect.objectContaining({ message: 'mx call failed', request_id: answer.requestId, status: 429 }),
    );
    await expect.poll(() => emitted().has('MxThrottled')).toBe(true);
  });
});
