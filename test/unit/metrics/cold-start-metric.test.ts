import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { observability } from '../../../lib/compositions/observability.ts';
import type { Runtime } from '../../../lib/compositions/runtime.ts';
import { createLogger } from '../../../lib/logger.ts';

const context = (awsRequestId: string): Context =>
  ({
    functionName: 'nexus-relay-prod-api-read',
    awsRequestId,
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:nexus-relay-prod-api-read',
    memoryLimitInMB: '512',
    getRemainingTimeInMillis: () => 1000,
  }) as unknown as Context;

/** A runtime whose metrics record what the middleware asks of them. */
function recordingRuntime() {
  const asked: string[] = [];
  const runtime = {
    log: createLogger('nexus-relay', 'ERROR'),
    metrics: {
      coldStart: (name: string) => void asked.push(`coldStart ${name}`),
      // Returns nothing, as EmfMetrics.flush does (a value returned by an onError middleware is middy's response).
      flush: () => void asked.push('flush'),
    },
  } as unknown as Runtime;
  return { runtime, asked };
}

describe('the ColdStart metric (observability middleware)', () => {
  it('is asked for on the first invocation only, by the short function name; every invocation flushes', async () => {
    const { runtime, asked } = recordingRuntime();
    const handler = middy(async () => 'ok').use(observability(runtime));
    for (const id of ['1', '2', '3']) await handler({}, context(id));
    expect(asked).toEqual(['coldStart api-read', 'flush', 'flush', 'flush']);
  });

  it('is asked for at the next invocation when the first ended before the middleware ran', async () => {
    const { runtime, asked } = recordingRuntime();
    let first = true;
    const failsFirst = {
      before: () => {
        if (!first) return;
        first = false;
        throw new Error('refused before the observability middleware');
      },
    };
    const handler = middy(async () => 'ok')
      .use(failsFirst)
      .use(observability(runtime));
    await expect(handler({}, context('1'))).rejects.toThrow('refused');
    await handler({}, context('2'));
    expect(asked.filter((entry) => entry.startsWith('coldStart'))).toEqual(['coldStart api-read']);
    expect(asked.indexOf('coldStart api-read')).toBeGreaterThan(asked.indexOf('flush'));
  });
});
