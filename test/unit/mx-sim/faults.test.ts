import { describe, expect, it } from 'vitest';
import { NO_FAULTS, drawFault, parseFaultRequest } from '../../../infra/local/mx-sim/faults.ts';
import { createSeededRandom } from '../../../infra/local/mx-sim/seeded-random.ts';

describe('parseFaultRequest', () => {
  it('clears everything on {}', () => {
    expect(parseFaultRequest({})).toEqual({ settings: NO_FAULTS, expireSessions: false });
  });

  it('reads every setting', () => {
    expect(
      parseFaultRequest({
        error_rate: 0.25,
        status: 429,
        latency_ms: 40,
        retry_after_s: 7,
        drop_rate: 0.5,
        expire_sessions: true,
      }),
    ).toEqual({
      settings: { errorRate: 0.25, status: 429, latencyMs: 40, retryAfterS: 7, dropRate: 0.5 },
      expireSessions: true,
    });
  });

  it.each([
    [{ error_rate: 1.5 }, 'error_rate'],
    [{ error_rate: '0.5' }, 'error_rate'],
    [{ drop_rate: -0.1 }, 'drop_rate'],
    [{ status: 404 }, 'status'],
    [{ latency_ms: 2.5 }, 'latency_ms'],
    [{ retry_after_s: -1 }, 'retry_after_s'],
    [{ expire_sessions: 'yes' }, 'expire_sessions'],
    [[], 'body'],
  ])('rejects %j, naming %s', (body, field) => {
    expect(() => parseFaultRequest(body)).toThrow(field);
  });
});

describe('drawFault', () => {
  it('never draws when no fault is active', () => {
    let draws = 0;
    const counting = () => {
      draws += 1;
      return 0;
    };
    expect(drawFault(NO_FAULTS, counting)).toEqual({ kind: 'none' });
    expect(draws).toBe(0);
  });

  it('applies rates of 1 to every call, drops first', () => {
    const random = createSeededRandom(1);
    expect(drawFault({ ...NO_FAULTS, errorRate: 1, status: 502 }, random)).toEqual({ kind: 'error', status: 502 });
    expect(drawFault({ ...NO_FAULTS, errorRate: 1, dropRate: 1 }, random)).toEqual({ kind: 'drop' });
  });

  it('replays the same outcomes for the same seed', () => {
    const outcomes = (seed: number) => {
      const random = createSeededRandom(seed);
      return Array.from({ length: 50 }, () => drawFault({ ...NO_FAULTS, errorRate: 0.5 }, random).kind);
    };
    expect(outcomes(9)).toEqual(outcomes(9));
    expect(outcomes(9)).toContain('error');
    expect(outcomes(9)).toContain('none');
  });
});
