import { InvalidInputError, optionalNumberInRange, requireJsonObject } from './input-validation.ts';
import type { RandomSource } from './seeded-random.ts';

export const FAULT_STATUSES = [500, 502, 503, 504, 429] as const;
export type FaultStatus = (typeof FAULT_STATUSES)[number];

/** Trouble injected into MX-side calls. */
export interface FaultSettings {
  /** Share of calls answered with `status` instead of being served. */
  errorRate: number;
  status: FaultStatus;
  /** Delay before every call is handled. */
  latencyMs: number;
  /** Sent as Retry-After on injected errors when set. */
  retryAfterS: number | null;
  /** Share of calls whose connection is destroyed without an answer. */
  dropRate: number;
  /** Each call waits latencyMs ± this (uniform, never below 0); absent: exactly latencyMs. */
  latencyJitterMs?: number;
  /** Several error statuses, each answering its own share of calls; when present it replaces errorRate/status. */
  errorMix?: { status: FaultStatus; rate: number }[];
}

export const NO_FAULTS: FaultSettings = { errorRate: 0, status: 503, latencyMs: 0, retryAfterS: null, dropRate: 0 };

/** `POST /_sim/faults`: the new settings (omitted fields take their no-fault value) and the one-shot actions. */
export interface FaultRequest {
  settings: FaultSettings;
  expireSessions: boolean;
}

const isFaultStatus = (value: unknown): value is FaultStatus => FAULT_STATUSES.includes(value as FaultStatus);

const HOUR_MS = 3_600_000;

export function parseFaultRequest(body: unknown): FaultRequest {
  const input = requireJsonObject(body, 'body');
  const status = input.status ?? NO_FAULTS.status;
  if (!isFaultStatus(status)) throw new InvalidInputError(`status must be one of ${FAULT_STATUSES.join(', ')}`);
  const expireSessions = input.expire_sessions ?? false;
  if (typeof expireSessions !== 'boolean') throw new InvalidInputError('expire_sessions must be a boolean');

  const errorMix = parseErrorMix(input.error_mix);
  if (errorMix && (input.error_rate !== undefined || input.status !== undefined)) {
    throw new InvalidInputError('error_mix cannot be combined with error_rate or status');
  }
  const latencyJitterMs = optionalNumberInRange(input.latency_jitter_ms, 'latency_jitter_ms', {
    min: 0,
    max: HOUR_MS,
    integer: true,
  });

  return {
    settings: {
      errorRate: optionalNumberInRange(input.error_rate, 'error_rate', { min: 0, max: 1 }) ?? NO_FAULTS.errorRate,
      status,
      latencyMs:
        optionalNumberInRange(input.latency_ms, 'latency_ms', { min: 0, max: HOUR_MS, integer: true }) ?? NO_FAULTS.latencyMs,
      retryAfterS:
        optionalNumberInRange(input.retry_after_s, 'retry_after_s', { min: 0, max: 86_400, integer: true }) ??
        NO_FAULTS.retryAfterS,
      dropRate: optionalNumberInRange(input.drop_rate, 'drop_rate', { min: 0, max: 1 }) ?? NO_FAULTS.dropRate,
      ...(latencyJitterMs ? { latencyJitterMs } : {}),
      ...(errorMix ? { errorMix } : {}),
    },
    expireSessions,
  };
}

/** `error_mix`: `{"503": 0.1, "429": 0.05}`, statuses from FAULT_STATUSES, shares adding up to at most 1. */
function parseErrorMix(value: unknown): FaultSettings['errorMix'] {
  if (value === undefined) return undefined;
  const input = requireJsonObject(value, 'error_mix');
  const mix = Object.entries(input).map(([key, rate]) => {
    const status = Number(key);
    if (!isFaultStatus(status)) throw new InvalidInputError(`error_mix keys must be among ${FAULT_STATUSES.join(', ')}`);
    return { status, rate: optionalNumberInRange(rate, `error_mix.${key}`, { min: 0, max: 1 }) ?? 0 };
  });
  if (mix.reduce((sum, entry) => sum + entry.rate, 0) > 1 + 1e-9)
    throw new InvalidInputError('error_mix shares must add up to at most 1');
  return mix.sort((a, b) => FAULT_STATUSES.indexOf(a.status) - FAULT_STATUSES.indexOf(b.status));
}

export function faultsView(settings: FaultSettings) {
  return {
    error_rate: settings.errorRate,
    status: settings.status,
    latency_ms: settings.latencyMs,
    retry_after_s: settings.retryAfterS,
    drop_rate: settings.dropRate,
    ...(settings.latencyJitterMs === undefined ? {} : { latency_jitter_ms: settings.latencyJitterMs }),
    ...(settings.errorMix === undefined
      ? {}
      : { error_mix: Object.fromEntries(settings.errorMix.map(({ status, rate }) => [String(status), rate])) }),
  };
}

export type FaultDraw = { kind: 'none' } | { kind: 'drop' } | { kind: 'error'; status: FaultStatus };

/** Decides one call's fate. Draws only for active faults, so a seed replays the same sequence of outcomes. */
export function drawFault(settings: FaultSettings, random: RandomSource): FaultDraw {
  if (settings.dropRate > 0 && random() < settings.dropRate) return { kind: 'drop' };
  if (settings.errorMix) {
    let draw = random();
    for (const { status, rate } of settings.errorMix) {
      if (draw < rate) return { kind: 'error', status };
      draw -= rate;
    }
    return { kind: 'none' };
  }
  if (settings.errorRate > 0 && random() < settings.errorRate) return { kind: 'error', status: settings.status };
  return { kind: 'none' };
}

/** How long one call waits before it is handled. Draws only with jitter set, so seeds without it replay unchanged. */
export function drawLatencyMs(settings: FaultSettings, random: RandomSource): number {
  const jitter = settings.latencyJitterMs ?? 0;
  if (jitter === 0) return settings.latencyMs;
  return Math.max(0, Math.round(settings.latencyMs + (random() * 2 - 1) * jitter));
}
