import type { Context } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { withLogContext } from '../../lib/log-context.ts';
import { createLogger } from '../../lib/logger.ts';

/** The JSON lines a logger writes (stdout, and stderr for warnings and errors) while `run` runs. */
function linesOf(run: () => void): Record<string, unknown>[] {
  const lines: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  };
  const writes = [vi.spyOn(process.stdout, 'write'), vi.spyOn(process.stderr, 'write')];
  for (const write of writes) write.mockImplementation(capture);
  try {
    run();
  } finally {
    for (const write of writes) write.mockRestore();
  }
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('RelayLogger', () => {
  it('writes a line at or above its level with the log context, and nothing below it', () => {
    const log = createLogger('nexus-relay', 'INFO');
    const lines = linesOf(() =>
      withLogContext({ request_id: 'req-12345678', job_id: 'job_1' }, () => {
        log.debug('below the level', { detail: 1 });
        log.info('at the level', { detail: 2 });
        log.warn('above the level');
      }),
    );
    expect(lines.map((line) => line.message)).toEqual(['at the level', 'above the level']);
    expect(lines[0]).toMatchObject({ level: 'INFO', detail: 2, request_id: 'req-12345678', job_id: 'job_1' });
  });

  it('follows a level set later, as Powertools does', () => {
    const log = createLogger('nexus-relay', 'WARN');
    log.powertools.setLogLevel('DEBUG');
    expect(linesOf(() => log.debug('now written')).map((line) => line.message)).toEqual(['now written']);
  });

  it("lets a line's own keys win over the context's, and passes an error to Powertools as its own", () => {
    const log = createLogger('nexus-relay', 'INFO');
    const [line] = linesOf(() =>
      withLogContext({ job_id: 'job_context' }, () => log.error('failed', { job_id: 'job_line' }, { error: new Error('boom') })),
    );
    expect(line).toMatchObject({ level: 'ERROR', job_id: 'job_line', error: { name: 'Error', message: 'boom' } });
  });

  it("keeps Lambda's request id and a cold start, and leaves out what the log group already says", () => {
    vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand');
    const log = createLogger('nexus-relay', 'INFO');
    vi.unstubAllEnvs();
    const context = {
      functionName: 'nexus-relay-prod-worker-poll',
      memoryLimitInMB: '256',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:nexus-relay-prod-worker-poll',
      awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    } as Context;
    log.powertools.addContext(context);
    const [cold] = linesOf(() => log.info('first'));
    log.powertools.addContext(context);
    const [warm] = linesOf(() => log.info('second', { job_id: 'job_1' }));
    expect(cold).toEqual({
      level: 'INFO',
      message: 'first',
      timestamp: expect.any(String),
      cold_start: true,
      function_name: 'nexus-relay-prod-worker-poll',
      function_request_id: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    });
    expect(Object.keys(warm!)).toEqual(['level', 'message', 'timestamp', 'function_name', 'function_request_id', 'job_id']);
  });
});
