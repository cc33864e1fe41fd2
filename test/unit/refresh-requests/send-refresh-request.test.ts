import { describe, expect, it } from 'vitest';
import { parseRefreshRequestMessage } from '../../../lib/aggregation/refresh-request-message.ts';
import { refreshRequestToSend, UsageError, wantsHelp } from '../../../scripts/send-refresh-request.ts';

const LOCAL_QUEUE = 'http://sqs.us-east-1.localhost:4567/000000000000/refresh-requests';

describe('npm run refresh-request', () => {
  it('answers --help with the usage, and an unknown option with it too (issue 59 #5)', () => {
    expect(wantsHelp(['--help'])).toBe(true);
    expect(wantsHelp(['--user', 'u1', '-h'])).toBe(true);
    expect(wantsHelp(['--user', 'u1'])).toBe(false);
    expect(() => refreshRequestToSend(['--bogus'], {})).toThrow(UsageError);
    expect(() => refreshRequestToSend(['--bogus'], {})).toThrow(/Unknown option '--bogus'[\s\S]*usage: npm run refresh-request/);
  });

  it('sends a bare request to the local queue printed by npm start, through its port on 127.0.0.1', () => {
    const toSend = refreshRequestToSend(
      [
        '--user',
        'u1',
        '--member',
        'MBR-demo',
        '--key',
        'k-1',
        '--correlation',
        'c-1',
        '--holdings',
        'false',
        '--queue-url',
        LOCAL_QUEUE,
      ],
      {},
    );
    expect(toSend).toEqual({
      queueUrl: LOCAL_QUEUE,
      endpoint: 'http://127.0.0.1:4567',
      region: 'us-east-1',
      body: JSON.stringify({
        user_id: 'u1',
        member_guid: 'MBR-demo',
        include_holdings: false,
        idempotency_key: 'k-1',
        correlation_id: 'c-1',
      }),
    });
    expect(parseRefreshRequestMessage(toSend.body, 'm')).toMatchObject({ ok: true, request: { user_id: 'u1' } });
  });

  it('wraps it as the EventBridge rule delivers it with --envelope; the consumer reads both alike', () => {
    const toSend = refreshRequestToSend(['--user', 'u1', '--member', 'MBR-demo', '--envelope'], {
      REFRESH_REQUESTS_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/nexus-relay-dev-refresh-requests',
    });
    expect(toSend).toMatchObject({ endpoint: undefined, region: 'eu-west-1' });
    expect(JSON.parse(toSend.body)).toMatchObject({ 'detail-type': 'nexus-relay.refresh.requested', detail: { user_id: 'u1' } });
    expect(parseRefreshRequestMessage(toSend.body, 'm')).toMatchObject({
      ok: true,
      request: { user_id: 'u1', member_guid: 'MBR-demo' },
    });
  });

  it.each([
    [['--member', 'MBR-1', '--queue-url', LOCAL_QUEUE], '--user and --member are required'],
    [['--user', 'u1', '--member', 'MBR-1'], 'give --queue-url (or REFRESH_REQUESTS_QUEUE_URL)'],
    [
      ['--user', 'u1', '--member', 'MBR-1', '--queue-url', LOCAL_QUEUE, '--transactions', 'yes'],
      '--transactions must be true or false',
    ],
  ])('explains what is missing: %j', (args, problem) => {
    expect(() => refreshRequestToSend(args, {})).toThrow(UsageError);
    expect(() => refreshRequestToSend(args, {})).toThrow(problem);
  });

  it('finds the running local stack through its stack file when no queue is given; a flag or the environment wins', () => {
    const stack = {
      queues: {
        endpoint: 'http://127.0.0.1:4999',
        region: 'us-east-1',
        urls: { 'refresh-requests': LOCAL_QUEUE.replace('4567', '4999') },
      },
    } as Parameters<typeof refreshRequestToSend>[2];
    const fromStack = refreshRequestToSend(['--user', 'u1', '--member', 'MBR-demo'], {}, stack);
    expect(fromStack).toMatchObject({ queueUrl: stack!.queues.urls['refresh-requests'], endpoint: 'http://127.0.0.1:4999' });
    const flagged = refreshRequestToSend(['--user', 'u1', '--member', 'MBR-demo', '--queue-url', LOCAL_QUEUE], {}, stack);
    expect(flagged).toMatchObject({ queueUrl: LOCAL_QUEUE, endpoint: 'http://127.0.0.1:4567' });
    expect(() => refreshRequestToSend(['--user', 'u1', '--member', 'MBR-demo'], {})).toThrow(/no local stack is running/);
    // Set but empty counts as unset (issue 38 #12): the running stack is found.
    const emptyEnv = refreshRequestToSend(['--user', 'u1', '--member', 'MBR-demo'], { REFRESH_REQUESTS_QUEUE_URL: '' }, stack);
    expect(emptyEnv).toMatchObject({ queueUrl: stack!.queues.urls['refresh-requests'] });
  });
});
