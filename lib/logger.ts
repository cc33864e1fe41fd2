import { Logger } from '@aws-lambda-powertools/logger';

/** What lib/ needs from a logger. Powertools' Logger satisfies it; tests pass a capturing one. */
export interface Log {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

export function createLogger(serviceName: string, logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' = 'INFO'): Logger {
  return new Logger({ serviceName, logLevel });
}

/** A logger that drops everything (default where a caller does not care). */
export const silentLog: Log = { debug() {}, info() {}, warn() {}, error() {} };
