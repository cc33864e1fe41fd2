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
    },
    expireSessions,
  };
}

export function faultsView(settings: FaultSettings) {
  return {
    error_rate: settings.errorRate,
    status: settings.status,
    latency_ms: settings.latencyMs,
    retry_after_s: settings.retryAfterS,
    drop_rate: settings.dropRate,
  };
}

export type FaultDraw = { kind: 'none' } | { kind: 'drop' } | { kind: 'error'; status: FaultStatus };

/** Decides one call's fate. Draws only for active faults, so a seed replays the same sequence of outcomes. */
export function drawFault(settings: FaultSettings, random: RandomSource): FaultDraw {
  if (settings.dropRate > 0 && random() < settings.dropRate) return { kind: 'drop' };
  if (settings.errorRate > 0 && random() < settings.errorRate) return { kind: 'error', status: settings.status };
  return { kind: 'none' };
}
