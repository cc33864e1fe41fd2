import type { MetricsSink } from '../../../lib/metrics.ts';
import { describe, expect, it } from 'vitest';
import type { Job, TerminalStatus } from '../../../lib/aggregation/job.ts';
import { PollService } from '../../../lib/aggregation/poll-service.ts';
import { ManualClock } from '../../../lib/clock.ts';
import { silentLog } from '../../../lib/logger.ts';
import type { Member } from '../../../lib/mx/member.ts';
import { type PollMessage, pollMessageSchema } from '../../../lib/queue/poll-message.ts';
import { idlePollParts } from '../../support/aggregation-parts.ts';

/**
 * Right after an aggregate starts, MX may still report the previous attempt's status. A user who just fixed their
 * credentials must not be told to act: only CHALLENGED ends a job while `is_being_aggregated` is true.
 */
const member = (connection_status: string, is_being_aggregated: boolean): Member =>
  ({
    guid: 'MBR-1',
    user_guid: 'USR-1',
    connection_status,
    connection_status_id: null,
    connection_status_message: null,
    is_being_aggregated,
    aggregated_at: null,
    successfully_aggregated_at: null,
    use_cases: null,
  }) as Member;

/**
 * The poll loop over in-memory fakes, MX answering `reads` one after the other, from a first message as `first` sends
 * it (raw, as SQS hands it over: parsed with the queue's schema); returns how the job ended and who was counted as
 * detecting it.
 */
async function run(
  reads: Member[],
  first: Record<string, unknown> = {},
  trigger: Job['trigger'] = 'refresh',
): Promise<{
  status: TerminalStatus | 'aggregating';
  polls: number;
  events: string[];
  detectedBy: unknown[];
  endsCounted: number;
}> {
  const clock = new ManualClock(1_000_000);
  let job: Job = {
    id: 'job_000000001aaaaaaaaaaaaaaaa',
    userId: 'u1',
    memberGuid: 'MBR-1',
    status: 'aggregating',
    kind: 'aggregation',
    trigger,
    connectionStatus: null,
    step: 0,
    polls: 0,
    pollErrors: 0,
    createdAt: clock.now(),
    updatedAt: clock.now(),
    deadlineAt: clock.now() + 600_000,
    nextPollAt: clock.now() + 3_000,
  };
  const queued: PollMessage[] = [pollMessageSchema.parse({ job_id: job.id, step: 0, due_at: job.nextPollAt, ...first })];
  const events: string[] = [];
  const detectedBy: unknown[] = [];
  let read = 0;
  let endsCounted = 0;
  const service = new PollService({
    refusals: { record: async () => undefined },
    metrics: {
      add: (name, _value, dimensions) =>
        void (name === 'JobsEnded' && detectedBy.push((dimensions as { detected_by?: string }).detected_by)),
    } as MetricsSink,
    jobs: {
      get: async () => job,
      advance: async (_id: string, step: number, update: { nextPollAt: number }) => {
        if (step !== job.step) return false;
        job = { ...job, step: step + 1, polls: job.polls + 1, nextPollAt: update.nextPollAt };
        return true;
      },
      finish: async (_id: string, step: number, update: { status: TerminalStatus; now: number }) => {
        if (step !== job.step || job.status !== 'aggregating') return false;
        job = { ...job, status: update.status, finishedAt: update.now, polls: job.polls + 1 };
        return true;
      },
    } as never,
    pointers: { releaseActive: async () => undefined } as never,
    attention: { markForAttention: async () => undefined },
    nexus: {
      readMember: async () => reads[Math.min(read++, reads.length - 1)]!,
      listMemberChallenges: async () => [],
    },
    pollQueue: {
      deferIfEarly: async () => false,
      schedule: async (message: PollMessage) => void queued.push(message),
    } as never,
    events: { publish: async (event) => void events.push(event.type) },
    clock,
    log: silentLog,
    timing: { model: async () => undefined, learn: async () => undefined },
    maxPollDelaySeconds: 30,
    ...idlePollParts,
    coverage: { covered: async () => false, recordEnd: async () => void endsCounted++ },
  });
  for (let message = queued.shift(); message && job.status === 'aggregating'; message = queued.shift()) {
    clock.set(Math.max(clock.now(), message.due_at));
    await service.handle(message);
  }
  return { status: job.status, polls: job.polls, events, detectedBy, endsCounted };
}

describe('statuses read while MX is still aggregating', () => {
  it('REJECTED with is_being_aggregated: true, then CONNECTED, ends succeeded', async () => {
    const ended = await run([member('REJECTED', true), member('REJECTED', true), member('CONNECTED', false)]);
    expect(ended).toMatchObject({ status: 'succeeded', polls: 3, events: ['aggregation.succeeded'] });
  });

  it.each(['DENIED', 'LOCKED', 'EXPIRED', 'PREVENTED', 'IMPAIRED'])(
    '%s while aggregating waits; once aggregation stops with it, the job needs the user',
    async (status) => {
      expect(await run([member(status, true), member(status, false)])).toMatchObject({
        status: 'action_required',
        polls: 2,
      });
    },
  );

  it('CHALLENGED ends the job at once, even while aggregating: the user must answer now', async () => {
    expect(await run([member('CHALLENGED', true)])).toMatchObject({ status: 'action_required', polls: 1 });
  });
});

describe('what a job end is counted as detected by', () => {
  it.each(['push', 'reconcile', 'sweeper'])('a poll message sent by the %s counts its end under that detector', async (by) => {
    expect(await run([member('CONNECTED', false)], { detected_by: by })).toMatchObject({ status: 'succeeded', detectedBy: [by] });
  });

  it("the loop's own message counts as poll; one under the field's old name (`trigger`, in flight during a deploy) too", async () => {
    expect((await run([member('CONNECTED', false)])).detectedBy).toEqual(['poll']);
    expect((await run([member('CONNECTED', false)], { trigger: 'push' })).detectedBy).toEqual(['poll']);
  });
});

describe('the ends push coverage is measured against', () => {
  it("counts the end of a job MX announces in the foreground, not one of MX's background aggregations", async () => {
    // mx-events leaves background pushes out of its count: their ends must be left out too, or the ratio falls.
    expect((await run([member('CONNECTED', false)])).endsCounted).toBe(1);
    expect((await run([member('CONNECTED', false)], {}, 'mx')).endsCounted).toBe(1);
    expect((await run([member('CONNECTED', false)], {}, 'mx_background')).endsCounted).toBe(0);
  });
});
