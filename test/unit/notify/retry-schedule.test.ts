import { noMetrics } from '../../../lib/metrics.ts';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { silentLog } from '../../../lib/logger.ts';
import { Deliverer } from '../../../lib/notify/deliverer.ts';
import type { DeliveryMessage } from '../../../lib/notify/delivery-message.ts';
import { RETRY_DELAYS_MS, retryDelayMs } from '../../../lib/notify/retry-schedule.ts';
import { DelayedQueue, MAX_SQS_DELAY_SECONDS } from '../../../lib/queue/delayed-queue.ts';

const s = 1_000;
const min = 60 * s;
const h = 60 * min;

describe('retryDelayMs', () => {
  it('waits 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h after attempts 1–7 (no jitter at random = 0.5)', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7].map((attempt) => retryDelayMs(attempt, () => 0.5));
    expect(delays).toEqual([5 * s, 5 * min, 30 * min, 2 * h, 5 * h, 10 * h, 10 * h]);
  });

  it('gives up after the 8th attempt', () => {
    expect(RETRY_DELAYS_MS).toHaveLength(7);
    expect(retryDelayMs(8, () => 0.5)).toBeUndefined();
  });

  it('jitters by at most ±10 %', () => {
    RETRY_DELAYS_MS.forEach((base, index) => {
      const attempt = index + 1;
      expect(retryDelayMs(attempt, () => 0)).toBe(Math.round(base * 0.9));
      expect(retryDelayMs(attempt, () => 0.999_999)).toBeLessThanOrEqual(Math.round(base * 1.1));
      expect(retryDelayMs(attempt, () => 0.75)).toBe(Math.round(base * 1.05));
    });
  });
});

describe('a long retry wait', () => {
  it('is carried by queue hops of at most 900 s, each keeping the attempt, and touches nothing until due', async () => {
    const clock = new ManualClock();
    const sent: { body: DeliveryMessage; delaySeconds: number }[] = [];
    const sqs = {
      send: async (command: { input: { MessageBody: string; DelaySeconds: number } }) => {
        sent.push({ body: JSON.parse(command.input.MessageBody), delaySeconds: command.input.DelaySeconds });
        return {};
      },
    } as unknown as SQSClient;
    const queue = new DelayedQueue<DeliveryMessage>(sqs, 'https://sqs.local/delivery', clock);
    const untouched = new Proxy({}, { get: (_, name) => () => expect.fail(`unexpected call to ${String(name)} before due`) });
    const deliverer = new Deliverer({
      metrics: noMetrics,
      secretBox: { open: async (secret: string) => secret }, // these webhooks' secrets are stored in clear
      webhooks: untouched as never,
      deliveries: untouched as never,
      sender: untouched as never,
      health: untouched as never,
      queue,
      clock,
      log: silentLog,
      leaseMs: 40_000,
    });

    const tenHours = retryDelayMs(6, () => 0.5)!;
    await queue.schedule({ webhook_id: 'wh_a', msg_id: 'msg_1', attempt: 7, due_at: clock.now() + tenHours });
    while (true) {
      const hop = sent.at(-1)!;
      expect(hop.delaySeconds).toBeLessThanOrEqual(MAX_SQS_DELAY_SECONDS);
      expect(hop.body.attempt).toBe(7);
      clock.advance(hop.delaySeconds * 1000);
      const before = sent.length;
      if (clock.now() >= hop.body.due_at) break;
      await deliverer.handle(hop.body);
      expect(sent.length).toBe(before + 1);
    }
    expect(sent).toHaveLength(tenHours / (MAX_SQS_DELAY_SECONDS * 1000));
    expect(clock.now()).toBe(sent[0]!.body.due_at);
  });
});
