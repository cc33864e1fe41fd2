import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeStackFile, type StackFile } from '../../../infra/local/stack-file.ts';
import { DemoSetupError, DemoTracker, resolveTarget, type VerifiedEvent } from '../../../scripts/demo.ts';

const members = () =>
  new DemoTracker([
    { n: 1, label: 'succeeds', guid: 'MBR-1', expected: ['aggregation.started', 'aggregation.succeeded'] },
    {
      n: 2,
      label: 'needs MFA',
      guid: 'MBR-2',
      expected: ['aggregation.started', 'aggregation.action_required', 'aggregation.succeeded'],
      answer: 'Rex',
    },
    { n: 3, label: 'fails', guid: 'MBR-3', expected: ['aggregation.started', 'aggregation.failed'] },
  ]);

const event = (id: string, type: string, memberGuid: string): VerifiedEvent => ({
  id,
  type,
  timestamp: new Date().toISOString(),
  data: { job: { id: `job_${memberGuid}`, member_guid: memberGuid, status: type.replace('aggregation.', '') } },
});

describe('DemoTracker', () => {
  it('passes once every expected event of every member arrived, in any order', () => {
    const tracker = members();
    const all = [
      event('a', 'aggregation.succeeded', 'MBR-1'),
      event('b', 'aggregation.started', 'MBR-1'),
      event('c', 'aggregation.started', 'MBR-2'),
      event('d', 'aggregation.action_required', 'MBR-2'),
      event('e', 'aggregation.started', 'MBR-3'),
      event('f', 'aggregation.failed', 'MBR-3'),
    ];
    for (const e of all) expect(tracker.record(e)).toBe(true);
    expect(tracker.settled()).toBe(false);
    expect(tracker.problems()).toEqual(['member 2 (needs MFA, MBR-2): missing aggregation.succeeded']);
    tracker.record(event('g', 'aggregation.succeeded', 'MBR-2'));
    expect(tracker.settled()).toBe(true);
    expect(tracker.passed()).toBe(true);
    expect(tracker.problems()).toEqual([]);
    expect(tracker.members[1]!.jobId).toBe('job_MBR-2');
  });

  it('ignores other activity on the stack and redeliveries of the same webhook-id', () => {
    const tracker = members();
    expect(tracker.record(event('x', 'aggregation.succeeded', 'MBR-someone-else'))).toBe(false);
    expect(tracker.record(event('a', 'aggregation.started', 'MBR-1'))).toBe(true);
    expect(tracker.record(event('a', 'aggregation.started', 'MBR-1'))).toBe(false);
    expect(tracker.members[0]!.received).toEqual(['aggregation.started']);
    expect(tracker.members[0]!.unexpected).toEqual([]);
  });

  it('fails at once on an unexpected outcome, a second terminal event, or a forged delivery', () => {
    const wrongOutcome = members();
    wrongOutcome.record(event('a', 'aggregation.timed_out', 'MBR-1'));
    expect(wrongOutcome.settled()).toBe(true);
    expect(wrongOutcome.passed()).toBe(false);
    expect(wrongOutcome.problems()).toContain('member 1 (succeeds, MBR-1): unexpected aggregation.timed_out');

    const twice = members();
    twice.record(event('a', 'aggregation.failed', 'MBR-3'));
    twice.record(event('b', 'aggregation.failed', 'MBR-3'));
    expect(twice.settled()).toBe(true);
    expect(twice.problems()).toContain('member 3 (fails, MBR-3): unexpected aggregation.failed');

    const forged = members();
    forged.rejected.push('No matching signature found');
    expect(forged.settled()).toBe(true);
    expect(forged.problems()).toContain('a delivery failed verification: No matching signature found');
  });

  it('counts a failed MFA answer as a failure', () => {
    const tracker = members();
    tracker.members[1]!.resumed = { error: 'expected 202, got 409 conflict' };
    expect(tracker.settled()).toBe(true);
    expect(tracker.problems()).toContain(
      'member 2 (needs MFA, MBR-2): answering the MFA question failed: expected 202, got 409 conflict',
    );
  });
});

describe('resolveTarget', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'demo-target-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const stack = (overrides: Partial<StackFile> = {}): StackFile => ({
    url: 'http://127.0.0.1:3999',
    apiKey: 'nxr_test_key_0123456789abcdef',
    simulatorUrl: 'http://127.0.0.1:3998',
    dynamodb: { endpoint: 'http://127.0.0.1:4000', region: 'us-east-1', tableName: 'nexus-relay-local' },
    queues: {
      endpoint: 'http://127.0.0.1:4001',
      region: 'us-east-1',
      urls: {
        poll: 'http://127.0.0.1:4001/q/poll',
        'member-reports': 'http://127.0.0.1:4001/q/member-reports',
        reconcile: 'http://127.0.0.1:4001/q/reconcile',
        erasures: 'http://127.0.0.1:4001/q/erasures',
        delivery: 'http://127.0.0.1:4001/q/delivery',
        'delivery-slow': 'http://127.0.0.1:4001/q/delivery-slow',
        'refresh-requests': 'http://127.0.0.1:4001/q/refresh-requests',
      },
      deadLetterUrls: {
        poll: 'http://127.0.0.1:4001/q/poll-dlq',
        'member-reports': 'http://127.0.0.1:4001/q/member-reports-dlq',
        reconcile: 'http://127.0.0.1:4001/q/reconcile-dlq',
        erasures: 'http://127.0.0.1:4001/q/erasures-dlq',
        delivery: 'http://127.0.0.1:4001/q/delivery-dlq',
        'delivery-slow': 'http://127.0.0.1:4001/q/delivery-slow-dlq',
        'refresh-requests': 'http://127.0.0.1:4001/q/refresh-requests-dlq',
      },
    },
    pid: process.pid,
    startedAt: new Date().toISOString(),
    ...overrides,
  });

  it('takes NEXUS_RELAY_URL, NEXUS_RELAY_API_KEY and NEXUS_RELAY_SIM_URL first, and wants all three', async () => {
    await expect(
      resolveTarget({ NEXUS_RELAY_URL: 'http://h:1/', NEXUS_RELAY_API_KEY: 'k', NEXUS_RELAY_SIM_URL: 'http://h:2' }),
    ).resolves.toEqual({ url: 'http://h:1', apiKey: 'k', simulatorUrl: 'http://h:2', source: 'NEXUS_RELAY_URL' });
    await expect(resolveTarget({ NEXUS_RELAY_URL: 'http://h:1' })).rejects.toThrow(
      'Set NEXUS_RELAY_API_KEY and NEXUS_RELAY_SIM_URL too',
    );
  });

  it('else reads the stack file of a running `npm start`', async () => {
    const file = join(dir, 'running.json');
    writeStackFile(stack(), file);
    await expect(resolveTarget({ NEXUS_RELAY_STACK_FILE: file })).resolves.toEqual({
      url: 'http://127.0.0.1:3999',
      apiKey: 'nxr_test_key_0123456789abcdef',
      simulatorUrl: 'http://127.0.0.1:3998',
      source: file,
    });
  });

  it('says how to start a stack when there is none, or only a stale stack file', async () => {
    const missing = resolveTarget({ NEXUS_RELAY_STACK_FILE: join(dir, 'none.json') });
    await expect(missing).rejects.toBeInstanceOf(DemoSetupError);
    await expect(missing).rejects.toThrow(/No running nexus-relay stack found: .*none\.json.*npm start/);

    const stale = join(dir, 'stale.json');
    writeStackFile(stack({ pid: 2 ** 22 + 1 }), stale); // above Linux's pid_max: no such process
    await expect(resolveTarget({ NEXUS_RELAY_STACK_FILE: stale })).rejects.toThrow('is missing or its process is gone');
  });

  it('refuses a stack that talks to a real MX: the demo scripts members at the simulator', async () => {
    const file = join(dir, 'real-mx.json');
    writeStackFile(stack({ simulatorUrl: null }), file);
    await expect(resolveTarget({ NEXUS_RELAY_STACK_FILE: file })).rejects.toThrow('talks to a real MX, not the simulator');
  });
});
