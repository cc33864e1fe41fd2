import type { Delivery } from '@nexus-relay/client';
import { describe, expect, it } from 'vitest';
import { attemptsByHour } from '../../../console/src/delivery-hours.ts';

const delivery = (attempts: { at: string; status_code?: number }[]): Delivery => ({
  msg_id: 'msg_1',
  event_type: 'aggregation.succeeded',
  status: 'delivered',
  attempt_count: attempts.length,
  attempts: attempts.map((attempt) => ({ latency_ms: 5, ...attempt })),
  created_at: attempts[0]!.at,
  updated_at: attempts[0]!.at,
});

describe("the overview's delivery chart", () => {
  it('counts every attempt in its hour (UTC), 2xx as delivered, the rest failed; older ones left out', () => {
    const now = Date.parse('2026-11-24T15:30:00Z');
    const hours = attemptsByHour(
      [
        delivery([
          { at: '2026-11-24T15:05:00Z', status_code: 500 },
          { at: '2026-11-24T15:06:00Z', status_code: 204 },
        ]),
        delivery([{ at: '2026-11-24T13:59:59Z' }, { at: '2026-11-23T15:00:00Z', status_code: 200 }]),
      ],
      now,
    );
    expect(hours).toHaveLength(24);
    expect(hours.at(-1)).toEqual({ hour: '2026-11-24T15:00:00.000Z', delivered: 1, failed: 1 });
    expect(hours.at(-3)).toEqual({ hour: '2026-11-24T13:00:00.000Z', delivered: 0, failed: 1 });
    expect(hours[0]!.hour).toBe('2026-11-23T16:00:00.000Z');
    expect(hours.reduce((sum, hour) => sum + hour.delivered + hour.failed, 0)).toBe(3);
  });
});
