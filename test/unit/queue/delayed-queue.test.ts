import { SendMessageBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { DelayedQueue, hopDelaySeconds, isDue, MAX_SQS_DELAY_SECONDS, QueueSendError } from '../../../lib/queue/delayed-queue.ts';

describe('hopDelaySeconds', () => {
  it('sends a 3 s hop computed a few milliseconds before the send as 3 s, not 2 s', () => {
    const computedAt = 1_000_000;
    expect(hopDelaySeconds(computedAt + 3_000, computedAt + 15)).toBe(3);
    expect(hopDelaySeconds(computedAt + 5_000, computedAt + 40)).toBe(5);
  });

  it('lands every hop within half a second of its due time, and the message counts as due on arrival', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2_000_000_000 }),
        fc.integer({ min: 0, max: MAX_SQS_DELAY_SECONDS * 1000 }),
        (now, wait) => {
          const due = now + wait;
          const delay = hopDelaySeconds(due, now);
          expect(Number.isInteger(delay)).toBe(true);
          expect(Math.abs(delay * 1000 - wait)).toBeLessThanOrEqual(500);
          expect(isDue({ due_at: due }, now + delay * 1000)).toBe(true);
        },
      ),
    );
  });

  it('never asks SQS for a negative delay or one above 15 minutes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2_000_000_000 }), fc.integer({ min: -10_000_000, max: 10_000_000 }), (now, wait) => {
        const delay = hopDelaySeconds(now + wait, now);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(MAX_SQS_DELAY_SECONDS);
      }),
    );
  });
});

describe('DelayedQueue.scheduleAllIn', () => {
  const clock = new ManualClock(1_000_000);
  function queueOver(failing: (entryId: string, call: number) => boolean = () => false) {
    const sent: { command: string; bodies: unknown[]; delays: number[] }[] = [];
    const sqs = {
      send: async (command: SendMessageCommand | SendMessageBatchCommand) => {
        if (command instanceof SendMessageCommand) {
          sent.push({
            command: 'SendMessage',
            bodies: [JSON.parse(command.input.MessageBody!)],
            delays: [command.input.DelaySeconds!],
          });
          return {};
        }
        const entries = command.input.Entries!;
        sent.push({
          command: 'SendMessageBatch',
          bodies: entries.map((entry) => JSON.parse(entry.MessageBody!)),
          delays: entries.map((entry) => entry.DelaySeconds!),
        });
        const failed = entries.filter((entry) => failing(entry.Id!, sent.length));
        return { Failed: failed.map((entry) => ({ Id: entry.Id, Code: 'InternalError', SenderFault: false })) };
      },
    } as unknown as SQSClient;
    return { queue: new DelayedQueue<{ n: number; due_at: number }>(sqs, 'http://sqs/queue/delivery', clock), sent };
  }

  it('sends ten messages to a request, each due `delayMs` from now; one message goes alone', async () => {
    const { queue, sent } = queueOver();
    await queue.scheduleAllIn(
      Array.from({ length: 23 }, (_, n) => ({ n })),
      5_000,
    );
    expect(sent.map((call) => [call.command, call.bodies.length])).toEqual([
      ['SendMessageBatch', 10],
      ['SendMessageBatch', 10],
      ['SendMessageBatch', 3],
    ]);
    expect(sent.flatMap((call) => call.bodies)).toEqual(Array.from({ length: 23 }, (_, n) => ({ n, due_at: 1_005_000 })));
    expect(new Set(sent.flatMap((call) => call.delays))).toEqual(new Set([5]));
    const single = queueOver();
    await single.queue.scheduleAllIn([{ n: 1 }], 0);
    expect(single.sent).toEqual([{ command: 'SendMessage', bodies: [{ n: 1, due_at: 1_000_000 }], delays: [0] }]);
  });

  it('fails when SQS refuses part of a batch, naming the queue and not the bodies', async () => {
    const { queue } = queueOver((id, call) => call === 2 && id === '4');
    const failure = await queue
      .scheduleAllIn(
        Array.from({ length: 15 }, (_, n) => ({ n })),
        0,
      )
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(QueueSendError);
    expect(failure).toMatchObject({
      code: 'QUEUE_SEND_FAILED',
      message: 'SQS refused 1 message(s) of a batch to delivery: InternalError',
    });
  });
});

describe('DelayedQueue tenants', () => {
  it("sends each message's tenant as its MessageGroupId, alone or in a batch (SQS fair queues)", async () => {
    const groups: (string | undefined)[][] = [];
    const sqs = {
      send: async (command: SendMessageCommand | SendMessageBatchCommand) => {
        groups.push(
          command instanceof SendMessageCommand
            ? [command.input.MessageGroupId]
            : command.input.Entries!.map((entry) => entry.MessageGroupId),
        );
        return {};
      },
    } as unknown as SQSClient;
    const clock = new ManualClock(0);
    const tenants = new DelayedQueue<{ webhook_id: string; due_at: number }>(sqs, 'http://sqs/queue/delivery', clock, {
      tenantOf: (message) => message.webhook_id,
    });
    await tenants.schedule({ webhook_id: 'wh_a', due_at: 0 });
    await tenants.scheduleAllIn([{ webhook_id: 'wh_a' }, { webhook_id: 'wh_b' }], 0);
    await new DelayedQueue<{ due_at: number }>(sqs, 'http://sqs/queue/poll', clock).schedule({ due_at: 0 });
    expect(groups).toEqual([['wh_a'], ['wh_a', 'wh_b'], [undefined]]);
  });
});
