import { describe, expect, it } from 'vitest';
import { deliveryHealth } from '../src/index.ts';
import type { Attempt, Delivery } from '../src/index.ts';

const attempt = (at: string, status_code?: number, extra: Partial<Attempt> = {}): Attempt => ({
  at,
  latency_ms: 12,
  ...(status_code === undefined ? {} : { status_code }),
  ...extra,
});
const delivery = (msg: string, status: Delivery['status'], attempts: Attempt[], next?: string): Delivery => ({
  msg_id: msg,
  event_type: 'aggregation.succeeded',
  status,
  attempt_count: attempts.length,
  attempts,
  ...(next === undefined ? {} : { next_attempt_at: next }),
  created_at: attempts[0]?.at ?? '2026-11-24T10:00:00.000Z',
  updated_at: attempts.at(-1)?.at ?? '2026-11-24T10:00:00.000Z',
});

describe('deliveryHealth', () => {
  it('an endpoint that answers 400 to every attempt is at 0 %, with its last answer and the next retry (issue 38 #2)', () => {
    const health = deliveryHealth([
      delivery(
        'msg_2',
        'pending',
        [attempt('2026-11-24T10:01:00.000Z', 400, { response_excerpt: 'bad signature' })],
        '2026-11-24T10:06:00.000Z',
      ),
      delivery(
        'msg_1',
        'pending',
        [attempt('2026-11-24T10:00:00.000Z', 400), attempt('2026-11-24T10:00:30.000Z', 400)],
        '2026-11-24T10:05:00.000Z',
      ),
    ]);
    expect(health).toEqual({
      attempts: 3,
      successRate: 0,
      lastFailure: { at: '2026-11-24T10:01:00.000Z', outcome: 'HTTP 400', responseExcerpt: 'bad signature' },
      nextAttemptAt: '2026-11-24T10:05:00.000Z',
    });
  });

  it('counts every attempt; a failure without an answer says why; no attempts, no rate', () => {
    expect(
      deliveryHealth([
        delivery('msg_2', 'delivered', [
          attempt('2026-11-24T10:02:00.000Z', undefined, { error: 'timeout' }),
          attempt('2026-11-24T10:03:00.000Z', 204),
        ]),
        delivery('msg_1', 'delivered', [attempt('2026-11-24T10:00:00.000Z', 200)]),
      ]),
    ).toEqual({ attempts: 3, successRate: 67, lastFailure: { at: '2026-11-24T10:02:00.000Z', outcome: 'timeout' } });
    expect(deliveryHealth([delivery('msg_1', 'pending', [], '2026-11-24T10:00:00.000Z')])).toEqual({
      attempts: 0,
      nextAttemptAt: '2026-11-24T10:00:00.000Z',
    });
  });
});
