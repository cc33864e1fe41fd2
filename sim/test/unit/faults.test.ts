import { describe, expect, it } from 'vitest';
import { NO_FAULTS, drawFault, drawLatencyMs, parseFaultRequest } from '../../faults.ts';
import { createSeededRandom } from '../../seeded-random.ts';

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

  it('reads an error mix and a latency jitter', () => {
    expect(parseFaultRequest({ error_mix: { '429': 0.05, '503': 0.1 }, latency_ms: 200, latency_jitter_ms: 50 })).toEqual({
      settings: {
        ...NO_FAULTS,
        latencyMs: 200,
        latencyJitterMs: 50,
        errorMix: [
          { status: 503, rate: 0.1 },
          { status: 429, rate: 0.05 },
        ],
      },
      expireSessions: false,
    });
  });

  it.each([
    [{ error_mix: { '404': 0.1 } }, 'error_mix'],
    [{ error_mix: { '503': 0.7, '500': 0.4 } }, 'error_mix'],
    [{ error_mix: { '503': 0.1 }, error_rate: 0.1 }, 'error_mix'],
    [{ latency_jitter_ms: -1 }, 'latency_jitter_ms'],
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

  it('answers each status of an error mix with its own share of calls', () => {
    const random = createSeededRandom(3);
    const settings = {
      ...NO_FAULTS,
      errorMix: [
        { status: 503 as const, rate: 0.3 },
        { status: 429 as const, rate: 0.2 },
      ],
    };
    const counts = new Map<string, number>();
    for (let i = 0; i < 10_000; i += 1) {
      const draw = drawFault(settings, random);
      const key = draw.kind === 'error' ? String(draw.status) : draw.kind;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.get('503')! / 10_000).toBeCloseTo(0.3, 1);
    expect(counts.get('429')! / 10_000).toBeCloseTo(0.2, 1);
    expect(counts.get('none')! / 10_000).toBeCloseTo(0.5, 1);
  });

  it('draws latencies within latency_ms ± latency_jitter_ms, and draws nothing without jitter', () => {
    const random = createSeededRandom(5);
    const latencies = Array.from({ length: 1_000 }, () =>
      drawLatencyMs({ ...NO_FAULTS, latencyMs: 200, latencyJitterMs: 50 }, random),
    );
    expect(Math.min(...latencies)).toBeGreaterThanOrEqual(150);
    expect(Math.max(...latencies)).toBeLessThanOrEqual(250);
    expect(new Set(latencies).size).toBeGreaterThan(50);
    const never = () => {
      throw new Error('drawn');
    };
    expect(drawLatencyMs({ ...NO_FAULTS, latencyMs: 200 }, never)).toBe(200);
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
