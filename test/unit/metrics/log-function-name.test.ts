import { setTimeout as delay } from 'node:timers/promises';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../../lib/config.ts';
import { httpHandler } from '../../../lib/compositions/http-handler.ts';
import { runtimeOf } from '../../../lib/compositions/runtime.ts';
import { testRoute } from '../../support/test-route.ts';

const config = parseConfig({
  TABLE_NAME: 'log-test',
  POLL_QUEUE_URL: 'http://127.0.0.1:1/000000000000/poll',
  MEMBER_REPORTS_QUEUE_URL: 'http://127.0.0.1:1/000000000000/member-reports',
  RECONCILE_QUEUE_URL: 'http://127.0.0.1:1/000000000000/reconcile',
  DELIVERY_QUEUE_URL: 'http://127.0.0.1:1/000000000000/delivery',
  MX_BASE_URL: 'http://127.0.0.1:1',
  MX_USE_CASES_ENABLED: 'true',
  LOG_LEVEL: 'INFO',
});

const context = (functionName: string, awsRequestId: string): Context =>
  ({
    functionName,
    awsRequestId,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:${functionName}`,
    memoryLimitInMB: '512',
    getRemainingTimeInMillis: () => 1000,
  }) as unknown as Context;

const event = (path: string) =>
  ({
    version: '2.0',
    routeKey: `GET ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: {},
    requestContext: { requestId: `gw-${path}`, http: { method: 'GET', path, sourceIp: '127.0.0.1' } },
    isBase64Encoded: false,
  }) as unknown as APIGatewayProxyEventV2;

afterEach(() => vi.restoreAllMocks());

describe('log lines in one process running several functions (the local runtime)', () => {
  it('each line names the function and invocation that wrote it, however the invocations interleave', async () => {
    const lines: Record<string, unknown>[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      for (const line of String(chunk).split('\n')) if (line.startsWith('{"level"')) lines.push(JSON.parse(line));
      return true;
    });
    // One logger for both, the hardest case: context must come from the invocation, not the logger.
    const runtime = runtimeOf(config);
    const operation = (name: string, pauseMs: number) => ({
      auth: 'none' as const,
      async handle() {
        await delay(pauseMs);
        runtime.log.info(`from ${name}`);
        return { status: 204 };
      },
    });
    const slow = httpHandler(runtime, [testRoute('GET /slow', operation('slow', 30))], {});
    const fast = httpHandler(runtime, [testRoute('GET /fast', operation('fast', 5))], {});
    await Promise.all([
      slow(event('/slow'), context('nexus-relay-local-api-read', 'req-slow')),
      fast(event('/fast'), context('nexus-relay-local-api-jobs', 'req-fast')),
    ]);
    expect(lines.find((line) => line.message === 'from slow')).toMatchObject({
      function_name: 'nexus-relay-local-api-read',
      function_request_id: 'req-slow',
    });
    expect(lines.find((line) => line.message === 'from fast')).toMatchObject({
      function_name: 'nexus-relay-local-api-jobs',
      function_request_id: 'req-fast',
    });
  });
});
