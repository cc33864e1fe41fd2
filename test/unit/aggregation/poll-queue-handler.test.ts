import { describe, expect, it, vi } from 'vitest';
import { createPollQueueHandler } from '../../../lib/aggregation/poll-queue-handler.ts';
import { silentLog } from '../../../lib/logger.ts';
import { API_TOKEN_ROUTE } from '../../../lib/mx/sso.ts';
import { MxError } from '../../../lib/mx/errors.ts';
import type {
  ErasureMessage,
  MemberReport,
  MxHintsMessage,
  PollQueueMessage,
  ReconcileMessage,
} from '../../../lib/queue/poll-message.ts';

const NOW = Date.parse('2026-11-25T12:00:00.000Z');
const site = { method: 'GET', route: '/members/{member_guid}' };
const unavailable = (status = 503, retryAfterSeconds?: number) =>
  new MxError(status === 429 ? 'MX_RATE_LIMITED' : 'MX_UPSTREAM_ERROR', `MX answered ${status}`, {
    ...site,
    status,
    retryAfterSeconds,
  });
const report: MemberReport = {
  member_report: { kind: 'aggregation', member_guid: 'MBR-1', user_id: 'user-1' },
  due_at: NOW,
};
const reconcile: ReconcileMessage = { reconcile: { user_id: 'user-1' }, due_at: NOW };
const hints: MxHintsMessage = { mx_hints: { user_id: 'user-1' }, due_at: NOW };
const erasure: ErasureMessage = { erase: { user_id: 'user-1' }, due_at: NOW };

function handlerWith(failure: unknown, random = () => 0.5) {
  const scheduled: (PollQueueMessage & { queue: string })[] = [];
  const waits: string[] = [];
  const fail = vi.fn(async () => {
    throw failure;
  });
  const handle = createPollQueueHandler({
    poll: { handle: fail },
    watch: { handleReport: fail, readHints: fail, reconcileTurn: fail },
    erasure: { step: fail },
    queues: {
      memberReports: { schedule: async (message) => void scheduled.push({ queue: 'member-reports', ...message }) },
      reconcile: { schedule: async (message) => void scheduled.push({ queue: 'reconcile', ...message }) },
      erasures: { schedule: async (message) => void scheduled.push({ queue: 'erasures', ...message }) },
    },
    clock: { now: () => NOW },
    log: silentLog,
    metrics: { add: (name, _value, dimensions) => void waits.push(`${name}:${JSON.stringify(dimensions)}`) },
    random,
  });
  return { handle, scheduled, waits };
}

describe('a report, reconcile read or erasure step MX cannot serve', () => {
  it.each([
    ['a 503', unavailable(503)],
    ['a 500', unavailable(500)],
    ['a 429', unavailable(429)],
    ['a timeout', new MxError('MX_TIMEOUT', 'too slow', site)],
    ['a lost connection', new MxError('MX_NETWORK_ERROR', 'reset', site)],
    ["calls held by the container's circuit breaker", new MxError('MX_CIRCUIT_OPEN', 'held', { ...site, retryAfterSeconds: 10 })],
    ['calls over the MX budget', new MxError('MX_BUDGET_SPENT', 'spent', { ...site, retryAfterSeconds: 3 })],
  ])('waits on its own queue after %s, the message otherwise unchanged, and is acknowledged', async (_, error) => {
    for (const message of [report, hints, reconcile, erasure]) {
      const { handle, scheduled, waits } = handlerWith(error);
      await expect(handle(message)).resolves.toBeUndefined();
      const queue = 'reconcile' in message ? 'reconcile' : 'erase' in message ? 'erasures' : 'member-reports';
      expect(scheduled).toEqual([{ queue, ...message, mx_waits: 1, due_at: NOW + 22_500 }]);
      const kind =
        'reconcile' in message
          ? 'reconcile'
          : 'mx_hints' in message
            ? 'mx_hints'
            : 'erase' in message
              ? 'erasure'
              : 'member_report';
      expect(waits).toEqual([`MxUnavailableWaits:{"kind":"${kind}"}`]);
    }
  });

  it('doubles each wait up to 5 minutes, spread between half and all of it, never under Retry-After', async () => {
    const dueAfter = async (mxWaits: number | undefined, random: number, error = unavailable()) => {
      const { handle, scheduled } = handlerWith(error, () => random);
      await handle({ ...report, ...(mxWaits ? { mx_waits: mxWaits } : {}) });
      return [(scheduled[0] as MemberReport).mx_waits, scheduled[0]!.due_at - NOW];
    };
    expect(await dueAfter(undefined, 0)).toEqual([1, 15_000]);
    expect(await dueAfter(undefined, 0.999_999)).toEqual([1, 30_000]);
    expect(await dueAfter(1, 0.999_999)).toEqual([2, 60_000]);
    expect(await dueAfter(3, 0.999_999)).toEqual([4, 240_000]);
    expect(await dueAfter(5, 0.999_999)).toEqual([6, 300_000]);
    expect(await dueAfter(40, 0)).toEqual([41, 150_000]);
    expect(await dueAfter(undefined, 0, unavailable(429, 120))).toEqual([1, 120_000]);
  });

  it('is thrown for SQS to retry when MX refused it for good, or the failure is not MX’s', async () => {
    for (const error of [
      new MxError('MX_NOT_FOUND', 'gone', { ...site, status: 404 }),
      new MxError('MX_BAD_REQUEST', 'no', { ...site, status: 400 }),
      new Error('DynamoDB throttled'),
    ]) {
      const { handle, scheduled } = handlerWith(error);
      await expect(handle(report)).rejects.toBe(error);
      expect(scheduled).toEqual([]);
    }
  });

  it('is dropped for a user MX does not know: erased, or never made (worker-poll makes no user at MX)', async () => {
    const unknown = new MxError('MX_NOT_FOUND', 'no such user', { method: 'GET', route: API_TOKEN_ROUTE, status: 404 });
    for (const message of [reconcile, hints]) {
      const dropped = handlerWith(unknown);
      await expect(dropped.handle(message)).resolves.toBeUndefined();
      expect(dropped.scheduled).toEqual([]);
    }
    // A member MX does not have is not the user: thrown for SQS.
    const member = new MxError('MX_NOT_FOUND', 'no such member', { ...site, status: 404 });
    await expect(handlerWith(member).handle(hints)).rejects.toBe(member);
  });
});

it('leaves a poll step’s failures to the poll step and SQS', async () => {
  const { handle, scheduled } = handlerWith(unavailable());
  await expect(handle({ job_id: 'job_1', step: 0, due_at: NOW })).rejects.toBeInstanceOf(MxError);
  expect(scheduled).toEqual([]);
});

it('sends a forgetting not done back to its queue a little later (a user that left the reconcile)', async () => {
  const scheduled: PollQueueMessage[] = [];
  const handle = createPollQueueHandler({
    poll: { handle: vi.fn() },
    watch: {
      handleReport: vi.fn(),
      readHints: vi.fn(),
      reconcileTurn: async (turn) => (turn.left ? { ...turn, reset_seq: 9 } : undefined),
    },
    erasure: { step: vi.fn() },
    queues: {
      memberReports: { schedule: vi.fn() },
      reconcile: { schedule: async (message) => void scheduled.push(message) },
      erasures: { schedule: vi.fn() },
    },
    clock: { now: () => NOW },
    log: silentLog,
    metrics: { add: () => {} },
  });
  await handle({ reconcile: { user_id: 'user-1', left: true }, due_at: NOW - 1000 });
  await handle(reconcile);
  expect(scheduled).toEqual([{ reconcile: { user_id: 'user-1', left: true, reset_seq: 9 }, due_at: NOW + 5_000 }]);
});

it('sends an erasure’s next step to its queue at once while steps are left', async () => {
  const scheduled: PollQueueMessage[] = [];
  const steps: ('more' | 'done')[] = ['more', 'done'];
  const handle = createPollQueueHandler({
    poll: { handle: vi.fn() },
    watch: { handleReport: vi.fn(), readHints: vi.fn(), reconcileTurn: vi.fn() },
    erasure: { step: async () => steps.shift()! },
    queues: {
      memberReports: { schedule: vi.fn() },
      reconcile: { schedule: vi.fn() },
      erasures: { schedule: async (message) => void scheduled.push(message) },
    },
    clock: { now: () => NOW },
    log: silentLog,
    metrics: { add: () => {} },
  });
  await handle({ ...erasure, mx_waits: 2, due_at: NOW - 1000 });
  await handle(erasure);
  expect(scheduled).toEqual([{ erase: { user_id: 'user-1' }, due_at: NOW }]);
});
